"""The staff and attorney side. Every view here needs a signed-in user (LoginRequiredMiddleware).

Views are thin: they fetch the case through cases.access (404 for a case the user may not see,
403 for an action they may not take), validate a form, call cases.workflow, and turn its domain
errors into messages. Every change is a POST; its GET is a confirmation page.
"""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cases import access, forms, workflow
from cases.models import (
    OPEN_STATES,
    VIEW_ALL,
    Case,
    InfoItem,
    State,
    has_attorney,
    has_client_sign_off,
)
from cases.services import (
    CaseConflict,
    CaseError,
    CaseForbidden,
    document_read,
    possible_duplicates,
)
from clemency.audit.log import record
from clemency.security import casekeys
from clemency.security.storage import EncryptingUploadHandler
from intake.answers import answer_sections

PAGE_SIZE = 50
MAX_UPLOAD_MB = 50


@dataclass(frozen=True)
class Action:
    name: str  # the transition on Case
    label: Promise
    form_class: type[forms.ActionForm]
    run: object  # the workflow function
    danger: bool = False
    form_provides: tuple = ()  # conditions that the action's own form fulfils

    @property
    def needs_input(self) -> bool:
        """More than the hidden expected state: the action has its own page."""
        return len(self.form_class.base_fields) > 1


ACTIONS: dict[str, Action] = {
    "start-review": Action(
        "start_review",
        gettext_lazy("Start screening"),
        forms.ActionForm,
        workflow.case_start_review,
    ),
    "request-info": Action(
        "request_info",
        gettext_lazy("Ask the applicant for more"),
        forms.RequestInfoForm,
        workflow.case_request_info,
    ),
    "resume-review": Action(
        "resume_review",
        gettext_lazy("Information received: back to screening"),
        forms.ActionForm,
        workflow.case_resume_review,
    ),
    "accept": Action("accept", gettext_lazy("Accept"), forms.ActionForm, workflow.case_accept),
    "assign": Action(
        "assign",
        gettext_lazy("Match a volunteer attorney"),
        forms.AssignForm,
        workflow.case_assign,
        form_provides=(has_attorney,),
    ),
    "reassign": Action(
        "reassign",
        gettext_lazy("Give to another attorney"),
        forms.ReassignForm,
        workflow.case_reassign,
    ),
    "release": Action(
        "release",
        gettext_lazy("Release the attorney"),
        forms.ReasonForm,
        workflow.case_release,
        danger=True,
    ),
    "request-review": Action(
        "request_review",
        gettext_lazy("Ask for review of the draft"),
        forms.ActionForm,
        workflow.case_request_review,
    ),
    "ask-changes": Action(
        "ask_changes", gettext_lazy("Ask for changes"), forms.ReasonForm, workflow.case_ask_changes
    ),
    "submit": Action(
        "submit",
        gettext_lazy("Approve and record the filing"),
        forms.SubmitForm,
        workflow.case_submit,
        form_provides=(has_client_sign_off,),
    ),
    "decide": Action(
        "decide", gettext_lazy("Record the decision"), forms.DecideForm, workflow.case_decide
    ),
    "close": Action(
        "close", gettext_lazy("Close or decline"), forms.CloseForm, workflow.case_close, danger=True
    ),
    "reopen": Action("reopen", gettext_lazy("Reopen"), forms.ReasonForm, workflow.case_reopen),
}


OTHER_EVENTS = {
    "urgency_set": gettext_lazy("Urgency changed"),
    "screening_updated": gettext_lazy("Screening checklist saved"),
}


def event_label(action: str) -> str:
    by_name = {item.name: item.label for item in ACTIONS.values()}
    return str(by_name.get(action) or OTHER_EVENTS.get(action) or action)


def case_actions(case: Case, user) -> tuple[list[tuple[str, Action]], list[tuple[Action, str]]]:
    """The actions this user may take on the case now (its buttons), and those they could take
    at this stage but for a missing piece, with what is missing."""
    available, blocked = [], []
    for slug, action in ACTIONS.items():
        chosen = getattr(case, action.name)._django_fsm.get_transition(case.state)
        if chosen is None or not chosen.has_perm(case, user):
            continue
        unmet = [
            condition
            for condition in chosen.conditions
            if condition not in action.form_provides and not condition(case)
        ]
        if unmet:
            blocked.append((action, workflow.unmet(unmet[0])))
        else:
            available.append((slug, action))
    return available, blocked


