"""Forget rate-limit counters whose window ended more than two days ago (run daily)."""

from django.core.management.base import BaseCommand

from clemency import limits


class Command(BaseCommand):
    help = "Delete rate-limit counters that no longer count."

    def handle(self, *args, **options) -> None:
        deleted = limits.delete_stale()
        self.stdout.write(f"Deleted {deleted} stale counters.")
