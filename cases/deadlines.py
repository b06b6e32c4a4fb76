"""Deadlines as data (DESIGN.md §4, §6): what a step of the workflow opens and closes, what an
application brings, and the case's next deadline (the earliest open one), kept on the case for
the lists. Called inside the transaction that changes the case; services in cases/workflow.py
check who may act and record the event."""

from datetime import date
from typing import Any

from django.utils import timezone

from cases.models import Case, Deadline, DeadlineKind, DeadlineOutcome, DeadlineSource
from cases.urgency import Assessment, assess, dates_from_answers
from clemency.common.batches import in_batches

# What a transition does to deadlines: the kind it opens (with the date the step was given),
# and the kinds it closes, with the outcome.
OPENS = {"request_info": DeadlineKind.INFO_DUE, "assign": DeadlineKind.DRAFT_DUE}
CLOSES = {
    "resume_review": ({DeadlineKind.INFO_DUE}, DeadlineOutcome.MET),
    "request_review": ({DeadlineKind.DRAFT_DUE}, DeadlineOutcome.MET),
    "release": ({DeadlineKind.DRAFT_DUE}, DeadlineOutcome.CANCELLED),
    "submit": ({DeadlineKind.DRAFT_DUE, DeadlineKind.FILING}, DeadlineOutcome.MET),
    "decide": (
        {DeadlineKind.INFO_DUE, DeadlineKind.DRAFT_DUE, DeadlineKind.FILING},
        DeadlineOutcome.CANCELLED,
    ),
    "close": (set(DeadlineKind), DeadlineOutcome.CANCELLED),
}


def follow_transition(case: Case, action: str, *, due: date | None = None) -> None:
    """Open and close the deadlines that come with ``action``, just fired on ``case``."""
    if action in CLOSES:
        kinds, outcome = CLOSES[action]
        close_open(case, kinds, outcome)
    if action in OPENS and due is not None:
        Deadline.objects.create(
            case=case, kind=OPENS[action], due_on=due, source=DeadlineSource.WORKFLOW
        )
    refresh_next_deadline(case)


def from_answers(case: Case, answers: dict[str, Any]) -> None:
    """The dates an application gives (a hearing, an ICE check-in) become deadlines."""
    for kind, due in dates_from_answers(answers):
        Deadline.objects.create(case=case, kind=kind, due_on=due, source=DeadlineSource.APPLICATION)
    refresh_next_deadline(case)


def close_open(case: Case, kinds, outcome: str) -> int:
    return Deadline.objects.filter(case=case, closed_at__isnull=True, kind__in=kinds).update(
        closed_at=timezone.now(), outcome=outcome
    )


def refresh_next_deadline(case: Case) -> None:
    """The case's next deadline is its earliest open one (or none); its urgency follows."""
    open_ones = list(
        Deadline.objects.filter(case=case, closed_at__isnull=True)
        .order_by("due_on", "created_at")
        .values_list("kind", "due_on")
    )
    kind, due = open_ones[0] if open_ones else ("", None)
    fields = {"next_deadline": due, "next_deadline_kind": kind}
    fields |= urgency_fields(case, open_ones, today=timezone.localdate())
    Case.objects.filter(pk=case.pk).update(**fields)
    for name, value in fields.items():
        setattr(case, name, value)


def urgency_fields(case: Case, open_ones, *, today: date) -> dict:
    """The case's computed urgency from its basis and open deadlines, and the one in force."""
    basis = Assessment(case.urgency_basis, case.urgency_basis_reason)
    computed = assess(basis, open_ones, today=today)
    return {
        "urgency_computed": computed.urgency,
        "urgency_reason": computed.reason,
        "urgency": case.urgency_override or computed.urgency,
    }


def recompute_urgencies(*, today: date | None = None) -> int:
    """Every live case's urgency as the days pass (a check-in comes within 14 days); run daily.
    Three queries per thousand cases, whatever the number of deadlines; returns how many
    changed. Running it twice on one day changes nothing the second time."""
    today = today or timezone.localdate()
    changed = 0
    fields = ["urgency", "urgency_computed", "urgency_reason"]
    cases = Case.objects.live().only(
        "state", "urgency_basis", "urgency_basis_reason", "urgency_override", *fields
    )
    for batch in in_batches(cases):
        open_ones: dict = {}
        for case_id, kind, due in Deadline.objects.filter(
            case__in=[case.pk for case in batch], closed_at__isnull=True
        ).values_list("case_id", "kind", "due_on"):
            open_ones.setdefault(case_id, []).append((kind, due))
        dirty = []
        for case in batch:
            new = urgency_fields(case, open_ones.get(case.pk, []), today=today)
            if any(getattr(case, name) != value for name, value in new.items()):
                for name, value in new.items():
                    setattr(case, name, value)
                dirty.append(case)
        Case.objects.bulk_update(dirty, fields)
        changed += len(dirty)
    return changed


def waiting_for_the_applicant(*, due_before: date):
    """Live cases still waiting for information whose due date was before ``due_before``."""
    return (
        Case.objects.live()
        .filter(
            state="needs_info",
            deadlines__kind=DeadlineKind.INFO_DUE,
            deadlines__closed_at__isnull=True,
            deadlines__due_on__lt=due_before,
        )
        .distinct()
    )