# --- Lists ----------------------------------------------------------------------------------------


def _queue(queryset):
    """Most urgent first, then the oldest; with what a row shows, in one query."""
    return queryset.select_related("assigned_attorney").order_by("urgency", "created_at", "id")


def _rows(cases) -> list[dict]:
    """What a list shows of each case, worked out once per page rather than once per cell."""
    states = {value: str(label) for value, label in State.choices}
    steps = {state: str(text) for state, text in NEXT_STEP.items()}
    languages = {code: str(name) for code, name in settings.LANGUAGES}
    now, today = timezone.now(), timezone.localdate()
    base = reverse("cases:case", kwargs={"case_id": uuid.UUID(int=0)}).replace(
        str(uuid.UUID(int=0)), "{}"
    )
    return [
        {
            "url": base.format(case.pk),
            "reference": case.reference,
            "state": states.get(case.state, case.state),
            "urgency": case.urgency,
            "days": (now - case.state_changed_at).days,
            "deadline": date_format(case.next_deadline, "SHORT_DATE_FORMAT")
            if case.next_deadline
            else "—",
            "overdue": case.next_deadline is not None and case.next_deadline < today,
            "language": languages.get(case.language, case.language),
            "attorney": case.assigned_attorney.email if case.assigned_attorney else "—",
            "next_step": steps.get(case.state, "—"),
        }
        for case in cases
    ]


@require_safe
@permission_required(VIEW_ALL, raise_exception=True)
def pipeline(request: HttpRequest) -> HttpResponse:
    live = Case.objects.filter(shredded_at__isnull=True)
    counts = dict(live.values_list("state").annotate(n=Count("id")).order_by())
    form = forms.PipelineFilterForm(request.GET or None)
    cases = live
    # Unfiltered, the queue's length is the sum of the open states' counts: no second scan.
    known_total = sum(counts.get(state, 0) for state in OPEN_STATES)
    if form.is_bound:
        form.is_valid()  # a value it cannot use is left out (and shown), the others still apply
    data = dict.fromkeys(form.fields) | getattr(form, "cleaned_data", {})
    filtered = any(data.values())
    if filtered:
        if data["q"]:
            cases = cases.filter(reference__icontains=data["q"].strip())
        cases = cases.filter(state=data["state"]) if data["state"] else cases.open()
        if data["urgency"]:
            cases = cases.filter(urgency=data["urgency"])
        if data["county"]:
            cases = cases.filter(convictions__county=data["county"]).distinct()
        if data["language"]:
            cases = cases.filter(language=data["language"])
        if data["attorney"]:
            cases = cases.filter(assigned_attorney_id=data["attorney"])
        if data["overdue"]:
            cases = cases.filter(next_deadline__lt=timezone.localdate())
    else:
        cases = cases.open()
    paginator = Paginator(_queue(cases), PAGE_SIZE)
    if not filtered:
        paginator.count = known_total  # a cached_property: set, it is not computed
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/pipeline.html",
        {
            "form": form,
            "ignored": [
                str(form.fields[name].label) for name in form.errors if name in form.fields
            ],
            "selects": [
                form[name] for name in ("state", "urgency", "county", "language", "attorney")
            ],
            "page": page,
            "rows": _rows(page),
            "query": query.urlencode(),
            "counts": [(value, label, counts.get(value, 0)) for value, label in State.choices],
        },
    )


