"""The case workflow (DESIGN.md §6, §7): every change of state, assignment and note.

Each function is ``case_<verb>(*, case, actor, expected_state, ...)``: keyword-only, atomic,
writing its CaseEvent and audit entry in the same transaction. ``expected_state`` is the state
the user saw when they pressed the button: if the case has moved on since (someone else acted
first), nothing is changed and CaseConflict says to reload. A transition locks the case row and
checks every rule again against it, so of two requests racing on the same case the second waits
and then finds the case changed; ConcurrentTransitionMixin (the state in the UPDATE's WHERE)
guards any save that does not go through here.
"""

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import ConcurrentTransition
from guardian.shortcuts import assign_perm

from cases import deadlines, law, notifications, outreach, rules
from cases.models import (
    DECLINES,
    KEY_COLUMNS,
    Case,
    CaseEvent,
    CaseUserObjectPermission,
    ClosureReason,
    Deadline,
    DeadlineKind,
    DeadlineOutcome,
    DeadlineSource,
    FilingChannel,
    Note,
    State,
    Urgency,
)
from cases.publication import publish_status
from cases.services import CaseConflict, CaseError, CaseForbidden
from clemency.accounts.roles import Role
from clemency.audit.log import record
from clemency.common.status import InfoItem

INFO_DEADLINE = timedelta(days=30)
FINGERPRINT_WARNING = gettext_lazy(
    "This person was deported before, or is outside the United States. A New York rap sheet "
    "needs fingerprints, and a fingerprint-based record request can alert immigration "
    "enforcement. Ask for it only if the person knows this and still wants it: confirm below."
)
# The states in which a case is in an attorney's hands.
ATTORNEY_STATES = (State.DRAFTING, State.QA_REVIEW, State.SUBMITTED)


def _forbidden() -> CaseForbidden:
    return CaseForbidden(_("You may not do this on this case."))


def _conflict() -> CaseConflict:
    return CaseConflict(_("This case was changed by someone else. Reload it and try again."))


def _snapshot(case: Case) -> dict[str, object]:
    """The writable columns' values, by field name."""
    return {
        field.name: field.value_from_object(case)
        for field in Case._meta.concrete_fields
        if not field.primary_key and field.name not in KEY_COLUMNS
    }


def _fire(
    case: Case,
    actor,
    action: str,
    expected_state: str,
    *,
    set_fields: dict | None = None,
    reason: str | None = None,
    data: dict | None = None,
    due: date | None = None,
    system: bool = False,
    **arguments,
) -> CaseEvent:
    """Fire a transition on the case as the user saw it, or refuse and change nothing.

    The row is locked and every rule checked again against it: a case that moved on, or changed
    hands, since the user loaded it is a conflict. Only the columns the transition changes are
    written, so a concurrent change to another column (urgency, say) is never undone.
    """
    # ``system``: the daily job acting on its own (no actor), for the few steps it takes.
    if system and actor is not None:
        raise ValueError("A step the system takes has no actor.")
    if not system and not rules.may(case, actor, action):
        raise _forbidden()
    if case.state != expected_state:
        raise _conflict()
    set_fields = set_fields or {}
    try:
        with transaction.atomic():
            locked = Case.objects.select_for_update().get(pk=case.pk)
            if (
                locked.state != expected_state
                or locked.assigned_attorney_id != case.assigned_attorney_id
            ):
                raise _conflict()
            if not system and not rules.may(locked, actor, action):
                raise _forbidden()
            if not rules.possible_now(locked, action):
                raise CaseError(_("This cannot be done at this stage of the case."))
            for name, value in set_fields.items():
                setattr(locked, name, value)
            if blocked := rules.why_blocked(locked, action):
                raise CaseError(blocked)
            before = _snapshot(locked)
            getattr(locked, action)(**arguments)
            after = _snapshot(locked)
            changed = {name for name in after if after[name] != before[name]} | set(set_fields)
            locked.save(update_fields=sorted(changed | {"state", "updated_at"}))
            deadlines.follow_transition(locked, action, due=due)  # ``due``: what it opens
            event = CaseEvent.objects.create(
                case=locked,
                actor=actor,
                action=action,
                from_state=expected_state,
                to_state=locked.state,
                reason=reason or None,
                data=data or {},
            )
            record(
                f"case.{action}",
                actor=actor,
                case_id=locked.pk,
                data={"from": expected_state, "to": locked.state, **(data or {})},
            )
            if publish_status(locked):  # "there is news", to an applicant who asked
                outreach.announce(locked, occasion=f"event:{event.pk}")
            notifications.after_transition(locked, action, occasion=str(event.pk))
    except ConcurrentTransition:
        raise _conflict() from None
    case.refresh_from_db()
    return event


