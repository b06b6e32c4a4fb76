"""Erase a case for good: manage.py shred_case REFERENCE --reason retention"""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cases.models import Case
from cases.services import SHRED_REASONS, CaseError, case_shred
from clemency.security.keys import kek_created
from clemency.security.provider import get_provider


class Command(BaseCommand):
    help = "Delete a case's key, personal data, blind indexes and documents; keep a tombstone."

    def add_arguments(self, parser) -> None:
        parser.add_argument("reference")
        parser.add_argument("--reason", required=True, choices=sorted(SHRED_REASONS))

    def handle(self, *args, reference: str, reason: str, **options) -> None:
        try:
            case = Case.objects.get(reference=reference.strip().upper())
        except Case.DoesNotExist:
            raise CommandError("No case has that reference.") from None
        try:
            case_shred(case=case, actor=None, reason=reason)
        except CaseError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Shredded {case.reference}; a tombstone remains.")
        self.stdout.write(final_by())


def final_by() -> str:
    """When the shred becomes final: the KEK that wrapped the key is retired (ADR 0015)."""
    version = get_provider().current_kek_version()
    if settings.KEY_SOURCE != "directory":
        return (
            f"Copies of its key in the database's old rows, WAL and backups stay readable until "
            f"KEK {version} is retired: add a KEK, run `keys rewrap`, remove KEK {version}."
        )
    created = datetime.fromtimestamp(kek_created(settings.KEY_DIR, version), tz=UTC)
    due = created + timedelta(days=settings.KEK_ROTATION_DAYS + 1)
    return (
        f"Copies of its key in the database's old rows, WAL and backups become unreadable when "
        f"`keys schedule` (daily) retires KEK {version}: final by {due:%Y-%m-%d}."
    )
