"""Telling an applicant "there is news, please check your status" (DESIGN.md §10; ADR 0018).

Only to an applicant who left an e-mail address or a phone number for it on the status page
(cases/replies.py keeps it, encrypted, on the Applicant). The message says that there is news
and where to look, in the applicant's language, and nothing else: no reference, no name, no
stage, no date. Whoever reads it over their shoulder learns only that a message came.

When: the public stage changes or staff ask for something (cases/publication.py), and before
information is due (daily, ``remind_applicants``). ``announce`` records one ApplicantMessage per
case and occasion (a repeat is not sent twice) and queues its sending by id; the task decrypts
the contact, audited, sends, and records that it went.
"""

from datetime import date, timedelta

from django.db import transaction

from cases.models import ApplicantMessage, Case, Deadline, DeadlineKind, State
from clemency.common.batches import in_batches

REMIND_BEFORE = (7, 1)  # days before information is due


def announce(case: Case, *, occasion: str) -> bool:
    """Queue one "there is news" message for this case's applicant (inside the transaction
    that made the news; sent after it commits). False if it was queued before."""
    return announce_all([(case, occasion)]) == 1


def announce_all(items: list[tuple[Case, str]]) -> int:
    """``announce`` for many (case, occasion) at once, in three queries; returns how many are
    new (the others were queued before)."""
    from cases.tasks import send_applicant_message

    if not items:
        return 0
    fresh = [ApplicantMessage(case=case, occasion=occasion) for case, occasion in items]
    ApplicantMessage.objects.bulk_create(fresh, ignore_conflicts=True)
    # Only the rows this call wrote are queued: one made before is not sent again.
    new = list(
        ApplicantMessage.objects.filter(pk__in=[m.pk for m in fresh]).values_list("pk", flat=True)
    )
    for pk in new:
        transaction.on_commit(lambda pk=str(pk): send_applicant_message.enqueue(message_id=pk))
    return len(new)


def remind_applicants(*, today: date) -> int:
    """7 days and 1 day before information is due, a "please check your status" message to
    each applicant who left a way to be reached. A thousand deadlines at a time, in a constant
    number of queries each (and a task per message). Idempotent; returns how many were queued."""
    due = {today + timedelta(days=days): days for days in REMIND_BEFORE}
    deadlines = Deadline.objects.filter(
        kind=DeadlineKind.INFO_DUE,
        closed_at__isnull=True,
        due_on__in=list(due),
        case__state=State.NEEDS_INFO,
        case__shredded_at__isnull=True,
        case__applicant__news_contact__isnull=False,
    ).only("due_on", "case_id")
    queued = 0
    for batch in in_batches(deadlines):
        with transaction.atomic():
            queued += announce_all(
                [(Case(pk=d.case_id), f"info_due:{d.pk}:{due[d.due_on]}") for d in batch]
            )
    return queued
