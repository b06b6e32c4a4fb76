"""Delete applications never sent whose time is up (run it daily, e.g. from cron)."""

from django.core.management.base import BaseCommand

from intake.services import drafts_delete_expired


class Command(BaseCommand):
    help = "Delete unsent applications older than DRAFT_LIFETIME_DAYS since their last save."

    def handle(self, *args, **options) -> None:
        deleted = drafts_delete_expired()
        self.stdout.write(f"Deleted {deleted} expired drafts.")
