"""Cases in any state, with the pieces each transition needs."""

import uuid

import pytest
from django.utils import timezone
from guardian.shortcuts import assign_perm

from cases import law
from cases.models import ConsentBy, ConsentHow, Conviction, Document, Screening, State
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


def make_case(
    state: str = State.REVIEW,
    *,
    attorney=None,
    ready: bool = False,
    screened: bool = True,
    consented: bool = True,
    **fields,
):
    """A case in ``state``; with ``attorney``, assigned to them with their object permissions;
    ``ready`` adds what drafting, review and filing need (petitions, proof, sign-off).
    ``screened``: one conviction (theft, sentence complete, a crime involving moral turpitude)
    and a screening asking for a pardon, so that accepting is possible; ``consented``: the
    person's own consent, taken in the application, so that filing is possible."""
    if consented:
        fields.setdefault("consent_by", ConsentBy.PERSON)
        fields.setdefault("person_consent_on", timezone.localdate())
        fields.setdefault("person_consent_how", ConsentHow.APPLICATION)
    case = CaseFactory(state=state, assigned_attorney=attorney, **fields)
    ApplicantFactory(case=case)
    if screened:
        screen(case)
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


def screen(case, *, relief: str = "pardon", **conviction) -> Conviction:
    """A conviction with what screening needs, and a screening record asking for ``relief``."""
    values = {
        "county": "Kings",
        "charge": "Petit larceny",
        "category": "theft_fraud",
        "sentence_status": "complete",
        "removal_grounds": ["cimt"],
        **conviction,
    }
    made = Conviction.objects.create(case=case, **values)
    Screening.objects.update_or_create(case=case, defaults={"answers": {"relief": relief}})
    return made


def complete_screening(case, *, relief: str = "pardon") -> None:
    """Give every conviction of a case (opened from an application, say) what screening needs,
    and record a screening asking for ``relief`` (with one conviction if it lists none)."""
    if not Conviction.objects.filter(case=case).exists():
        Conviction.objects.create(case=case, county="Kings", charge="Petit larceny")
    for conviction in Conviction.objects.filter(case=case):
        conviction.category = conviction.category or "theft_fraud"
        conviction.sentence_status = conviction.sentence_status or "complete"
        conviction.removal_grounds = conviction.removal_grounds or ["cimt"]
        conviction.save()
    Screening.objects.update_or_create(case=case, defaults={"answers": {"relief": relief}})


def decision_data(case, result: str = "full_pardon", **extra) -> dict:
    """The decide form's answers: ``result`` for every conviction and kind of relief sought."""
    from cases.decisions import reliefs_of

    data = {}
    for conviction in case.convictions.all():
        for relief in reliefs_of(case):
            fitting = result if result in law.RESULTS_FOR[relief] else "denied"
            data[f"result_{conviction.pk}_{relief}"] = fitting
            if fitting == "commutation":
                data[f"sentence_{conviction.pk}"] = "364 days"
    return {**data, **extra}


@pytest.fixture
def volunteer(db):
    """A third volunteer attorney, to match or reassign cases to."""
    return UserFactory(email="attorney3@example.org", role=Role.VOLUNTEER_ATTORNEY)
