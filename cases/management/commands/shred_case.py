"""Erase a case for good: manage.py shred_case REFERENCE --reason retention"""

from django.core.management.base import BaseCommand, CommandError

from cases.models import Case
from cases.services import SHRED_REASONS, CaseError, case_shred


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
