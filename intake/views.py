"""The public side: no account, no login. Never imports code that can read a submitted case.

Every view here is declared public (login_not_required) and listed in the URL access test.
Nothing personal goes in a URL: steps are addressed by name, drafts by the session and cookie.
"""

import functools
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clemency.clientip import client_address
from clemency.security.storage import EncryptingUploadHandler, RefuseFilesUploadHandler
from intake import forms, replies, services, session, steps, throttle, uploads
from intake.answers import answer_sections
from intake.models import Draft, DraftDocument


@login_not_required
@require_safe
def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "intake/landing.html")


@login_not_required
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """GET explains; POST creates the draft and shows the resume code, once.

    A browser that already holds an open application (the code page reloaded, which sends the
    form again) gets a new code for that application, not a second one; starting another needs
    the "start a new one" button."""
    held = session.recall(request)
    if request.method == "GET":
        return render(request, "intake/start.html", {"held": held is not None})
    if held is not None and not request.POST.get("another"):
        draft, dek = held
        answers = services.draft_answers(draft=draft, dek=dek)
        # Only the code page reloaded at once (nothing answered yet) gets a new code: someone who
        # finds the phone later must not get a lasting code for another person's application.
        if answers or not session.code_page_reloaded(request, draft):
            return render(request, "intake/start.html", {"held": True})
        try:  # a new code costs the slow hash too: counted as a start
            throttle.start(client_address(request))
        except throttle.Throttled as refused:
            return _too_many(request, "intake/start.html", refused)
        try:
            code = services.draft_new_code(draft=draft, dek=dek)
        except services.IntakeError:
            return redirect("intake:sent")
        session.remember_code_shown(request, draft)
        context = {"code": code, "next": steps.STEPS[0], "again": True}
        return render(request, "intake/code.html", context)
    # "website" is a field people never see (a honeypot); robots fill it in.
    try:
        if request.POST.get("website"):
            raise throttle.Throttled(timezone.now() + timedelta(hours=1))
        throttle.start(client_address(request))
    except throttle.Throttled as refused:
        return _too_many(request, "intake/start.html", refused)
    draft, dek, code = services.draft_start(language=get_language())
    response = render(request, "intake/code.html", {"code": code, "next": steps.STEPS[0]})
    session.remember(request, response, draft, dek)
    session.remember_code_shown(request, draft)
    return response


def _too_many(request: HttpRequest, template: str, refused: throttle.Throttled) -> HttpResponse:
    """429 with the form as it was (what was typed stays) and when to try again."""
    response = render(request, template, {"error": refused.message}, status=429)
    response.headers["Retry-After"] = str(refused.retry_after)
    return response


def with_open_draft(view):
    """Give the view this browser's open draft and its key, or send the visitor to resume."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        held = session.recall(request)
        if held is None:
            if session.just_sent(request):  # Back, after sending
                return redirect("intake:sent")
            messages.info(request, _("To continue an application, enter its code."))
            return redirect("intake:resume")
        return view(request, *held, *args, **kwargs)

    return wrapper


@login_not_required
@require_http_methods(["GET", "POST"])
def step(request: HttpRequest, identifier: str) -> HttpResponse:
    current = steps.BY_IDENTIFIER.get(identifier)
    if current is None or current.takes_files:  # those have their own address, below
        raise Http404
    return _open_step(request, current=current)


@csrf_exempt  # the body must not be read before the encrypting handler is installed...
@login_not_required
@require_http_methods(["GET", "POST"])
def step_with_files(request: HttpRequest, identifier: str) -> HttpResponse:
    """A step that takes files: each is encrypted as it arrives; only ciphertext is stored."""
    current = steps.BY_IDENTIFIER.get(identifier)
    if current is None or not current.takes_files:
        raise Http404
    return _open_step(request, current=current)


@dataclass
class StepPage:
    """A step's page in one request (steps.Page, steps.FilesPage): what a step works through."""

    request: HttpRequest
    draft: Draft
    dek: bytes
    step: steps.Step
    answers: dict
    uploading: "Uploading | None" = None

    def save(self, data: dict) -> dict:
        self.answers = services.draft_save_step(
            draft=self.draft, dek=self.dek, step=self.step.identifier, data=data
        )
        return self.answers

    @property
    def switching_language(self) -> str | None:
        return _language_asked(self.request)

    def render(self, context: dict) -> HttpResponse:
        number, total = steps.position(self.step, self.answers)
        previous = steps.before(self.step, self.answers)
        context = {
            "step": self.step,
            "number": number,
            "total": total,
            "previous": previous,
            # The language buttons send this step's form (not a page with files: a file chosen
            # is added by its own buttons), so switching keeps what was typed.
            "step_form": not self.step.takes_files,
            **context,
        }
        return render(self.request, self.step.template_name, context)

    def again(self) -> HttpResponse:
        return self._go(redirect(*_address(self.step)))

    def done(self) -> HttpResponse:
        if language := self.switching_language:
            return _in_language(redirect(*_address(self.step)), language)
        return self._go(_next_page(self.request, self.step, self.answers))

    def _go(self, response: HttpResponse) -> HttpResponse:
        """An upload sent by the page's script (static/js/upload.js) is told where to go next
        instead of being redirected: a redirect followed inside the script would show, and so
        use up, the messages about the files before the page the person sees."""
        if self.request.headers.get("X-Upload-Progress") and response.status_code == 302:
            return HttpResponse(status=204, headers={"X-Location": response["Location"]})
        return response

    @property
    def upload_refusals(self) -> list[str]:
        """Why files of this request were not taken in (skipped by the upload handler)."""
        if self.uploading is None:
            return []
        return uploads.rejection_messages(
            self.uploading.handler.rejections,
            room=self.uploading.room,
            admission=self.uploading.admission,
        )

    def documents(self) -> list[tuple[DraftDocument, dict]]:
        return services.draft_documents(draft=self.draft, dek=self.dek)

    def add_document(self, upload) -> str | None:
        try:
            services.draft_add_document(draft=self.draft, dek=self.dek, upload=upload)
        except services.IntakeError as error:
            return str(error)
        return None

    def remove_document(self, document_id: uuid.UUID) -> None:
        services.draft_remove_document(draft=self.draft, document_id=document_id)


