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

REMIND_BEFORE = (7, 1)  # days before information is due


def announce(case: Case, *, occasion: str) -> bool:
    """Queue one "there is news" message for this case's applicant (inside the transaction
    that made the news; sent after it commits). False if it was queued before."""
    from cases.tasks import send_applicant_message

    message, created = ApplicantMessage.objects.get_or_create(case=case, occasion=occasion)
    if created:
        transaction.on_commit(
            lambda pk=str(message.pk): send_applicant_message.enqueue(message_id=pk)
        )
    return created


def remind_applicants(*, today: date) -> int:
    """7 days and 1 day before information is due, a "please check your status" message to
    each applicant who left a way to be reached. Idempotent; returns how many were queued."""
    due = {today + timedelta(days=days): days for days in REMIND_BEFORE}
    deadlines = Deadline.objects.filter(
        kind=DeadlineKind.INFO_DUE,
        closed_at__isnull=True,
        due_on__in=list(due),
        case__state=State.NEEDS_INFO,
        case__shredded_at__isnull=True,
        case__info_answered_at__isnull=True,
        case__applicant__news_contact__isnull=False,
    ).select_related("case")
    queued = 0
    for deadline in deadlines:
        with transaction.atomic():
            occasion = f"info_due:{deadline.pk}:{due[deadline.due_on]}"
            queued += announce(deadline.case, occasion=occasion)
    return queued
