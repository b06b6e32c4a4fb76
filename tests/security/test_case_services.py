"""Case-level encryption: documents, blind indexes, shredding, and no plaintext at rest."""

from datetime import date
from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.core.management import CommandError, call_command
from django.db import connection

from cases.models import Applicant, BlindIndex, Case, Document
from cases.services import (
    CaseError,
    case_set_identity_indexes,
    case_shred,
    document_read,
    document_store,
    possible_duplicates,
)
from clemency.accounts.roles import Role
from clemency.audit.models import AuditEvent
from clemency.security import casekeys
from clemency.security.casekeys import CaseKeyShredded, key_scope
from clemency.security.errors import DecryptionError
from tests.factories import ApplicantFactory, CaseFactory, UserFactory

pytestmark = pytest.mark.django_db
MARKER = "-".join(["Marker", "Maria", "Lopez", "A123456789"])
DOCUMENT = (f"%PDF-1.7 certificate of disposition for {MARKER}\n" * 3000).encode()


def documents_dir() -> Path:
    return Path(storages["documents"].location)


def raw_database_dump() -> bytes:
    """Every row of every table, as the database holds it."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from introspection
            for row in cursor.fetchall():
                for value in row:
                    chunks.append(
                        bytes(value)
                        if isinstance(value, bytes | memoryview)
                        else str(value).encode()
                    )
    return b"\n".join(chunks)


def raw_files() -> bytes:
    return b"".join(path.read_bytes() for path in documents_dir().rglob("*") if path.is_file())


@pytest.fixture
def case_with_document(staff):
    applicant = ApplicantFactory(legal_name=MARKER, a_number="A123456789", story=MARKER)
    document = document_store(
        case=applicant.case,
        actor=staff,
        content=[DOCUMENT],
        original_name=f"{MARKER}.pdf",
        kind=Document.Kind.CERTIFICATE_OF_DISPOSITION,
    )
    case_set_identity_indexes(
        case=applicant.case, a_number="A123456789", surname="Lopez", date_of_birth=date(1990, 5, 17)
    )
    return applicant.case, document


def test_no_plaintext_at_rest_in_database_or_files(case_with_document):
    assert MARKER.encode() not in raw_database_dump()
    assert b"123456789" not in raw_database_dump()
    files = raw_files()
    assert len(files) > len(DOCUMENT)
    assert MARKER.encode() not in files
    assert b"%PDF" not in files


def test_document_round_trip_is_audited(case_with_document, coordinator):
    case, document = case_with_document
    document = Document.objects.select_related("case").get(pk=document.pk)
    assert document.original_name == f"{MARKER}.pdf"
    assert document.size == len(DOCUMENT)
    assert b"".join(document_read(document=document, actor=coordinator)) == DOCUMENT
    event = AuditEvent.objects.filter(action="document.downloaded").get()
    assert (event.actor, event.case_id, event.data) == (
        coordinator,
        case.pk,
        {"document": str(document.pk)},
    )
    assert MARKER not in str(AuditEvent.objects.values_list("data", flat=True))


def test_tampered_document_aborts_the_read(case_with_document, staff):
    _case, document = case_with_document
    path = documents_dir() / document.object_name
    damaged = bytearray(path.read_bytes())
    damaged[200_000] ^= 0x01
    path.write_bytes(bytes(damaged))
    stream = document_read(document=Document.objects.get(pk=document.pk), actor=staff)
    with pytest.raises(DecryptionError):
        b"".join(stream)


def test_possible_duplicates_by_blind_index(case_with_document):
    case, _document = case_with_document
    same_person = CaseFactory()
    case_set_identity_indexes(
        case=same_person, a_number="a-123-456-789", surname=None, date_of_birth=None
    )
    other = CaseFactory()
    case_set_identity_indexes(
        case=other, a_number="A987654321", surname="Smith", date_of_birth=date(1971, 1, 2)
    )
    staff = UserFactory(role=Role.INTAKE_STAFF)
    assert list(possible_duplicates(case, staff)) == [same_person]
    assert list(possible_duplicates(same_person, staff)) == [case]
    assert BlindIndex.objects.filter(case=case).count() == 2


def test_shredding_leaves_nothing_readable(case_with_document, django_capture_on_commit_callbacks):
    case, document = case_with_document
    object_path = documents_dir() / document.object_name
    assert object_path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("shred_case", case.reference, "--reason", "retention")
    tombstone = Case.objects.get(pk=case.pk)
    assert tombstone.is_shredded
    assert tombstone.wrapped_key is None
    assert tombstone.reference == case.reference
    assert not Applicant.objects.filter(case=case).exists()
    assert not Document.objects.filter(case=case).exists()
    assert not BlindIndex.objects.filter(case=case).exists()
    assert not object_path.exists()
    event = AuditEvent.objects.get(action="case.shredded")
    assert event.data == {"reason": "retention", "documents": 1}
    with key_scope(), pytest.raises(CaseKeyShredded):
        casekeys.case_key(tombstone)
    with pytest.raises(CaseError, match="shredded"):
        document_store(
            case=tombstone,
            actor=None,
            kind=Document.Kind.OTHER,
            content=[b"x"],
            original_name="x",
        )
    with pytest.raises(CommandError, match="erased already"):
        call_command("shred_case", case.reference, "--reason", "retention")


def test_shred_needs_a_known_reason_and_reference(case_with_document):
    case, _document = case_with_document
    with pytest.raises(CaseError):
        case_shred(case=case, actor=None, reason="because")
    with pytest.raises(CommandError, match="No case"):
        call_command("shred_case", "PP-0000-0000", "--reason", "retention")


def test_verify_reads_every_document(case_with_document, capsys):
    call_command("keys", "verify")
    out = capsys.readouterr().out
    assert f"Documents: 1 decrypted ({len(DOCUMENT)} bytes)." in out
    _case, document = case_with_document
    (documents_dir() / document.object_name).write_bytes(b"truncated")
    with pytest.raises(CommandError, match="failed to decrypt"):
        call_command("keys", "verify")


def test_on_s3_nothing_readable_is_stored_and_shredding_removes_the_objects(
    documents_on_s3, case_with_document, staff, django_capture_on_commit_callbacks
):
    # documents_on_s3 comes first, so case_with_document stores its document on S3.
    client, bucket = documents_on_s3
    case, document = case_with_document
    (listed,) = client.list_objects_v2(Bucket=bucket)["Contents"]
    assert listed["Key"] == document.object_name
    raw = client.get_object(Bucket=bucket, Key=document.object_name)
    body = raw["Body"].read()
    assert MARKER.encode() not in body
    assert b"%PDF" not in body
    assert raw["ContentType"] == "application/octet-stream"
    assert raw.get("Metadata", {}) == {}
    assert b"".join(document_read(document=document, actor=staff)) == DOCUMENT

    with django_capture_on_commit_callbacks(execute=True):
        case_shred(case=case, actor=None, reason="request")
    assert client.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0


def test_a_shred_cannot_be_undone_by_a_stale_instance(
    case_with_document, django_capture_on_commit_callbacks
):
    case, _document = case_with_document
    stale_case = Case.objects.get(pk=case.pk)
    stale_applicant = Applicant.objects.select_related("case").get(case=case)
    with django_capture_on_commit_callbacks(execute=True):
        case_shred(case=case, actor=None, reason="retention")
    assert case.wrapped_key is None  # the caller's instance lost its key too

    stale_case.save()  # an ordinary save never writes the key columns back
    tombstone = Case.objects.get(pk=case.pk)
    assert tombstone.wrapped_key is None
    assert tombstone.is_shredded
    with pytest.raises(CaseKeyShredded):
        stale_applicant.save()
    assert not Applicant.objects.filter(case=case).exists()
    with pytest.raises(CaseKeyShredded):
        document_store(
            case=stale_case,
            actor=None,
            kind=Document.Kind.OTHER,
            content=[DOCUMENT],
            original_name="x",
        )
    assert not Document.objects.filter(case=case).exists()
    assert sorted(p.name for p in documents_dir().rglob("*") if p.is_file()) == []


def test_the_database_refuses_a_shredded_case_with_a_key(case_with_document):
    from django.db import IntegrityError, transaction

    case, _document = case_with_document
    case_shred(case=case, actor=None, reason="retention")
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(wrapped_key=b"\x00" * 60)


def test_objects_that_could_not_be_deleted_stay_listed(
    case_with_document, django_capture_on_commit_callbacks, capsys
):
    from unittest import mock

    from cases.models import PendingDeletion
    from clemency.security.storage import EncryptedDocumentStorage

    case, document = case_with_document
    with (
        mock.patch.object(EncryptedDocumentStorage, "delete", side_effect=OSError),
        django_capture_on_commit_callbacks(execute=True),
    ):
        case_shred(case=case, actor=None, reason="retention")
    assert PendingDeletion.objects.filter(object_name=document.object_name).exists()
    with (
        mock.patch.object(EncryptedDocumentStorage, "delete", side_effect=OSError),
        pytest.raises(CommandError, match="failed"),
    ):
        call_command("keys", "verify")
    assert "could not be deleted yet" in capsys.readouterr().err
    call_command("keys", "verify")  # deletes it this time
    assert not PendingDeletion.objects.exists()
    assert not (documents_dir() / document.object_name).exists()


def test_a_streamed_download_of_a_tampered_document_is_cut_off(case_with_document, staff):
    from django.http import StreamingHttpResponse

    _case, document = case_with_document
    path = documents_dir() / document.object_name
    path.write_bytes(path.read_bytes()[:-100])  # truncated at rest
    response = StreamingHttpResponse(
        document_read(document=Document.objects.get(pk=document.pk), actor=staff)
    )
    sent = []
    with pytest.raises(DecryptionError):
        sent.extend(response.streaming_content)
    assert len(b"".join(sent)) < len(DOCUMENT)  # the client never gets a "complete" file


def test_case_keys_live_for_one_request(case_with_document):
    from clemency.security import casekeys
    from clemency.security.middleware import CaseKeyScopeMiddleware

    case, _document = case_with_document
    seen = {}

    def view(request):
        seen["first"] = casekeys.case_key(Case.objects.get(pk=case.pk))
        seen["cached"] = casekeys._scope.get()
        return None

    CaseKeyScopeMiddleware(view)(object())
    assert seen["cached"] == {}  # emptied when the request ended
    assert casekeys._scope.get() is None
