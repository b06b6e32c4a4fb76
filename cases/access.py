"""Who may see and do what on a case (DESIGN.md §7), in one place.

A case the user may not see does not exist for them (404); an action they may not take on a case
they can see is refused (403).
"""

from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.http import Http404

from cases.models import SCREEN, Case, Document, can_draft


def case_for(user, case_id: UUID) -> Case:
    """The case, if this user may see it; else 404 (whether or not it exists)."""
    queryset = Case.objects.visible_to(user).filter(shredded_at__isnull=True)
    case = queryset.select_related("assigned_attorney").filter(pk=case_id).first()
    if case is None:
        raise Http404
    return case


# Who may upload which kind of document: petitions are the attorney's and coordinator's work.
PETITIONS = {Document.Kind.DRAFT_PETITION, Document.Kind.FINAL_PETITION}


def upload_kinds(case: Case, user) -> list[tuple[str, str]]:
    if can_draft(case, user):  # coordinators and the assigned attorney
        return list(Document.Kind.choices)
    if user.has_perm(SCREEN):
        return [(value, label) for value, label in Document.Kind.choices if value not in PETITIONS]
    return []


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied
