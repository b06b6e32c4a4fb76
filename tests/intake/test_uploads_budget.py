"""Upload budgets on the public intake: files and bytes per application, files per client address
per hour (the atomic counters), the storage quota; one request carrying many files; two uploads
racing for the last place (PostgreSQL)."""

import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client

from clemency import limits
from clemency.models import Counter
from intake import services, uploads
from intake.models import DraftDocument
from tests import documents
from tests.cases.conftest import add_document, make_case
from tests.intake.test_views import started, step_url, stored_files, upload
from tests.sql import in_thread, waiting_on_a_lock

SMALL = documents.pdf("A letter of support")


def upload_many(client, count: int, content: bytes = SMALL):
    files = [SimpleUploadedFile(f"letter{n}.pdf", content) for n in range(count)]
    return client.post(step_url("documents"), {"file": files, "action": "upload"}, follow=True)


@pytest.mark.django_db
def test_an_application_takes_its_number_of_files_and_no_more(client, settings):
    settings.INTAKE_MAX_FILES = 2
    started(client)
    for _ in range(2):
        assert "The file is added." in upload(client, "letter.pdf", SMALL).text
    response = upload(client, "letter.pdf", SMALL)
    assert "An application can have up to 2 files. Remove a file to add another." in response.text
    assert DraftDocument.objects.count() == 2
    assert len(stored_files(settings)) == 2


@pytest.mark.django_db
def test_one_request_with_many_files_stores_up_to_the_budget(client, settings, monkeypatch):
    settings.INTAKE_MAX_FILES = 3
    started(client)
    upload(client, "first.pdf", SMALL)
    encrypted = []
    real = uploads.EncryptedUploadedFile.__init__

    def counting(self, *args, **kwargs):
        encrypted.append(1)
        real(self, *args, **kwargs)

    monkeypatch.setattr(uploads.EncryptedUploadedFile, "__init__", counting)
    response = upload_many(client, 50)
    assert response.text.count("The file is added.") == 2
    assert "An application can have up to 3 files." in response.text
    assert len(encrypted) == 2  # the other 48 were skipped as they arrived, never kept
    assert DraftDocument.objects.count() == 3
    assert len(stored_files(settings)) == 3


@pytest.mark.django_db
def test_an_application_takes_its_number_of_bytes_and_no_more(client, settings):
    settings.INTAKE_MAX_TOTAL_MB = 1
    big = documents.pdf("x" * 70, lines=7_000)  # about 0.6 MB
    assert 500_000 < len(big) < 1024 * 1024
    started(client)
    assert "The file is added." in upload(client, "one.pdf", big).text
    response = upload(client, "two.pdf", big)
    assert "The files of an application can be up to 1 MB together." in response.text
    assert DraftDocument.objects.count() == 1
    assert len(stored_files(settings)) == 1


@pytest.mark.django_db
def test_files_from_one_address_are_counted_before_they_are_stored(client, settings):
    settings.INTAKE_UPLOAD_LIMIT = 3
    started(client)
    assert "seems damaged" in upload(client, "bad.pdf", b"%PDF-1.7 broken").text  # counts too
    response = upload_many(client, 4)
    assert response.text.count("The file is added.") == 2
    assert "Too many files were sent from here. Please try again in" in response.text
    assert DraftDocument.objects.count() == 2
    assert limits.peek(uploads.UPLOADS, "127.0.0.1").count == 6  # five counted, one next
    assert Counter.objects.count() >= 1

    # Another address (another family) is not held back by this one.
    other = Client(REMOTE_ADDR="192.0.2.44")
    started(other)
    assert "The file is added." in upload(other, "letter.pdf", SMALL).text


@pytest.mark.django_db
def test_a_full_storage_refuses_with_a_message_and_keeps_the_answers(client, settings):
    settings.DOCUMENT_STORAGE_QUOTA_GB = 0
    started(client)
    response = upload(client, "letter.pdf", SMALL)
    assert "our storage is full. Your answers are saved." in response.text
    assert stored_files(settings) == []


