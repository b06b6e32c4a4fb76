"""The staff and attorney side. Every view here needs a signed-in user (LoginRequiredMiddleware).

Views are thin: they fetch the case with ``case_for`` (404 for a case the user may not see), ask
cases/rules.py what the user may do (403 for an action they may not take), validate a form, call
cases.workflow or cases.services, and turn their domain errors into messages. Every change is a
POST; its GET is a confirmation page.
"""

import functools
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cases import (
    decisions,
    forms,
    law,
    notifications,
    rules,
    screening,
    services,
    uploads,
    workflow,
)
from cases.counts import counts_by_state
from cases.filters import DeadlineFilter, PipelineFilter
from cases.models import (
    FOLLOW_UP_KINDS,
    NEXT_STEP,
    OPEN_STATES,
    Case,
    Deadline,
    DeadlineKind,
    NotificationKind,
    State,
    has_attorney,
    has_client_sign_off,
)
from cases.screening_forms import ConsentForm
from cases.services import CaseConflict, CaseError, CaseForbidden
from cases.urgency import UrgencyReason
from clemency.audit.log import record
from clemency.common import filetypes
from clemency.common.status import InfoItem
from clemency.security import casekeys
from clemency.security.storage import EncryptingUploadHandler
from intake.answers import answer_sections

PAGE_SIZE = 50


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

    def form(self, case: Case, user, data=None, **kwargs) -> forms.ActionForm:
        """The action's form, for this case and this user."""
        return self.form_class(data, case=case, user=user, **kwargs)


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
        "decide", gettext_lazy("Record the decision"), forms.DecideForm, decisions.case_decide
    ),
    "close": Action(
        "close", gettext_lazy("Close or decline"), forms.CloseForm, workflow.case_close, danger=True
    ),
    "reopen": Action("reopen", gettext_lazy("Reopen"), forms.ReasonForm, workflow.case_reopen),
}


OTHER_EVENTS = {
    "urgency_set": gettext_lazy("Urgency changed"),
    "screening_updated": gettext_lazy("Screening saved"),
    "conviction_added": gettext_lazy("Conviction added"),
    "conviction_changed": gettext_lazy("Conviction changed"),
    "consent_recorded": gettext_lazy("The person's own consent recorded"),
    "applied_again": gettext_lazy("Applied again (linked cases)"),
    "deadline_added": gettext_lazy("Deadline added"),
    "deadline_changed": gettext_lazy("Deadline moved"),
    "deadline_closed": gettext_lazy("Deadline closed"),
    "applicant_replied": gettext_lazy("The applicant sent what was asked"),
}


def event_label(action: str) -> str:
    by_name = {item.name: item.label for item in ACTIONS.values()}
    return str(by_name.get(action) or OTHER_EVENTS.get(action) or action)


def case_actions(case: Case, user) -> tuple[list[tuple[str, Action]], list[tuple[Action, str]]]:
    """The actions this user may take on the case now (its buttons), and those they could take
    at this stage but for a missing piece, with what is missing."""
    available, blocked = [], []
    for slug, action in ACTIONS.items():
        if not (rules.possible_now(case, action.name) and rules.may(case, user, action.name)):
            continue
        if missing := rules.why_blocked(case, action.name, provided=action.form_provides):
            blocked.append((action, missing))
        else:
            available.append((slug, action))
    return available, blocked


def case_for(user, case_id: uuid.UUID) -> Case:
    """The case, if this user may see it; else 404 (whether or not it exists)."""
    case = Case.objects.visible_to(user).live().select_related("assigned_attorney")
    case = case.filter(pk=case_id).first()
    if case is None:
        raise Http404
    return case


def workspace(rule):
    """A list page for the users the rule lets in; 403 for everyone else."""

    def decorate(view):
        def wrapper(request, *args, **kwargs):
            rules.require(rule(request.user))
            return view(request, *args, **kwargs)

        return functools.wraps(view)(wrapper)

    return decorate


# --- Lists ----------------------------------------------------------------------------------------


def _queue(queryset):
    """Most urgent first, then the oldest; with what a row shows, in one query."""
    return queryset.select_related("assigned_attorney").order_by("urgency", "created_at", "id")


# What ``_rows`` reads of a case: a list loads only these columns (not the wrapped key, the
# information asked for, or the attorney's password hash), with ``only()``.
ROW_FIELDS = (
    "reference",
    "state",
    "state_changed_at",
    "urgency",
    "next_deadline",
    "next_deadline_kind",
    "language",
    "assigned_attorney__email",
)