def _revoke_attorneys(case: Case) -> None:
    CaseUserObjectPermission.objects.filter(content_object=case).delete()


def _grant_attorney(case: Case, attorney) -> None:
    for codename in rules.ATTORNEY_PERMISSIONS:
        assign_perm(codename, attorney, case)


def _require_may(case: Case, actor, action: str) -> None:
    """For services that check their input before firing: the rule first, so that someone who may
    not act learns nothing about the case from a validation message."""
    if not rules.may(case, actor, action):
        raise _forbidden()


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise CaseError(_("Please give a reason."))
    return reason


def _require_choice(value: str, choices) -> str:
    if value not in choices.values:
        raise CaseError(_("Please choose one of the options."))
    return value


def volunteer_attorneys():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(
        is_active=True, groups__name=Role.VOLUNTEER_ATTORNEY.value
    )


def _require_attorney(attorney):
    if attorney is None or not volunteer_attorneys().filter(pk=attorney.pk).exists():
        raise CaseError(_("Choose a volunteer attorney."))
    return attorney


# --- Screening (staff and coordinators) -----------------------------------------------------------


def case_start_review(*, case: Case, actor, expected_state: str) -> CaseEvent:
    return _fire(case, actor, "start_review", expected_state)


def case_request_info(
    *,
    case: Case,
    actor,
    expected_state: str,
    items: list[str],
    reason: str = "",
    fingerprint_risk_confirmed: bool = False,
) -> CaseEvent:
    """Ask the applicant for more (shown on their status page); a month to answer.

    A New York rap sheet is got with fingerprints, and for a person deported before a
    fingerprint match can reach immigration enforcement: it is asked of such a person only
    when staff confirm they have weighed that (``fingerprint_risk_confirmed``)."""
    _require_may(case, actor, "request_info")
    items = [item for item in items if item in InfoItem.values]
    if not items:
        raise CaseError(_("Choose at least one thing to ask for."))
    from cases.screening import deported_before

    warned = InfoItem.RAP_SHEET in items and deported_before(case)
    if warned and not fingerprint_risk_confirmed:
        raise CaseError(str(FINGERPRINT_WARNING))
    deadline = timezone.localdate() + INFO_DEADLINE
    return _fire(
        case,
        actor,
        "request_info",
        expected_state,
        reason=reason.strip(),
        data={"items": items, **({"fingerprint_risk_confirmed": True} if warned else {})},
        items=items,
        due=deadline,
    )


def case_resume_review(*, case: Case, actor, expected_state: str) -> CaseEvent:
    return _fire(case, actor, "resume_review", expected_state)


def case_accept(*, case: Case, actor, expected_state: str) -> CaseEvent:
    return _fire(case, actor, "accept", expected_state)


def case_close(
    *,
    case: Case,
    actor,
    expected_state: str,
    closure_reason: str,
    reason: str,
    referrals: list[str] | None = None,
) -> CaseEvent:
    """Close with a reason code and words; attorneys lose access. Declining (not eligible, or
    no capacity) needs a referral too (law.Referral codes): the applicant's status page shows
    each as a fixed sentence in their language."""
    _require_choice(closure_reason, ClosureReason)
    reason = _require_reason(reason)
    referrals = sorted(set(referrals or []))
    if any(code not in law.Referral.values for code in referrals):
        raise CaseError(_("Please choose one of the options."))
    if closure_reason in DECLINES and not referrals:
        raise CaseError(_("When you decline, say where the person can turn instead."))
    if closure_reason not in DECLINES:
        referrals = []
    with transaction.atomic():
        event = _fire(
            case,
            actor,
            "close",
            expected_state,
            reason=reason,
            data={
                "closure_reason": closure_reason,
                "previous_attorney": case.assigned_attorney_id,
                "referrals": referrals,
            },
            closure_reason=closure_reason,
            referrals=referrals,
        )
        _revoke_attorneys(case)
    return event


UNRESPONSIVE_AFTER = timedelta(days=30)