@dataclass
class Uploading:
    """A request to a step that takes files: its encrypting handler, held to what the
    application can still take, and the per-address count (intake/uploads.py)."""

    handler: EncryptingUploadHandler
    room: uploads.Allowance
    admission: uploads.Admission


@with_open_draft
def _open_step(request: HttpRequest, draft: Draft, dek: bytes, *, current: steps.Step):
    uploading = None
    if current.takes_files:
        room = uploads.allowance(draft)
        admission = uploads.Admission(client_address(request))
        handler = EncryptingUploadHandler(
            request,
            key=dek,
            case_id=draft.pk,
            key_version=1,
            max_size=settings.INTAKE_MAX_UPLOAD_MB * uploads.MB,
            max_files=room.files,
            max_total=room.bytes,
            admit=admission,
        )
        request.upload_handlers = [handler]
        uploading = Uploading(handler, room, admission)
    return _step_page(request, draft, dek, current, uploading)


@csrf_protect  # ...and the CSRF check runs here, once it has been (for other steps: again)
def _step_page(
    request, draft: Draft, dek: bytes, current: steps.Step, uploading: Uploading | None
) -> HttpResponse:
    answers = services.draft_answers(draft=draft, dek=dek)
    if not current.is_applicable(answers):
        # A page left open from before: its buttons are still heard ("finish later" closes the
        # application in this browser, a language button switches), nothing of it is saved.
        if request.method == "POST" and request.POST.get("action") == "later":
            return _next_page(request, current, answers)
        following = steps.after(current, answers)
        response = redirect(*_address(following)) if following else redirect("intake:review")
        if language := _language_asked(request):
            return _in_language(response, language)
        return response
    return current.handle(StepPage(request, draft, dek, current, answers, uploading))


def _language_asked(request: HttpRequest) -> str | None:
    """The language of the step's language button pressed, if one was (and is ours)."""
    code = request.POST.get("switch_language") if request.method == "POST" else None
    return code if code in dict(settings.LANGUAGES) else None