def _rows(cases) -> list[dict]:
    """What a case list shows of each case, as plain values: the template only prints them.
    Labels, the time and the date are worked out once per page, not once per row."""
    states = {value: str(label) for value, label in State.choices}
    languages = {code: str(name) for code, name in settings.LANGUAGES}
    steps = {state: str(text) for state, text in NEXT_STEP.items()}
    kinds = {value: str(label) for value, label in DeadlineKind.choices}
    now, today = timezone.now(), timezone.localdate()
    return [
        {
            "url": case.get_absolute_url(),
            "reference": case.reference,
            "state": states[case.state],
            "urgency": case.urgency,
            "days": (now - case.state_changed_at).days,
            "stuck": case.state in OPEN_STATES
            and (now - case.state_changed_at).days > settings.STUCK_AFTER_DAYS,
            "deadline": date_format(case.next_deadline, "SHORT_DATE_FORMAT")
            if case.next_deadline
            else "—",
            "deadline_kind": kinds.get(case.next_deadline_kind, ""),
            "overdue": case.next_deadline is not None and case.next_deadline < today,
            "language": languages.get(case.language, case.language),
            "attorney": case.assigned_attorney.email if case.assigned_attorney else "—",
            "next_step": steps.get(case.state, "—"),
        }
        for case in cases
    ]


class CountedPaginator(Paginator):
    """A paginator given the number of objects, from a count the page has made anyway: Django's
    own would count them again, one more scan of every case in the queue."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self.known_count = count

    @property
    def count(self) -> int:
        return self.known_count


def _without_page(request: HttpRequest) -> str:
    """The list's query string but the page number, for the links to other pages."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_safe
@workspace(rules.sees_all)
def pipeline(request: HttpRequest) -> HttpResponse:
    cases = Case.objects.visible_to(request.user).live()
    counts = counts_by_state(request.user)  # kept by the database (ADR 0019)
    filters = PipelineFilter(request.GET, queryset=cases)
    queue = _queue(filters.qs).only(*ROW_FIELDS)
    if (states := filters.states_alone()) is None:
        paginator = Paginator(queue, PAGE_SIZE)
    else:  # the queue's length is the sum of its states' counts
        paginator = CountedPaginator(queue, PAGE_SIZE, count=sum(counts.get(s, 0) for s in states))
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "cases/pipeline.html",
        {
            "waiting": notifications.waiting_for(request.user),
            "filters": filters,
            "page": page,
            "rows": _rows(page),
            "query": _without_page(request),
            "counts": [(value, label, counts.get(value, 0)) for value, label in State.choices],
        },
    )


@require_safe
@workspace(rules.coordinates)
def coordination(request: HttpRequest) -> HttpResponse:
    filters = DeadlineFilter(request.GET, queryset=Case.objects.visible_to(request.user).live())
    cases = _queue(filters.qs)
    counts = workflow.open_cases_by_attorney(request.user)
    attorneys = [
        (attorney, counts.get(attorney.pk, 0))
        for attorney in workflow.volunteer_attorneys().order_by("email")
    ]
    return render(
        request,
        "cases/coordination.html",
        {
            "waiting": notifications.waiting_for(request.user),
            "filters": filters,
            "to_match": _rows(cases.filter(state=State.ACCEPTED)[:PAGE_SIZE]),
            "to_review": _rows(cases.filter(state=State.QA_REVIEW)[:PAGE_SIZE]),
            "filed": _rows(cases.filter(state=State.SUBMITTED)[:PAGE_SIZE]),
            "attorneys": attorneys,
        },
    )


CALENDAR_WEEKS = 8


@require_safe
@workspace(rules.coordinates)
def calendar(request: HttpRequest) -> HttpResponse:
    """The coming weeks' open deadlines across cases, week by week, by reference (never by
    name); overdue ones first."""
    today = timezone.localdate()
    until = today + timedelta(weeks=CALENDAR_WEEKS)
    live = Case.objects.visible_to(request.user).live()
    due = (
        Deadline.objects.filter(case__in=live, closed_at__isnull=True, due_on__lte=until)
        .select_related("case")
        .only("kind", "due_on", "case__reference", "case__urgency", "case__state")
        .order_by("due_on", "case__urgency")
    )
    weeks: dict[date, list] = {}
    overdue = []
    for deadline in due:
        if deadline.due_on < today:
            overdue.append(deadline)
        else:
            monday = deadline.due_on - timedelta(days=deadline.due_on.weekday())
            weeks.setdefault(monday, []).append(deadline)
    return render(
        request,
        "cases/calendar.html",
        {"overdue": overdue, "weeks": sorted(weeks.items()), "until": until},
    )