def cases_close_unresponsive(*, today: date) -> int:
    """Close, as unresponsive, every case still waiting for the applicant 30 days after the
    information was due (staff extend it by moving that deadline). Daily; a case closed is not
    closed again. Returns how many were closed."""
    closed = 0
    for case in deadlines.waiting_for_the_applicant(due_before=today - UNRESPONSIVE_AFTER):
        try:
            with transaction.atomic():
                _fire(
                    case,
                    None,
                    "close",
                    State.NEEDS_INFO,
                    system=True,
                    data={"closure_reason": ClosureReason.UNRESPONSIVE, "automatic": True},
                    closure_reason=ClosureReason.UNRESPONSIVE,
                )
                _revoke_attorneys(case)
        except CaseConflict:
            continue  # staff acted on it meanwhile
        closed += 1
    return closed


def case_reopen(*, case: Case, actor, expected_state: str, reason: str) -> CaseEvent:
    return _fire(case, actor, "reopen", expected_state, reason=_require_reason(reason))


# --- Coordination -------------------------------------------------------------------------------


def case_assign(
    *, case: Case, actor, expected_state: str, attorney, deadline: date | None = None
) -> CaseEvent:
    """Match a volunteer attorney: they get view and work permissions on this case only."""
    _require_may(case, actor, "assign")
    _require_attorney(attorney)
    with transaction.atomic():
        event = _fire(
            case,
            actor,
            "assign",
            expected_state,
            set_fields={"assigned_attorney": attorney},
            data={"attorney": attorney.pk},
            due=deadline,
        )
        _grant_attorney(case, attorney)
    return event


def case_reassign(*, case: Case, actor, expected_state: str, attorney, reason: str) -> CaseEvent:
    """Hand a case in drafting to another attorney; the first loses access."""
    _require_may(case, actor, "reassign")
    _require_attorney(attorney)
    reason = _require_reason(reason)
    if attorney.pk == case.assigned_attorney_id:
        raise CaseError(_("This attorney already has the case."))
    previous = case.assigned_attorney_id
    with transaction.atomic():
        event = _fire(
            case,
            actor,
            "reassign",
            expected_state,
            set_fields={"assigned_attorney": attorney},
            reason=reason,
            data={"attorney": attorney.pk, "previous_attorney": previous},
        )
        _revoke_attorneys(case)
        _grant_attorney(case, attorney)
    return event


def case_release(*, case: Case, actor, expected_state: str, reason: str) -> CaseEvent:
    """The volunteer steps back: the case waits for a new match; they lose access."""
    reason = _require_reason(reason)
    previous = case.assigned_attorney_id
    with transaction.atomic():
        event = _fire(
            case,
            actor,
            "release",
            expected_state,
            reason=reason,
            data={"previous_attorney": previous},
        )
        _revoke_attorneys(case)
    return event


def case_request_review(*, case: Case, actor, expected_state: str) -> CaseEvent:
    return _fire(case, actor, "request_review", expected_state)


def case_ask_changes(*, case: Case, actor, expected_state: str, reason: str) -> CaseEvent:
    return _fire(case, actor, "ask_changes", expected_state, reason=_require_reason(reason))


def case_submit(
    *,
    case: Case,
    actor,
    expected_state: str,
    filed_on: date,
    channel: str,
    signed_off_on: date,
) -> CaseEvent:
    """Record the filing with the Executive Clemency Bureau: date, channel, the client's sign-off.
    The final petition and a proof of filing must be uploaded first."""
    _require_choice(channel, FilingChannel)
    return _fire(
        case,
        actor,
        "submit",
        expected_state,
        set_fields={"client_signed_off_on": signed_off_on},
        data={"channel": channel},
        filed_on=filed_on,
        channel=channel,
    )


# --- Changes that are not transitions ------------------------------------------------------------


def _event(case: Case, actor, action: str, *, reason=None, data=None) -> CaseEvent:
    event = CaseEvent.objects.create(
        case=case,
        actor=actor,
        action=action,
        from_state=case.state,
        to_state=case.state,
        reason=reason,
        data=data or {},
    )
    record(f"case.{action}", actor=actor, case_id=case.pk, data=data or {})
    return event


