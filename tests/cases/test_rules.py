"""cases/rules.py: who may do what, asked by views and asked again by every service."""

import pytest

from cases import rules, screening, workflow
from cases.models import Document, State, has_attorney, has_draft_petition
from cases.services import CaseForbidden, document_store
from tests.cases.conftest import add_document, make_case

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n" + b"petition text\n" * 10


def test_why_blocked_names_the_missing_piece_and_what_the_form_provides():
    case = make_case(State.ACCEPTED)
    assert rules.why_blocked(case, "assign") == str(has_attorney.unmet)
    assert rules.why_blocked(case, "assign", provided=(has_attorney,)) is None
    drafting = make_case(State.DRAFTING)
    assert rules.why_blocked(drafting, "request_review") == str(has_draft_petition.unmet)
    add_document(drafting, Document.Kind.DRAFT_PETITION)
    assert rules.why_blocked(drafting, "request_review") is None


def test_possible_now_follows_the_state_and_may_follows_the_permission(staff, coordinator):
    case = make_case(State.REVIEW)
    assert rules.possible_now(case, "accept")
    assert not rules.possible_now(case, "decide")
    assert rules.may(case, staff, "accept")
    assert rules.may(case, coordinator, "decide")
    assert not rules.may(case, staff, "decide")


def test_upload_kinds_keep_petitions_for_drafters(staff, coordinator, attorney, other_attorney):
    case = make_case(State.DRAFTING, attorney=attorney)
    petitions = {Document.Kind.DRAFT_PETITION, Document.Kind.FINAL_PETITION}
    assert petitions <= {kind for kind, _label in rules.upload_kinds(case, attorney)}
    assert petitions <= {kind for kind, _label in rules.upload_kinds(case, coordinator)}
    staff_kinds = {kind for kind, _label in rules.upload_kinds(case, staff)}
    assert staff_kinds
    assert not petitions & staff_kinds
    assert rules.upload_kinds(case, other_attorney) == []


def test_services_check_the_rules_again(staff, attorney, other_attorney):
    """A service called without a view in front of it refuses what the rules refuse."""
    case = make_case(State.DRAFTING, attorney=attorney)
    with pytest.raises(CaseForbidden):
        workflow.case_add_note(case=case, actor=other_attorney, text="Not mine.")
    with pytest.raises(CaseForbidden):
        document_store(case=case, actor=staff, kind=Document.Kind.DRAFT_PETITION, content=PDF)
    with pytest.raises(CaseForbidden):
        document_store(case=case, actor=other_attorney, kind=Document.Kind.OTHER, content=PDF)
    with pytest.raises(CaseForbidden):
        workflow.case_set_urgency(case=case, actor=attorney, urgency="P0", reason="Detained.")
    with pytest.raises(CaseForbidden):
        screening.case_save_screening(case=case, actor=attorney, relief="pardon", grounds={})
    with pytest.raises(CaseForbidden):
        workflow.case_accept(case=case, actor=attorney, expected_state=State.DRAFTING)
    assert not case.notes.exists()
    assert not case.documents.exists()
    workflow.case_add_note(case=case, actor=attorney, text="Mine.")
    document_store(case=case, actor=attorney, kind=Document.Kind.DRAFT_PETITION, content=PDF)
    assert case.notes.count() == 1
    assert case.documents.count() == 1


def test_a_refused_file_type_leaves_no_stored_object(settings, coordinator):
    from pathlib import Path

    from cases.services import CaseError

    case = make_case(State.DRAFTING)
    with pytest.raises(CaseError):
        document_store(case=case, actor=coordinator, kind="other", content=b"MZ\x90\x00 a program")
    root = Path(settings.STORAGES["documents"]["OPTIONS"]["location"])
    assert not case.documents.exists()
    assert [path for path in root.rglob("*") if path.is_file()] == []


def test_a_refused_user_learns_nothing_from_validation(staff, attorney, volunteer):
    case = make_case(State.DRAFTING, attorney=attorney)
    with pytest.raises(CaseForbidden):  # not "This attorney already has the case."
        workflow.case_reassign(
            case=case, actor=staff, expected_state=State.DRAFTING, attorney=attorney, reason="x"
        )
    with pytest.raises(CaseForbidden):
        workflow.case_assign(
            case=make_case(State.ACCEPTED),
            actor=staff,
            expected_state=State.ACCEPTED,
            attorney=None,
        )


def test_a_download_needs_a_case_the_user_may_see(attorney, other_attorney):
    from cases.services import document_read

    case = make_case(State.DRAFTING, attorney=attorney)
    document = document_store(case=case, actor=attorney, kind="draft_petition", content=PDF)
    with pytest.raises(CaseForbidden):
        document_read(document=document, actor=other_attorney)
    assert b"".join(document_read(document=document, actor=attorney)) == PDF


def test_an_administrator_sees_no_case_without_a_role(administrator, attorney):
    """Superuser status opens the admin site, not case data (DESIGN.md §7, ADR 0012)."""
    from django.contrib.auth.models import Group

    from cases.models import Case
    from clemency.accounts.roles import Role

    case = make_case(State.DRAFTING, attorney=attorney)
    assert administrator.is_superuser
    assert not Case.objects.visible_to(administrator).exists()
    assert not rules.sees_all(administrator)
    assert not rules.may(case, administrator, "close")
    assert not rules.may_draft(case, administrator)
    assert rules.upload_kinds(case, administrator) == []
    with pytest.raises(CaseForbidden):
        workflow.case_add_note(case=case, actor=administrator, text="Reading along.")
    administrator.groups.add(Group.objects.get(name=Role.COORDINATOR.value))
    administrator = type(administrator).objects.get(pk=administrator.pk)  # fresh permission cache
    assert Case.objects.visible_to(administrator).filter(pk=case.pk).exists()
    assert rules.may(case, administrator, "close")