@require_safe
@permission_required("accounts.use_coordination_workspace", raise_exception=True)
def coordination(request: HttpRequest) -> HttpResponse:
    live = _queue(Case.objects.filter(shredded_at__isnull=True))
    counts = workflow.open_cases_by_attorney()
    attorneys = [
        (attorney, counts.get(attorney.pk, 0))
        for attorney in workflow.volunteer_attorneys().order_by("email")
    ]
    return render(
        request,
        "cases/coordination.html",
        {
            "to_match": _rows(live.filter(state=State.ACCEPTED)[:PAGE_SIZE]),
            "to_review": _rows(live.filter(state=State.QA_REVIEW)[:PAGE_SIZE]),
            "filed": _rows(live.filter(state=State.SUBMITTED)[:PAGE_SIZE]),
            "attorneys": attorneys,
        },
    )


NEXT_STEP = {
    State.DRAFTING: gettext_lazy("Draft the petition, upload it, then ask for review."),
    State.QA_REVIEW: gettext_lazy("The coordinator is reviewing your draft."),
    State.SUBMITTED: gettext_lazy("Filed with the Governor; waiting for the decision."),
    State.DECIDED: gettext_lazy("Decided. Follow-up notes are still welcome."),
}


@require_safe
@permission_required("accounts.use_attorney_workspace", raise_exception=True)
def my_cases(request: HttpRequest) -> HttpResponse:
    cases = _queue(Case.objects.visible_to(request.user).filter(shredded_at__isnull=True))
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cases/my_cases.html", {"page": page, "rows": _rows(page)})


# --- One case -------------------------------------------------------------------------------------


