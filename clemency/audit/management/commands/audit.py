"""manage.py audit verify: check the whole audit chain; non-zero exit at the first broken link."""

from django.core.management.base import BaseCommand, CommandError

from clemency.audit.log import verify_chain
from clemency.security.errors import SecurityError


class Command(BaseCommand):
    help = "Check the audit log's keyed hash chain."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="check every event; fail at the first broken link")

    def handle(self, *args, action: str, **options) -> None:
        try:
            checked, broken = verify_chain()
        except SecurityError as exc:
            raise CommandError(f"The audit chain cannot be checked: {exc}") from exc
        if broken:
            raise CommandError(
                f"The audit chain is broken at event {broken[0]} "
                f"({len(broken)} broken links in {checked} events)."
            )
        self.stdout.write(f"The audit chain holds: {checked} events.")
