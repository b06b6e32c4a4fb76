"""Cases in any state, with the pieces each transition needs."""

import uuid

import pytest
from django.utils import timezone
from guardian.shortcuts import assign_perm

from cases.models import Document, State
from cases.rules import ATTORNEY_PERMISSIONS
from clemency.accounts.roles import Role
from tests.factories import ApplicantFactory, CaseFactory, UserFactory


def add_document(case, kind: str, name: str = "file.pdf", *, stored: bool = False) -> Document:
    """A document record (no stored object): enough for the workflow's conditions. ``stored``
    also stores an object for it (a one-page PDF, encrypted), for tests that download it."""
    document_id, object_name = uuid.uuid4(), f"test/{uuid.uuid4()}"
    if stored:
        from clemency.security import casekeys
        from clemency.security.storage import EncryptedDocumentStorage
        from tests.documents import pdf

        key = casekeys.case_key(case)
        stored_pdf = EncryptedDocumentStorage().save(
            pdf(), key=key.key, case_id=case.pk, document_id=document_id, key_version=key.version
        )
        object_name = stored_pdf.name
    return Document.objects.create(
        id=document_id,
        case=case,
        kind=kind,
        object_name=object_name,
        size=1,
        original_name=name,
        content_type="application/pdf",
    )


def make_case(state: str = State.REVIEW, *, attorney=None, ready: bool = False, **fields):
    """A case in ``state``; with ``attorney``, assigned to them with their object permissions;
    ``ready`` adds what drafting, review and filing need (petitions, proof, sign-off)."""
    case = CaseFactory(state=state, assigned_attorney=attorney, **fields)
    ApplicantFactory(case=case)
    if attorney is not None:
        for codename in ATTORNEY_PERMISSIONS:
            assign_perm(codename, attorney, case)
    if ready:
        add_document(case, Document.Kind.DRAFT_PETITION)
        add_document(case, Document.Kind.FINAL_PETITION)
        add_document(case, Document.Kind.FILING_PROOF)
        case.client_signed_off_on = timezone.localdate()
        case.save()
    return case


@pytest.fixture
def volunteer(db):
    """A third volunteer attorney, to match or reassign cases to."""
    return UserFactory(email="attorney3@example.org", role=Role.VOLUNTEER_ATTORNEY)
