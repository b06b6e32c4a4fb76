"""Remind of deadlines 7 days and 1 day before, and once when passed; remind applicants who
left a way to be reached that information is due; tell coordinators of cases stuck in one state
(run daily: `daily`)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from cases.notifications import flag_stuck_cases, remind_of_deadlines
from cases.outreach import remind_applicants


class Command(BaseCommand):
    help = (
        "Queue today's deadline reminders, applicant reminders and stuck-case flags (each is "
        "sent once)."
    )

    def handle(self, *args, **options) -> None:
        today = timezone.localdate()
        queued = remind_of_deadlines(today=today)
        applicants = remind_applicants(today=today)
        stuck = flag_stuck_cases(now=timezone.now())
        self.stdout.write(
            f"Deadline reminders queued: {queued}; to applicants: {applicants}; "
            f"stuck cases flagged: {stuck}."
        )