def _in_language(response: HttpResponse, language: str) -> HttpResponse:
    """The response, with the language chosen as Django's set_language view keeps it."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def _address(step: steps.Step) -> tuple[str, str]:
    return ("intake:step", step.identifier)


def _next_page(request: HttpRequest, current: steps.Step, answers: dict) -> HttpResponse:
    if request.POST.get("action") == "later":
        response = render(request, "intake/later.html")
        session.forget(request, response)
        session.forget_sent(request)
        return response
    following = steps.after(current, answers)
    if following is None:
        return redirect("intake:review")
    return redirect(*_address(following))


@login_not_required
@require_http_methods(["GET", "POST"])
@with_open_draft
def review(request: HttpRequest, draft, dek: bytes) -> HttpResponse:
    answers = services.draft_answers(draft=draft, dek=dek)
    missing = steps.first_unanswered(answers)
    if request.method == "POST" and missing is None:
        try:
            reference, status_code = services.draft_submit(draft=draft, dek=dek)
        except services.IntakeError as refused:  # a step left half done in another tab meanwhile
            messages.error(request, str(refused))
            return redirect("intake:review")
        response = render(
            request,
            "intake/confirmation.html",
            {"reference": reference, "status_code": status_code},
        )
        session.forget(request, response)
        session.remember_sent(request)
        return response
    uploaded = services.draft_documents(draft=draft, dek=dek)
    files = [details.get("name") or "—" for _document, details in uploaded]
    return render(
        request,
        "intake/review.html",
        {"sections": answer_sections(answers, files=files), "missing": missing},
    )


@login_not_required
@require_safe
def sent(request: HttpRequest) -> HttpResponse:
    """Where going back after sending lands: the application went through (for a short while;
    the reference is not shown again, on a shared phone)."""
    if not session.just_sent(request):
        return redirect("intake:resume")
    return render(request, "intake/sent.html")


@login_not_required
@require_http_methods(["GET", "POST"])
def resume(request: HttpRequest) -> HttpResponse:
    error = None
    if request.method == "POST":
        try:
            found = services.draft_resume(
                code=request.POST.get("code", ""), client=client_address(request)
            )
        except throttle.Throttled as refused:
            return _too_many(request, "intake/resume.html", refused)
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
        # Same words whether the code is wrong or no draft exists.
        error = _("This code does not open an application. Check it and try again.")
    return render(request, "intake/resume.html", {"error": error}, status=400 if error else 200)


@login_not_required
@require_http_methods(["GET", "POST"])
def status(request: HttpRequest) -> HttpResponse:
    """Reference and status code in, the application's stage out. The right code keeps the page
    open in this browser for a while (intake/replies.py), to answer what staff asked for."""
    if request.method == "GET":
        draft = replies.draft_with_access(request)
        if draft is None:
            return render(request, "intake/status.html", {})
        return _status_page(request, draft)
    replies.forget_access(request)  # a new lookup ends the last one, right or wrong
    try:
        result = services.status_lookup(
            reference=request.POST.get("reference", ""),
            status_code=request.POST.get("status_code", ""),
            client=client_address(request),
        )
    except throttle.Throttled as refused:
        return _too_many(request, "intake/status.html", refused)
    if result is None:
        error = _("The reference and code do not match. Check them and try again.")
        return render(request, "intake/status.html", {"error": error}, status=400)
    draft = Draft.objects.get(pk=result.draft_id)
    replies.grant_access(request, draft)
    return redirect("intake:status")


def _status_page(
    request: HttpRequest,
    draft: Draft,
    *,
    reply_form: forms.ReplyForm | None = None,
    news_form: forms.NewsForm | None = None,
    reply_errors: list[str] = (),
    typed: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "result": services.status_of(draft),
        "replies": replies.sent_replies(draft),
        "may_send_files": replies.may_send_files(draft),
        "reply_form": reply_form or forms.ReplyForm(),
        "reply_errors": reply_errors,
        "news_form": news_form or forms.NewsForm(),
        "max_mb": settings.INTAKE_MAX_UPLOAD_MB,
        "max_files": settings.REPLY_MAX_FILES,
        "max_total_mb": settings.REPLY_MAX_REQUEST_MB,
        "access_minutes": settings.STATUS_ACCESS_MINUTES,
        # One token for each form: sending one does not make the other look sent already.
        "once_reply": replies.new_form_token(),
        "once_news": replies.new_form_token(),
        "typed": typed,
    }
    return render(request, "intake/status.html", context, status=status)


def _look_up_again(request: HttpRequest, error: str, *typed: str, status: int) -> HttpResponse:
    """The lookup form, saying why, with what the person had typed shown to copy: nothing is
    lost when a form can no longer be taken."""
    return render(
        request,
        "intake/status.html",
        {"error": error, "typed": "\n".join(text for text in typed if text)},
        status=status,
    )


def _page_closed(request: HttpRequest, *typed: str) -> HttpResponse:
    """The application's page is closed in this browser (its time is up, or it was closed)."""
    error = _("To see an application or answer, enter its reference and code.")
    return _look_up_again(request, error, *typed, status=403)


def _for_this_application(request: HttpRequest, draft: Draft | None) -> bool:
    """The form was sent from the page of the application this browser holds now (not from an
    older tab, before another application was opened here)."""
    return draft is not None and request.POST.get("application") == draft.reference


def _other_application(request: HttpRequest, *typed: str) -> HttpResponse:
    error = _(
        "Nothing was sent: since this page was opened, another application was opened in this "
        "browser. Enter the reference and code of the one you meant."
    )
    return _look_up_again(request, error, *typed, status=409)


