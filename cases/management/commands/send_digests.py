"""Send each person who chose daily digests one message with the day's news (run daily)."""

from django.core.management.base import BaseCommand

from cases.notifications import send_digests


class Command(BaseCommand):
    help = "Queue the daily digests (each notification goes once)."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"Daily digests queued: {send_digests()}.")