@pytest.mark.django_db
def test_the_quota_counts_every_stored_document(settings):
    draft, dek, _code = services.draft_start(language="en")
    upload = documents.encrypted_upload(SMALL, name="a.pdf", key=dek, case_id=draft.pk)
    services.draft_add_document(draft=draft, dek=dek, upload=upload)
    case_document = add_document(make_case(), "other")
    assert uploads.stored_document_bytes() == len(SMALL) + case_document.size

    settings.DOCUMENT_STORAGE_QUOTA_GB = 1
    # The cases' documents fill the quota but for the application's file: no room for another.
    type(case_document).objects.filter(pk=case_document.pk).update(size=1024**3 - len(SMALL))
    second = documents.encrypted_upload(SMALL, name="b.pdf", key=dek, case_id=draft.pk)
    with pytest.raises(services.IntakeError, match="our storage is full"):
        services.draft_add_document(draft=draft, dek=dek, upload=second)


@pytest.mark.django_db
def test_the_budget_is_checked_again_when_a_file_is_kept(settings):
    """The handler's budget is counted without a lock; the service counts again, locked."""
    draft, dek, _code = services.draft_start(language="en")
    settings.INTAKE_MAX_FILES = 1
    first, second = (
        documents.encrypted_upload(SMALL, name=f"{n}.pdf", key=dek, case_id=draft.pk)
        for n in (1, 2)
    )
    services.draft_add_document(draft=draft, dek=dek, upload=first)
    with pytest.raises(services.IntakeError, match="up to 1 files"):
        services.draft_add_document(draft=draft, dek=dek, upload=second)
    assert DraftDocument.objects.count() == 1


# --- Two uploads at once --------------------------------------------------------------------------


def race_for_the_last_place(keep_first, keep_second) -> dict:
    """The first keeps a file and holds its transaction open; the second tries meanwhile."""
    first_kept, let_first_commit = threading.Event(), threading.Event()
    results = {}

    def first():
        with transaction.atomic():
            keep_first()
            first_kept.set()
            assert let_first_commit.wait(30)
        return "kept"

    def second():
        assert first_kept.wait(30)
        keep_second()
        return "kept"

    one = in_thread(first, results, "first")
    assert first_kept.wait(30)
    two = in_thread(second, results, "second")
    for _ in range(300):
        if waiting_on_a_lock():
            break
        time.sleep(0.01)
    else:
        let_first_commit.set()
        one.join(30)
        two.join(30)
        pytest.fail(f"the second upload never waited for the first: {results}")
    let_first_commit.set()
    one.join(30)
    two.join(30)
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks across connections: PostgreSQL"
)
@pytest.mark.usefixtures("migrated_rows")
@pytest.mark.parametrize("budget", ["files", "bytes"])
def test_two_uploads_cannot_both_take_the_last_place(settings, budget):
    draft, dek, _code = services.draft_start(language="en")
    settings.INTAKE_MAX_FILES = 2
    settings.INTAKE_MAX_TOTAL_MB = 1
    if budget == "files":
        services.draft_add_document(
            draft=draft,
            dek=dek,
            upload=documents.encrypted_upload(SMALL, name="0.pdf", key=dek, case_id=draft.pk),
        )
        content = SMALL
    else:
        content = documents.pdf("x" * 70, lines=7_000)  # two do not fit in 1 MB
    one, two = (
        documents.encrypted_upload(content, name=f"{n}.pdf", key=dek, case_id=draft.pk)
        for n in (1, 2)
    )
    results = race_for_the_last_place(
        lambda: services.draft_add_document(draft=draft, dek=dek, upload=one),
        lambda: services.draft_add_document(draft=draft, dek=dek, upload=two),
    )
    assert results["first"] == "kept"
    assert isinstance(results["second"], services.IntakeError), results
    expected = 2 if budget == "files" else 1
    assert DraftDocument.objects.filter(draft=draft).count() == expected
    assert len(stored_files(settings)) == expected
