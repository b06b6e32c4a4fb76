"""Recompute every live case's urgency from its facts and deadlines (run daily: `daily`)."""

from django.core.management.base import BaseCommand

from cases.deadlines import recompute_urgencies


class Command(BaseCommand):
    help = "Recompute urgency as deadlines come closer."

    def handle(self, *args, **options) -> None:
        changed = recompute_urgencies()
        self.stdout.write(f"Urgency recomputed: {changed} cases changed.")
