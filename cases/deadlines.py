"""Deadlines as data (DESIGN.md §4, §6): what a step of the workflow opens and closes, what an
application brings, and the case's next deadline (the earliest open one), kept on the case for
the lists. Called inside the transaction that changes the case; services in cases/workflow.py
check who may act and record the event."""

from datetime import date
from typing import Any

from django.utils import timezone

from cases.models import Case, Deadline, DeadlineKind, DeadlineOutcome, DeadlineSource

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
# Which answers of the application are deadlines.
FROM_ANSWERS = {"next_hearing": DeadlineKind.HEARING, "ice_check_in": DeadlineKind.CHECK_IN}


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
    immigration = answers.get("immigration") or {}
    for field, kind in FROM_ANSWERS.items():
        try:
            due = date.fromisoformat(immigration.get(field) or "")
        except (TypeError, ValueError):
            continue
        Deadline.objects.create(case=case, kind=kind, due_on=due, source=DeadlineSource.APPLICATION)
    refresh_next_deadline(case)


def close_open(case: Case, kinds, outcome: str) -> int:
    return Deadline.objects.filter(case=case, closed_at__isnull=True, kind__in=kinds).update(
        closed_at=timezone.now(), outcome=outcome
    )


def refresh_next_deadline(case: Case) -> None:
    """The case's next deadline is its earliest open one (or none)."""
    earliest = (
        Deadline.objects.filter(case=case, closed_at__isnull=True)
        .order_by("due_on", "created_at")
        .values_list("due_on", "kind")
        .first()
    )
    due, kind = earliest or (None, "")
    Case.objects.filter(pk=case.pk).update(next_deadline=due, next_deadline_kind=kind)
    case.next_deadline, case.next_deadline_kind = due, kind
