"""Remind of deadlines 7 days and 1 day before, and once when passed; tell coordinators of
cases stuck in one state (run daily: `daily`)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from cases.notifications import flag_stuck_cases, remind_of_deadlines


class Command(BaseCommand):
    help = "Queue the deadline reminders due today (each is sent once)."

    def handle(self, *args, **options) -> None:
        queued = remind_of_deadlines(today=timezone.localdate())
        stuck = flag_stuck_cases(now=timezone.now())
        self.stdout.write(f"Deadline reminders queued: {queued}; stuck cases flagged: {stuck}.")
