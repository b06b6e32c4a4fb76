"""Close cases whose applicant has not answered 30 days after the information was due (daily)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from cases.workflow import cases_close_unresponsive


class Command(BaseCommand):
    help = "Close, as unresponsive, cases waiting for the applicant 30 days past the due date."

    def handle(self, *args, **options) -> None:
        closed = cases_close_unresponsive(today=timezone.localdate())
        self.stdout.write(f"Closed as unresponsive: {closed} cases.")
