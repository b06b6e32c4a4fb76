"""Queue again the opening of sent applications that no worker opened (every few minutes)."""

from datetime import timedelta

from django.core.management.base import BaseCommand

from cases.opening import enqueue_waiting_submissions


class Command(BaseCommand):
    help = "Re-queue the opening of sent applications still unopened after --minutes."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--minutes", type=int, default=10)

    def handle(self, *args, minutes: int, **options) -> None:
        queued = enqueue_waiting_submissions(waited=timedelta(minutes=minutes))
        self.stdout.write(f"Queued {queued} sent applications to be opened again.")
