"""The public side: no account, no login. Never imports code that can read a submitted case.

Every view here is declared public (login_not_required) and listed in the URL access test.
Nothing personal goes in a URL: steps are addressed by name, drafts by the session and cookie.
"""

import contextlib
import functools
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_safe

from clemency.security.storage import EncryptingUploadHandler
from intake import forms, services, session, steps, throttle
from intake.answers import answer_sections
from intake.forms import StepForm


@login_not_required
@require_safe
def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "intake/landing.html")


@login_not_required
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """GET explains; POST creates the draft and shows the resume code, once."""
    if request.method == "GET":
        return render(request, "intake/start.html")
    client = throttle.client(request)
    # "website" is a field people never see (a honeypot); robots fill it in.
    if request.POST.get("website") or throttle.blocked("start", client):
        return render(
            request,
            "intake/start.html",
            {"error": _("Too many new applications from here. Please wait an hour.")},
            status=429,
        )
    throttle.count("start", client)
    draft, dek, code = services.draft_start(language=get_language())
    response = render(request, "intake/code.html", {"code": code, "next": steps.STEPS[0]})
    session.remember(request, response, draft, dek)
    return response


def with_open_draft(view):
    """Give the view this browser's open draft and its key, or send the visitor to resume."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        held = session.recall(request)
        if held is None:
            messages.info(request, _("To continue an application, enter its code."))
            return redirect("intake:resume")
        return view(request, *held, *args, **kwargs)

    return wrapper


@login_not_required
@require_http_methods(["GET", "POST"])
def step(request: HttpRequest, identifier: str) -> HttpResponse:
    current = steps.BY_IDENTIFIER.get(identifier)
    if current is None:
        raise Http404
    return _step(request, current=current)


@with_open_draft
def _step(request: HttpRequest, draft, dek: bytes, *, current: steps.Step) -> HttpResponse:
    answers = services.draft_answers(draft=draft, dek=dek)
    if not current.applies(answers):
        following = steps.after(current, answers)
        return redirect(*_address(following)) if following else redirect("intake:review")
    if current.identifier == "convictions":
        return _convictions(request, draft, dek, answers, current)
    form_class: type[StepForm] = current.form_class
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            answers = services.draft_save_step(
                draft=draft, dek=dek, step=current.identifier, data=form.as_answers()
            )
            return _next_page(request, current, answers)
    else:
        form = form_class(initial=form_class.initial_from(answers.get(current.identifier)))
    return render(
        request,
        "intake/step.html",
        {
            "step": current,
            "form": form,
            **_position(current, answers),
        },
    )


def _position(current: steps.Step, answers: dict) -> dict:
    """Where a step page is in the application, for its header and back link."""
    number, total = steps.position(current, answers)
    return {"number": number, "total": total, "previous": steps.before(current, answers)}


def _address(step: steps.Step) -> tuple[str, str]:
    return ("intake:step", step.identifier)


def _next_page(request: HttpRequest, current: steps.Step, answers: dict) -> HttpResponse:
    if request.POST.get("action") == "later":
        response = render(request, "intake/later.html")
        session.forget(request, response)
        return response
    following = steps.after(current, answers)
    if following is None:
        return redirect("intake:review")
    return redirect(*_address(following))


def _convictions(request, draft, dek, answers: dict, current: steps.Step) -> HttpResponse:
    """Add New York convictions one at a time to a list; remove any; then continue.

    Whatever is typed in the conviction form when the applicant presses "continue" is added
    first (or shown back with its errors): nothing typed is dropped.
    """
    saved = answers.get("convictions") or {}
    convictions = list(saved.get("list") or [])
    conviction = forms.ConvictionForm(prefix="conviction")
    other = forms.OtherConvictionsForm(initial={"outside_ny": saved.get("outside_ny")})
    if request.method == "POST":
        action = request.POST.get("action", "next")
        conviction = forms.ConvictionForm(request.POST, prefix="conviction")
        other = forms.OtherConvictionsForm(request.POST)
        if action.startswith("remove-"):
            index = action.removeprefix("remove-")
            if index.isdigit() and int(index) < len(convictions):
                del convictions[int(index)]
            saved = {**saved, "list": convictions}
            services.draft_save_step(draft=draft, dek=dek, step="convictions", data=saved)
            return redirect("intake:step", identifier=current.identifier)
        adding = action == "add" or conviction.has_input()
        if adding and conviction.is_valid():
            convictions.append(conviction.as_answers())
            conviction = forms.ConvictionForm(prefix="conviction")
        elif adding:
            return _convictions_page(request, current, answers, convictions, conviction, other)
        if other.is_valid():
            saved = {"list": convictions, "outside_ny": other.cleaned_data["outside_ny"]}
            answers = services.draft_save_step(draft=draft, dek=dek, step="convictions", data=saved)
            if action == "add":
                messages.success(request, _("The conviction is added."))
                return redirect("intake:step", identifier=current.identifier)
            if not convictions:
                conviction.add_error(None, _("Please add at least one New York conviction."))
                return _convictions_page(request, current, answers, convictions, conviction, other)
            if saved["outside_ny"]:
                messages.info(
                    request,
                    _(
                        "The Governor of New York can only pardon New York convictions. We "
                        "will still read your application and tell you what we can do."
                    ),
                )
            return _next_page(request, current, answers)
    return _convictions_page(request, current, answers, convictions, conviction, other)


def _convictions_page(request, current, answers, convictions, conviction, other) -> HttpResponse:
    return render(
        request,
        "intake/convictions.html",
        {
            "step": current,
            "convictions": convictions,
            "form": conviction,
            "other": other,
            **_position(current, answers),
        },
    )


@csrf_exempt  # the body must not be read before the encrypting handler is installed...
@login_not_required
@require_http_methods(["GET", "POST"])
@with_open_draft
def documents(request: HttpRequest, draft, dek: bytes) -> HttpResponse:
    """Upload documents: each file is encrypted as it arrives; only ciphertext is stored."""
    handler = EncryptingUploadHandler(
        request,
        key=dek,
        case_id=draft.pk,
        key_version=1,
        max_size=settings.INTAKE_MAX_UPLOAD_MB * 1024 * 1024,
    )
    request.upload_handlers = [handler]
    return _documents(request, draft, dek, handler)


@csrf_protect  # ...and the CSRF check runs here, once it has been
def _documents(request, draft, dek, handler) -> HttpResponse:
    current = steps.BY_IDENTIFIER["documents"]
    if request.method == "POST":
        action = request.POST.get("action", "upload")
        if action.startswith("remove-"):
            with contextlib.suppress(ValueError):
                services.draft_remove_document(
                    draft=draft, document_id=uuid.UUID(action.removeprefix("remove-"))
                )
            return redirect("intake:step", identifier="documents")
        if action == "upload":
            for _rejection in handler.rejections:
                messages.error(
                    request,
                    _("A file is too large. Each file can be up to %(size)s MB.")
                    % {"size": settings.INTAKE_MAX_UPLOAD_MB},
                )
            uploads = request.FILES.getlist("file")
            for upload in uploads:
                try:
                    services.draft_add_document(draft=draft, dek=dek, upload=upload)
                except services.IntakeError as error:
                    messages.error(request, str(error))
                else:
                    messages.success(request, _("The file is added."))
            if not uploads and not handler.rejections:
                messages.error(request, _("Choose a file first."))
            return redirect("intake:step", identifier="documents")
        count = draft.documents.count()
        answers = services.draft_save_step(
            draft=draft, dek=dek, step="documents", data={"count": count}
        )
        return _next_page(request, current, answers)
    return render(
        request,
        "intake/documents.html",
        {
            "step": current,
            "documents": services.draft_documents(draft=draft, dek=dek),
            "max_mb": settings.INTAKE_MAX_UPLOAD_MB,
            **_position(current, services.draft_answers(draft=draft, dek=dek)),
        },
    )


@login_not_required
@require_http_methods(["GET", "POST"])
@with_open_draft
def review(request: HttpRequest, draft, dek: bytes) -> HttpResponse:
    answers = services.draft_answers(draft=draft, dek=dek)
    missing = steps.first_unanswered(answers)
    if request.method == "POST" and missing is None:
        reference, status_code = services.draft_submit(draft=draft, dek=dek)
        response = render(
            request,
            "intake/confirmation.html",
            {"reference": reference, "status_code": status_code},
        )
        session.forget(request, response)
        return response
    uploaded = services.draft_documents(draft=draft, dek=dek)
    files = [details.get("name") or "—" for _document, details in uploaded]
    return render(
        request,
        "intake/review.html",
        {"sections": answer_sections(answers, files=files), "missing": missing},
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def resume(request: HttpRequest) -> HttpResponse:
    error = None
    if request.method == "POST":
        client = throttle.client(request)
        if throttle.blocked("resume", client):
            error = _("Too many tries. Please wait an hour and try again.")
        else:
            found = services.draft_resume(code=request.POST.get("code", ""))
            if found is not None:
                draft, dek = found
                answers = services.draft_answers(draft=draft, dek=dek)
                following = steps.first_unanswered(answers)
                response = (
                    redirect("intake:step", identifier=following.identifier)
                    if following
                    else redirect("intake:review")
                )
                session.remember(request, response, draft, dek)
                return response
            throttle.count("resume", client)
            # Same words whether the code is wrong or no draft exists.
            error = _("This code does not open an application. Check it and try again.")
    return render(request, "intake/resume.html", {"error": error}, status=400 if error else 200)


@login_not_required
@require_http_methods(["GET", "POST"])
def status(request: HttpRequest) -> HttpResponse:
    error = result = None
    if request.method == "POST":
        client = throttle.client(request)
        reference = request.POST.get("reference", "").strip().upper()
        if throttle.blocked("status", client, reference):
            error = _("Too many tries. Please wait an hour and try again.")
        else:
            result = services.status_lookup(
                reference=reference, status_code=request.POST.get("status_code", "")
            )
            if result is None:
                throttle.count("status", client, reference)
                error = _("The reference and code do not match. Check them and try again.")
    return render(
        request,
        "intake/status.html",
        {"error": error, "result": result},
        status=400 if error else 200,
    )
