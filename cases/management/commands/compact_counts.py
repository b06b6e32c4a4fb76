"""Fold the kept numbers of live cases per state into one row each (daily; ADR 0019), or
rebuild them from the cases with --recount."""

from django.core.management.base import BaseCommand

from cases.counts import compact, live_counts, recount


class Command(BaseCommand):
    help = "Fold the per-state counts of live cases (daily), or rebuild them (--recount)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--recount",
            action="store_true",
            dest="rebuild",
            help="rebuild them from the cases themselves",
        )

    def handle(self, *args, rebuild: bool, **options) -> None:
        if rebuild:
            recount()
        rows = compact()
        total = sum(live_counts().values())
        self.stdout.write(f"Live cases counted: {total} ({rows} rows kept).")
