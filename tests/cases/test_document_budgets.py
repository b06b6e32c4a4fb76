"""Upload budgets on a case: files and bytes per case, the storage quota, one request with many
files, and two uploads racing for the last place (PostgreSQL)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from cases.models import Document, State
from cases.services import CaseError, document_store
from clemency.security import casekeys
from tests import documents
from tests.cases.conftest import make_case
from tests.cases.test_views import stored_files, upload, url
from tests.intake.test_uploads_budget import race_for_the_last_place

SMALL = documents.pdf("A rap sheet")


def encrypted_for(case, content: bytes = SMALL, name: str = "rap.pdf"):
    key = casekeys.case_key(case)
    return documents.encrypted_upload(
        content, name=name, key=key.key, case_id=case.pk, key_version=key.version
    )


@pytest.mark.django_db
def test_a_case_takes_its_number_of_files_and_no_more(client_for, settings):
    settings.CASE_MAX_FILES = 2
    case = make_case(State.REVIEW)
    client = client_for("staff")
    for _ in range(2):
        assert "The file is added." in upload(client, case, "rap_sheet", "a.pdf", SMALL).text
    response = upload(client, case, "rap_sheet", "a.pdf", SMALL)
    assert "A case can have up to 2 files. This one has reached it." in response.text
    assert Document.objects.filter(case=case).count() == 2
    assert len(stored_files(settings)) == 2


@pytest.mark.django_db
def test_one_request_with_many_files_stores_up_to_the_budget(client_for, settings):
    settings.CASE_MAX_FILES = 3
    case = make_case(State.REVIEW)
    files = [SimpleUploadedFile(f"page{n}.pdf", SMALL) for n in range(40)]
    response = client_for("staff").post(
        url("document-upload", case), {"kind": "rap_sheet", "file": files}, follow=True
    )
    assert response.text.count("The file is added.") == 3
    assert "A case can have up to 3 files." in response.text
    assert Document.objects.filter(case=case).count() == 3
    assert len(stored_files(settings)) == 3


@pytest.mark.django_db
def test_a_case_takes_its_number_of_bytes_and_no_more(client_for, settings):
    settings.CASE_MAX_TOTAL_MB = 1
    big = documents.pdf("x" * 70, lines=7_000)
    case = make_case(State.REVIEW)
    client = client_for("staff")
    assert "The file is added." in upload(client, case, "rap_sheet", "a.pdf", big).text
    response = upload(client, case, "rap_sheet", "b.pdf", big)
    assert "The files of a case can be up to 1 MB together." in response.text
    assert Document.objects.filter(case=case).count() == 1


@pytest.mark.django_db
def test_the_largest_file_follows_the_setting(client_for, settings):
    settings.CASE_MAX_UPLOAD_MB = 1
    case = make_case(State.REVIEW)
    big = documents.pdf("x" * 70, lines=15_000)
    assert len(big) > 1024 * 1024
    response = upload(client_for("staff"), case, "rap_sheet", "a.pdf", big)
    assert "Each file can be up to 1 MB." in response.text
    assert stored_files(settings) == []


@pytest.mark.django_db
def test_a_full_storage_refuses_with_a_message(client_for, settings, staff):
    settings.DOCUMENT_STORAGE_QUOTA_GB = 0
    case = make_case(State.REVIEW)
    response = upload(client_for("staff"), case, "rap_sheet", "a.pdf", SMALL)
    assert "The document storage is full" in response.text
    with pytest.raises(CaseError, match="storage is full"):
        document_store(case=case, actor=staff, kind="rap_sheet", content=SMALL)
    assert stored_files(settings) == []


@pytest.mark.django_db
def test_the_budget_is_checked_again_when_a_file_is_kept(settings, staff):
    settings.CASE_MAX_FILES = 1
    case = make_case(State.REVIEW)
    document_store(case=case, actor=staff, kind="rap_sheet", upload=encrypted_for(case))
    with pytest.raises(CaseError, match="up to 1 files"):
        document_store(case=case, actor=staff, kind="rap_sheet", upload=encrypted_for(case))
    with pytest.raises(CaseError, match="up to 1 files"):
        document_store(case=case, actor=staff, kind="rap_sheet", content=SMALL)
    assert Document.objects.filter(case=case).count() == 1
    assert len(stored_files(settings)) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks across connections: PostgreSQL"
)
@pytest.mark.usefixtures("migrated_rows")
def test_two_uploads_cannot_both_take_the_last_place(settings, staff, coordinator):
    settings.CASE_MAX_FILES = 1
    case = make_case(State.REVIEW)
    one, two = encrypted_for(case), encrypted_for(case)
    results = race_for_the_last_place(
        lambda: document_store(case=case, actor=staff, kind="rap_sheet", upload=one),
        lambda: document_store(case=case, actor=coordinator, kind="rap_sheet", upload=two),
    )
    assert results["first"] == "kept"
    assert isinstance(results["second"], CaseError), results
    assert Document.objects.filter(case=case).count() == 1
    assert len(stored_files(settings)) == 1
