"""Queue again the opening of sent applications, and the attachment of applicants' replies,
that no worker handled (every few minutes)."""

from datetime import timedelta

from django.core.management.base import BaseCommand

from cases.opening import enqueue_waiting_submissions
from cases.replies import enqueue_waiting_replies


class Command(BaseCommand):
    help = (
        "Re-queue the opening of sent applications, and the attachment of replies, still "
        "waiting after --minutes."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--minutes", type=int, default=10)

    def handle(self, *args, minutes: int, **options) -> None:
        waited = timedelta(minutes=minutes)
        queued = enqueue_waiting_submissions(waited=waited)
        replies = enqueue_waiting_replies(waited=waited)
        self.stdout.write(
            f"Queued {queued} sent applications to be opened again, {replies} replies to be "
            "attached again."
        )
