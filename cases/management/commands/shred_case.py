"""Erase a case for good: manage.py shred_case REFERENCE --reason retention"""

from django.core.management.base import BaseCommand, CommandError

from cases.models import Case
from cases.services import SHRED_REASONS, CaseError, case_shred, shred_finality


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
        case.refresh_from_db()
        self.stdout.write(final_by(case.shredded_at))


def final_by(shredded_at) -> str:
    """When the shred becomes final: every key that could open the case key is destroyed."""
    finality = shred_finality(shredded_at)
    if finality is None:
        return (
            "Copies of its key in the database's old rows, WAL and backups stay readable until "
            "the KEKs and intake private keys held today are replaced and deleted by hand."
        )
    return (
        "Copies of its key in the database's old rows and WAL become unreadable when `keys "
        f"schedule` (daily) has replaced today's keys: by {finality.by:%Y-%m-%d}, unless a sent "
        "application still waits to be opened then (the run says so). Backups made before the "
        "erasure keep it until they are deleted (BACKUP_KEEP_DAYS)."
    )