def case_set_urgency(*, case: Case, actor, urgency: str, reason: str) -> CaseEvent:
    """Staff override of the computed urgency, with a reason; "" goes back to the computed one.
    The override is kept (and shown beside the computed value) until staff lift it."""
    if not rules.may_screen(case, actor):
        raise _forbidden()
    if urgency:
        _require_choice(urgency, Urgency)
    reason = _require_reason(reason)
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        previous = locked.urgency
        locked.urgency_override = urgency
        locked.urgency = urgency or locked.urgency_computed
        locked.save(update_fields=["urgency", "urgency_override", "updated_at"])
        case.urgency, case.urgency_override = locked.urgency, locked.urgency_override
        return _event(
            case,
            actor,
            "urgency_set",
            reason=reason,
            data={"from": previous, "to": locked.urgency, "override": bool(urgency)},
        )


def case_add_deadline(*, case: Case, actor, kind: str, due_on: date, note: str = "") -> Deadline:
    """A deadline added by hand (a hearing the applicant learnt of later, a court date)."""
    if actor is not None and not rules.may_manage_deadlines(case, actor):
        raise _forbidden()  # None: the system itself
    _require_choice(kind, DeadlineKind)
    with transaction.atomic():
        deadline = Deadline.objects.create(
            case=case,
            kind=kind,
            due_on=due_on,
            source=DeadlineSource.STAFF,
            note=(note or "").strip() or None,
        )
        deadlines.refresh_next_deadline(case)
        _event(
            case,
            actor,
            "deadline_added",
            data={"deadline": str(deadline.pk), "kind": kind, "due_on": due_on.isoformat()},
        )
    return deadline


def _open_deadline(case: Case, deadline_id) -> Deadline:
    deadline = (
        Deadline.objects.select_for_update()
        .filter(pk=deadline_id, case=case, closed_at__isnull=True)
        .first()
    )
    if deadline is None:
        raise CaseError(_("This deadline is closed already."))
    return deadline


def case_change_deadline(*, case: Case, actor, deadline_id, due_on: date, reason: str) -> Deadline:
    """Move a deadline (the hearing was adjourned); the reason is kept, encrypted."""
    if actor is not None and not rules.may_manage_deadlines(case, actor):
        raise _forbidden()  # None: the system itself
    reason = _require_reason(reason)
    with transaction.atomic():
        deadline = _open_deadline(case, deadline_id)
        previous = deadline.due_on
        deadline.due_on = due_on
        deadline.save(update_fields=["due_on"])
        deadlines.refresh_next_deadline(case)
        _event(
            case,
            actor,
            "deadline_changed",
            reason=reason,
            data={
                "deadline": str(deadline.pk),
                "kind": deadline.kind,
                "from": previous.isoformat(),
                "to": due_on.isoformat(),
            },
        )
    return deadline


def case_close_deadline(
    *, case: Case, actor, deadline_id, outcome: str, reason: str = ""
) -> Deadline:
    """Mark a deadline met, missed, or no longer applying."""
    if actor is not None and not rules.may_manage_deadlines(case, actor):
        raise _forbidden()  # None: the system itself
    _require_choice(outcome, DeadlineOutcome)
    with transaction.atomic():
        deadline = _open_deadline(case, deadline_id)
        deadline.closed_at, deadline.outcome = timezone.now(), outcome
        deadline.save(update_fields=["closed_at", "outcome"])
        deadlines.refresh_next_deadline(case)
        _event(
            case,
            actor,
            "deadline_closed",
            reason=(reason or "").strip() or None,
            data={"deadline": str(deadline.pk), "kind": deadline.kind, "outcome": outcome},
        )
    return deadline


def case_add_note(*, case: Case, actor, text: str) -> Note:
    """Anyone who may see the case may add a note to it."""
    if not rules.may_see(case, actor):
        raise _forbidden()
    text = (text or "").strip()
    if not text:
        raise CaseError(_("Write the note first."))
    with transaction.atomic():
        note = Note.objects.create(case=case, author=actor, text=text)
        record("case.note_added", actor=actor, case_id=case.pk, data={"note": str(note.pk)})
    return note


def open_cases_by_attorney(user) -> dict[int, int]:
    """How many open cases each volunteer attorney holds, among the cases this user sees; one
    query."""
    rows = (
        Case.objects.visible_to(user)
        .live()
        .filter(state__in=ATTORNEY_STATES, assigned_attorney__isnull=False)
        .values_list("assigned_attorney")
        .annotate(n=Count("*"))
        .order_by()
    )
    return dict(rows)