@require_safe
@workspace(rules.has_own_cases)
def my_cases(request: HttpRequest) -> HttpResponse:
    filters = DeadlineFilter(request.GET, queryset=Case.objects.visible_to(request.user).live())
    cases = _queue(filters.qs).only(*ROW_FIELDS)
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "cases/my_cases.html",
        {
            "waiting": notifications.waiting_for(request.user),
            "filters": filters,
            "page": page,
            "rows": _rows(page),
            "query": _without_page(request),
        },
    )


# --- One case -------------------------------------------------------------------------------------


@require_safe
def case_detail(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    return _case_page(request, case_for(request.user, case_id))


def _case_page(
    request,
    case,
    *,
    note_form=None,
    urgency_form=None,
    deadline_form=None,
    consent_form=None,
    status=200,
) -> HttpResponse:
    """The case page; forms given back (with their errors and what was typed) replace the empty
    ones."""
    user = request.user
    applicant = getattr(case, "applicant", None)
    record("case.viewed", actor=user, case_id=case.pk)  # what follows is decrypted for the user
    notifications.mark_read(user, case=case)  # what waited for them about it is seen
    can = rules.rights(case, user)
    actions, blocked = case_actions(case, user)
    labels = dict(InfoItem.choices)
    urgency_form = (
        (urgency_form or forms.UrgencyForm(initial={"urgency": case.urgency_override}))
        if can.screen
        else None
    )
    convictions = list(case.convictions.all())
    if can.consent and case.person_consent_on is None:
        consent_form = consent_form or ConsentForm(prefix="consent")
    else:
        consent_form = None
    return render(
        request,
        "cases/case.html",
        {
            "case": case,
            "applicant": applicant,
            "sections": answer_sections(applicant.answers or {}) if applicant else [],
            "convictions": convictions,
            **_person_language(case, applicant),
            "screening_relief": dict(law.Relief.choices).get(
                screening.screening_of(case).get("relief") or "", ""
            ),
            "screening_problems": screening.screening_problems(case, convictions),
            "guidance": screening.guidance_for(case, convictions),
            "outcomes": decisions.outcome_rows(case) if case.outcome else [],
            "follow_ups": list(case.deadlines.filter(kind__in=FOLLOW_UP_KINDS).order_by("due_on")),
            "apply_again": can.screen and decisions.may_apply_again(case),
            "linked": _linked_cases(case, user),
            "consent_form": consent_form,
            # Each with the name it downloads under (the type its content was found to be).
            "documents": [
                (document, filetypes.download_name(document.original_name, document.content_type))
                for document in case.documents.select_related("uploaded_by")
            ],
            "events": [
                (event, event_label(event.action)) for event in case.events.select_related("actor")
            ],
            "info_requested": [labels.get(item, item) for item in case.info_requested],
            "notes": list(case.notes.select_related("author")),
            "duplicates": list(services.possible_duplicates(case, user)),
            "actions": actions,
            "blocked": blocked,
            "can": can,
            "upload_form": forms.UploadForm(kinds=can.upload_kinds) if can.upload_kinds else None,
            "max_upload_mb": settings.CASE_MAX_UPLOAD_MB,
            "note_form": note_form or forms.NoteForm(),
            "urgency_form": urgency_form,
            "deadlines": list(case.deadlines.filter(closed_at__isnull=True)),
            "urgency_reason": dict(UrgencyReason.choices).get(case.urgency_reason, ""),
            "deadline_form": (deadline_form or forms.DeadlineForm(prefix="deadline"))
            if can.deadlines
            else None,
        },
        status=status,
    )


def _person_language(case: Case, applicant) -> dict:
    """The language the person prefers (one the application names, even beyond our six), and
    whether they need an interpreter; else the case's language."""
    person = ((applicant.answers if applicant else None) or {}).get("applicant") or {}
    languages = dict(settings.LANGUAGES)
    if person.get("language") == "other" and person.get("other_language"):
        name = person["other_language"]
    elif person.get("language") in languages:
        name = str(languages[person["language"]])
    else:
        name = case.language_name
    return {"person_language": name, "interpreter": person.get("interpreter") is True}


def _linked_cases(case: Case, user) -> dict:
    """The earlier and the later application of the same person, if this user may see them."""
    visible = Case.objects.visible_to(user).live()
    return {
        "previous": visible.filter(pk=case.previous_case_id).first()
        if case.previous_case_id
        else None,
        "next": visible.filter(previous_case=case).first(),
    }


@require_http_methods(["GET", "POST"])
def case_action(request: HttpRequest, case_id: uuid.UUID, slug: str) -> HttpResponse:
    action = ACTIONS.get(slug)
    if action is None:
        raise Http404
    case = case_for(request.user, case_id)
    rules.require(rules.may(case, request.user, action.name))
    if request.method == "GET":
        form = action.form(case, request.user, initial={"expected_state": case.state})
        return _action_page(request, case, action, form)
    form = action.form(case, request.user, request.POST)
    if form.is_valid():
        try:
            action.run(case=case, actor=request.user, **form.cleaned_data)
        except CaseForbidden:
            rules.require(False)
        except CaseConflict:
            return _conflict_page(request, case, action)
        except CaseError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Done: %(action)s.") % {"action": action.label})
            if Case.objects.visible_to(request.user).filter(pk=case.pk).exists():
                return redirect("cases:case", case_id=case.pk)
            return redirect("accounts:home")
    return _action_page(request, case, action, form, status=400)


def _conflict_page(request, case, action) -> HttpResponse:
    """Someone acted first. Show what the case is now; if the action still makes sense, keep
    what was typed, ready to send again as a decision on the case as it is now."""
    case.refresh_from_db()
    data = request.POST.copy()
    data["expected_state"] = case.state
    form = action.form(case, request.user, data)
    still = rules.possible_now(case, action.name)
    return _action_page(request, case, action, form, conflict=True, still=still, status=409)


def _action_page(
    request, case, action, form, *, conflict=False, still=True, status=200
) -> HttpResponse:
    if getattr(form, "shows_personal_data", False):
        record("case.viewed", actor=request.user, case_id=case.pk, data={"page": action.name})
    return render(
        request,
        "cases/action.html",
        {"case": case, "action": action, "form": form, "conflict": conflict, "still": still},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def case_shred(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    """Erase a closed case for good (retention, or the applicant's request): a coordinator,
    after typing its reference. What remains is its tombstone."""
    if rules.may_see_tombstone(request.user) and (
        Case.objects.visible_to(request.user).filter(pk=case_id, shredded_at__isnull=False).exists()
    ):
        return redirect("cases:tombstone", case_id=case_id)  # erased already (a second click)
    case = case_for(request.user, case_id)
    rules.require(rules.may_shred(case, request.user))
    form = forms.ShredForm(request.POST or None, case=case)
    if request.method == "POST" and form.is_valid():
        try:
            services.case_shred(case=case, actor=request.user, reason=form.cleaned_data["reason"])
        except CaseForbidden:
            rules.require(False)
        except CaseError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Case %(reference)s is erased.") % {"reference": case.reference},
            )
            return redirect("cases:tombstone", case_id=case.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "cases/shred.html",
        {"case": case, "form": form, "keep_days": settings.BACKUP_KEEP_DAYS},
        status=status,
    )


@require_safe
def case_tombstone(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    """What is left of a shredded case, and whether its erasure is final yet (ADR 0015)."""
    if not rules.may_see_tombstone(request.user):
        raise Http404
    shredded = Case.objects.visible_to(request.user).filter(shredded_at__isnull=False)
    case = shredded.filter(pk=case_id).first()
    if case is None:
        raise Http404
    return render(
        request,
        "cases/tombstone.html",
        {
            "case": case,
            "finality": services.shred_finality(case.shredded_at),
            "keep_days": settings.BACKUP_KEEP_DAYS,
        },
    )


@require_POST
def case_deadline_add(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = case_for(request.user, case_id)
    rules.require(rules.may_manage_deadlines(case, request.user))
    form = forms.DeadlineForm(request.POST, prefix="deadline")
    if not form.is_valid():
        return _case_page(request, case, deadline_form=form, status=400)
    workflow.case_add_deadline(case=case, actor=request.user, **form.cleaned_data)
    messages.success(request, _("The deadline is added."))
    return redirect("cases:case", case_id=case.pk)


@require_http_methods(["GET", "POST"])
def case_deadline(request: HttpRequest, case_id: uuid.UUID, deadline_id: uuid.UUID):
    """One open deadline: move it (a new date and why) or close it (met, missed, no longer
    applies)."""
    case = case_for(request.user, case_id)
    rules.require(rules.may_manage_deadlines(case, request.user))
    deadline = case.deadlines.filter(pk=deadline_id, closed_at__isnull=True).first()
    if deadline is None:
        raise Http404
    form = forms.DeadlineChangeForm(request.POST or None, deadline=deadline)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["outcome"]:
                workflow.case_close_deadline(
                    case=case,
                    actor=request.user,
                    deadline_id=deadline.pk,
                    outcome=data["outcome"],
                    reason=data["reason"],
                )
            else:
                workflow.case_change_deadline(
                    case=case,
                    actor=request.user,
                    deadline_id=deadline.pk,
                    due_on=data["due_on"],
                    reason=data["reason"],
                )
        except CaseError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The deadline is updated."))
            return redirect("cases:case", case_id=case.pk)
    return render(
        request,
        "cases/deadline.html",
        {"case": case, "deadline": deadline, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
def notification_choices(request: HttpRequest) -> HttpResponse:
    """How the person wants each kind of notification: at once or in a daily digest."""
    rules.require(rules.sees_all(request.user) or rules.has_own_cases(request.user))
    chosen = dict(request.user.notification_choices.values_list("kind", "digest"))
    initial = {kind: "digest" if chosen.get(kind) else "now" for kind in NotificationKind.values}
    form = forms.NotificationChoicesForm(
        request.POST or None, initial=initial, kinds=NotificationKind.choices
    )
    if request.method == "POST" and form.is_valid():
        notifications.choose(request.user, {k: v == "digest" for k, v in form.cleaned_data.items()})
        messages.success(request, _("Your choices are saved."))
        return redirect("cases:notification-choices")
    return render(
        request,
        "cases/notification_choices.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def notification_done(request: HttpRequest, notification_id: uuid.UUID) -> HttpResponse:
    """Take one item off the person's "waiting for you" list (only their own)."""
    if not notifications.mark_read(request.user, notification_id=notification_id):
        raise Http404
    return redirect("accounts:home")


@require_POST
def case_note(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = case_for(request.user, case_id)
    form = forms.NoteForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case, note_form=form, status=400)
    workflow.case_add_note(case=case, actor=request.user, text=form.cleaned_data["text"])
    messages.success(request, _("The note is added."))
    return redirect("cases:case", case_id=case.pk)


@require_POST
def case_urgency(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    case = case_for(request.user, case_id)
    rules.require(rules.may_screen(case, request.user))
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
    case = case_for(request.user, case_id)
    kinds = rules.upload_kinds(case, request.user)
    rules.require(bool(kinds))
    key = casekeys.case_key(case)
    room = uploads.allowance(case)
    handler = EncryptingUploadHandler(
        request,
        key=key.key,
        case_id=case.pk,
        key_version=key.version,
        max_size=settings.CASE_MAX_UPLOAD_MB * uploads.MB,
        max_files=room.files,
        max_total=room.bytes,
    )
    request.upload_handlers = [handler]
    return _document_upload(request, case, kinds, handler, room)


@csrf_protect  # ...and the CSRF check runs here, once it has been
def _document_upload(request, case, kinds, handler, room) -> HttpResponse:
    form = forms.UploadForm(request.POST, kinds=kinds)
    files = request.FILES.getlist("file")
    for message in uploads.rejection_messages(handler.rejections, room=room):
        messages.error(request, message)
    if not files and not handler.rejections:
        messages.error(request, _("Choose a file first."))
    elif files and not form.is_valid():
        messages.error(request, _("Choose the kind of document."))
    elif files:
        for upload in files:
            try:
                services.document_store(
                    case=case, actor=request.user, kind=form.cleaned_data["kind"], upload=upload
                )
            except CaseForbidden:
                rules.require(False)
            except CaseError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, _("The file is added."))
    return redirect("cases:case", case_id=case.pk)


# Nothing a browser shows of a document may run: no script, no plug-in, no form, no framing.
DOCUMENT_POLICY = "default-src 'none'; sandbox; frame-ancestors 'none'"


@require_safe
def document_download(
    request: HttpRequest, case_id: uuid.UUID, document_id: uuid.UUID
) -> StreamingHttpResponse:
    """Always an attachment, named after the type its content was found to be (whatever name
    it came with: clemency/common/filetypes.py ``download_name``), sent as that type."""
    case = case_for(request.user, case_id)
    document = case.documents.filter(pk=document_id).first()
    if document is None:
        raise Http404
    content_type = document.content_type
    if content_type not in filetypes.EXTENSIONS:
        content_type = "application/octet-stream"
    response = StreamingHttpResponse(
        services.document_read(document=document, actor=request.user), content_type=content_type
    )
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=filetypes.download_name(document.original_name, content_type)
    )
    response["Content-Length"] = str(document.size)
    response["Content-Security-Policy"] = DOCUMENT_POLICY
    return response