@require_safe
def case_detail(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    return _case_page(request, access.case_for(request.user, case_id))


def _case_page(request, case, *, note_form=None, urgency_form=None, status=200) -> HttpResponse:
    """The case page; forms given back (with their errors and what was typed) replace the empty
    ones."""
    user = request.user
    applicant = getattr(case, "applicant", None)
    screening = getattr(case, "screening", None)
    record("case.viewed", actor=user, case_id=case.pk)  # what follows is decrypted for the user
    staff = user.has_perm(VIEW_ALL)
    screener = workflow.can_screen(case, user)
    kinds = access.upload_kinds(case, user)
    actions, blocked = case_actions(case, user)
    return render(
        request,
        "cases/case.html",
        {
            "case": case,
            "language": dict(settings.LANGUAGES).get(case.language, case.language),
            "applicant": applicant,
            "sections": answer_sections(applicant.answers or {}) if applicant else [],
            "convictions": list(case.convictions.all()),
            "documents": list(case.documents.select_related("uploaded_by")),
            "events": [
                (event, event_label(event.action)) for event in case.events.select_related("actor")
            ],
            "info_requested": [dict(InfoItem.choices).get(i, i) for i in case.info_requested],
            "notes": list(case.notes.select_related("author")),
            "duplicates": list(possible_duplicates(case)) if staff else [],
            "actions": actions,
            "blocked": blocked,
            "upload_form": forms.UploadForm(kinds=kinds) if kinds else None,
            "max_upload_mb": MAX_UPLOAD_MB,
            "note_form": note_form or forms.NoteForm(),
            "screening_form": forms.ScreeningForm(initial=screening.answers if screening else {})
            if screener
            else None,
            "urgency_form": urgency_form or forms.UrgencyForm(initial={"urgency": case.urgency})
            if screener
            else None,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def case_action(request: HttpRequest, case_id: uuid.UUID, slug: str) -> HttpResponse:
    action = ACTIONS.get(slug)
    if action is None:
        raise Http404
    case = access.case_for(request.user, case_id)
    access.require(workflow.may(case, request.user, action.name))
    extra = {}
    if action.form_class in (forms.AssignForm, forms.ReassignForm):
        extra["open_counts"] = workflow.open_cases_by_attorney()
    if action.form_class is forms.DecideForm:
        extra["filed_on"] = case.filed_on
    if request.method == "GET":
        form = action.form_class(initial={"expected_state": case.state}, **extra)
        return _action_page(request, case, action, form)
    form = action.form_class(request.POST, **extra)
    if form.is_valid():
        try:
            action.run(case=case, actor=request.user, **form.cleaned_data)
        except CaseForbidden:
            access.require(False)
        except CaseConflict:
            return _conflict_page(request, case, action, extra)
        except CaseError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Done: %(action)s.") % {"action": action.label})
            if Case.objects.visible_to(request.user).filter(pk=case.pk).exists():
                return redirect("cases:case", case_id=case.pk)
            return redirect("accounts:home")
    return _action_page(request, case, action, form, status=400)


def _conflict_page(request, case, action, extra) -> HttpResponse:
    """Someone acted first. Show what the case is now; if the action still makes sense, keep
    what was typed, ready to send again as a decision on the case as it is now."""
    case.refresh_from_db()
    data = request.POST.copy()
    data["expected_state"] = case.state
    form = action.form_class(data, **extra)
    still = getattr(case, action.name)._django_fsm.get_transition(case.state) is not None
    return _action_page(request, case, action, form, conflict=True, still=still, status=409)


def _action_page(
    request, case, action, form, *, conflict=False, still=True, status=200
) -> HttpResponse:
    return render(
        request,
        "cases/action.html",
        {"case": case, "action": action, "form": form, "conflict": conflict, "still": still},
        status=status,
    )


@require_POST
def case_note(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = access.case_for(request.user, case_id)
    form = forms.NoteForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case, note_form=form, status=400)
    workflow.case_add_note(case=case, actor=request.user, text=form.cleaned_data["text"])
    messages.success(request, _("The note is added."))
    return redirect("cases:case", case_id=case.pk)


@require_POST
def case_screening(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = access.case_for(request.user, case_id)
    access.require(workflow.can_screen(case, request.user))
    form = forms.ScreeningForm(request.POST)
    form.is_valid()  # booleans: always valid
    workflow.case_update_screening(case=case, actor=request.user, answers=form.cleaned_data)
    messages.success(request, _("The checklist is saved."))
    return redirect("cases:case", case_id=case.pk)


@require_POST
def case_urgency(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = access.case_for(request.user, case_id)
    access.require(workflow.can_screen(case, request.user))
    form = forms.UrgencyForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case, urgency_form=form, status=400)
    workflow.case_set_urgency(case=case, actor=request.user, **form.cleaned_data)
    messages.success(request, _("The urgency is changed."))
    return redirect("cases:case", case_id=case.pk)


# --- Documents ------------------------------------------------------------------------------------


@csrf_exempt  # the body must not be read before the encrypting handler is installed...
@require_POST
def document_upload(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = access.case_for(request.user, case_id)
    kinds = access.upload_kinds(case, request.user)
    access.require(bool(kinds))
    key = casekeys.case_key(case)
    handler = EncryptingUploadHandler(
        request,
        key=key.key,
        case_id=case.pk,
        key_version=key.version,
        max_size=MAX_UPLOAD_MB * 1024 * 1024,
    )
    request.upload_handlers = [handler]
    return _document_upload(request, case, kinds, handler)


@csrf_protect  # ...and the CSRF check runs here, once it has been
def _document_upload(request, case, kinds, handler) -> HttpResponse:
    form = forms.UploadForm(request.POST, kinds=kinds)
    uploads = request.FILES.getlist("file")
    if handler.rejections:
        messages.error(
            request,
            _("The file is too large. Each file can be up to %(size)s MB.")
            % {"size": MAX_UPLOAD_MB},
        )
    elif not uploads:
        messages.error(request, _("Choose a file first."))
    elif not form.is_valid():
        messages.error(request, _("Choose the kind of document."))
    else:
        for upload in uploads:
            try:
                workflow.document_add_upload(
                    case=case, actor=request.user, upload=upload, kind=form.cleaned_data["kind"]
                )
            except CaseError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, _("The file is added."))
    return redirect("cases:case", case_id=case.pk)


@require_safe
def document_download(
    request: HttpRequest, case_id: uuid.UUID, document_id: uuid.UUID
) -> StreamingHttpResponse:
    case = access.case_for(request.user, case_id)
    document = case.documents.filter(pk=document_id).first()
    if document is None:
        raise Http404
    response = StreamingHttpResponse(
        document_read(document=document, actor=request.user),
        content_type=document.content_type or "application/octet-stream",
    )
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=document.original_name or f"{document.pk}"
    )
    response["Content-Length"] = str(document.size)
    return response