@csrf_exempt  # the body must not be read before the encrypting handler is installed...
@login_not_required
@require_POST
def status_reply(request: HttpRequest) -> HttpResponse:
    """Files and a message for what staff asked for; each file encrypted as it arrives under the
    reply's own key, which is sealed to the staff side and forgotten (intake/replies.py)."""
    draft = replies.draft_with_access(request)
    if draft is None or not replies.may_send_files(draft):
        request.upload_handlers = [RefuseFilesUploadHandler()]  # nothing of the body is kept
        return _status_reply(request, draft, None, None)
    outgoing = replies.Outgoing.begin(draft)
    budget = replies.allowance(draft)
    admission = uploads.Admission(client_address(request))
    handler = EncryptingUploadHandler(
        request,
        key=outgoing.key,
        case_id=draft.pk,
        key_version=1,
        max_size=settings.INTAKE_MAX_UPLOAD_MB * uploads.MB,
        max_files=budget.files,
        max_total=budget.bytes,
        admit=admission,
    )
    request.upload_handlers = [handler]
    return _status_reply(request, draft, outgoing, Uploading(handler, budget, admission))


@csrf_protect  # ...and the CSRF check runs here, once it has been
def _status_reply(
    request: HttpRequest,
    draft: Draft | None,
    outgoing: "replies.Outgoing | None",
    uploading: Uploading | None,
) -> HttpResponse:
    typed = request.POST.get("message", "")
    if draft is None:
        return _page_closed(request, typed)
    if not _for_this_application(request, draft):
        return _other_application(request, typed)
    if replies.was_sent(request.POST.get("once")):
        return redirect("intake:status")  # the first sending said so
    if outgoing is None or uploading is None:
        return _status_page(
            request,
            draft,
            reply_errors=[_("Our team is not waiting for papers from you at the moment.")],
            typed=typed,
            status=409,
        )
    form = forms.ReplyForm(request.POST)
    files = request.FILES.getlist("files")
    errors = replies.rejection_messages(
        uploading.handler.rejections, room=uploading.room, admission=uploading.admission
    )
    if form.is_valid() and not errors:
        try:
            replies.reply_send(
                outgoing,
                language=get_language(),
                message=form.cleaned_data["message"],
                files=files,
                once=request.POST.get("once") or None,
            )
        except replies.ReplyError as refused:
            errors += refused.messages
        except replies.AlreadySent:
            return redirect("intake:status")  # the first sending said so
        else:
            messages.success(
                request,
                _("Thank you. What you sent is on its way to our team, protected."),
            )
            return redirect("intake:status")
    if files or uploading.handler.rejections:  # a browser does not keep chosen files
        errors.append(_("Nothing was sent. Please choose the files again."))
    return _status_page(
        request, draft, reply_form=form, reply_errors=errors, typed=typed, status=400
    )


@login_not_required
@require_POST
def status_news(request: HttpRequest) -> HttpResponse:
    """Where to send "there is news, please check your status", or no more messages."""
    draft = replies.draft_with_access(request)
    typed = (request.POST.get("email", ""), request.POST.get("phone", ""))
    if draft is None:
        return _page_closed(request, *typed)
    if not _for_this_application(request, draft):
        return _other_application(request, *typed)
    form = forms.NewsForm(request.POST)
    if not form.is_valid():
        return _status_page(request, draft, news_form=form, status=400)
    contact = replies.Contact(
        email=form.cleaned_data["email"],
        phone=form.cleaned_data.get("phone", ""),
        stop=form.cleaned_data["stop"],
    )
    try:
        replies.reply_send(
            replies.Outgoing.begin(draft),
            language=get_language(),
            contact=contact,
            once=request.POST.get("once") or None,
        )
    except replies.AlreadySent:
        return redirect("intake:status")
    except replies.ReplyError as refused:
        for message in refused.messages:
            form.add_error(None, message)
        return _status_page(request, draft, news_form=form, status=400)
    if contact.stop:
        messages.success(request, _("We will send you no more messages."))
    else:
        messages.success(
            request,
            _(
                "Thank you. When there is news, we will send a short message, with nothing "
                "else in it."
            ),
        )
    return redirect("intake:status")


@login_not_required
@require_POST
def status_close(request: HttpRequest) -> HttpResponse:
    """Close the application's page in this browser (a shared phone)."""
    replies.forget_access(request)
    session.forget_sent(request)
    messages.info(request, _("The page is closed. Your reference and code open it again."))
    return redirect("intake:status")
