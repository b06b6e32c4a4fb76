"""The encrypting upload handler held to a budget, and the decrypting view an upload's contents
are checked through (clemency/security/storage.py), with the checks' bounds holding through it
(clemency/common/contents.py)."""

import io
import tempfile
import tracemalloc
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import StopFutureHandlers
from django.test.client import encode_multipart
from hypothesis import given, settings
from hypothesis import strategies as st

from clemency.common import contents, filetypes
from clemency.security.errors import DecryptionError
from clemency.security.keys import random_key
from clemency.security.storage import (
    EncryptingUploadHandler,
    UploadPlaintext,
    UploadRejection,
    open_upload,
)
from clemency.security.streaming import HEADER_SIZE, SEGMENT_SIZE
from tests import documents

BOUNDARY = "budget-boundary-0f3a9c"
KEY, CASE = random_key(), uuid.uuid4()


def post_files(rf, contents: list[bytes], *, field: str = "file"):
    files = [SimpleUploadedFile(f"file{n}.pdf", content) for n, content in enumerate(contents)]
    body = encode_multipart(BOUNDARY, {field: files, "action": "upload"})
    return rf.generic(
        "POST", "/upload/", body, content_type=f"multipart/form-data; boundary={BOUNDARY}"
    )


def handler_for(request, **budget) -> EncryptingUploadHandler:
    handler = EncryptingUploadHandler(
        request, key=KEY, case_id=CASE, key_version=1, max_size=1024 * 1024, **budget
    )
    request.upload_handlers = [handler]
    return handler


@pytest.fixture
def temporary_files_made(monkeypatch):
    """How many temporary files the handler opened (each holds one file's ciphertext)."""
    made = []
    real = tempfile.TemporaryFile

    def counting(*args, **kwargs):
        made.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "TemporaryFile", counting)
    return made


def test_files_beyond_the_budget_are_skipped_before_a_byte_is_written(rf, temporary_files_made):
    request = post_files(rf, [f"file {n}".encode() for n in range(100)])
    handler = handler_for(request, max_files=3)
    uploads = request.FILES.getlist("file")
    assert len(uploads) == 3
    assert len(temporary_files_made) == 3  # the other 97 never reached the disk
    assert request.POST["action"] == "upload"  # the rest of the form is still read
    assert [r.reason for r in handler.rejections] == ["too_many"] * 97


def test_bytes_beyond_the_budget_are_skipped(rf):
    request = post_files(rf, [b"a" * 400, b"b" * 400, b"c" * 100, b"d" * 400])
    handler = handler_for(request, max_total=1000)
    uploads = request.FILES.getlist("file")
    assert [upload.plaintext_size for upload in uploads] == [400, 400, 100]
    assert handler.rejections == [UploadRejection("file", "over_budget", 1024 * 1024)]
    assert (handler.accepted_files, handler.accepted_bytes) == (3, 900)


def test_admit_is_asked_for_every_file_before_it_is_stored(rf, temporary_files_made):
    answers = iter([None, None, "limited", "limited"])
    asked = []

    def admit():
        asked.append(len(temporary_files_made))  # files stored when the next one is asked
        return next(answers)

    request = post_files(rf, [b"one", b"two", b"three", b"four"])
    handler = handler_for(request, admit=admit)
    assert [upload.read() != b"" for upload in request.FILES.getlist("file")] == [True, True]
    assert asked == [0, 1, 2, 2]
    assert [r.reason for r in handler.rejections] == ["limited", "limited"]


def test_no_budget_means_the_old_behaviour(rf):
    request = post_files(rf, [b"x" * 10] * 5)
    handler = handler_for(request)
    assert len(request.FILES.getlist("file")) == 5
    assert handler.rejections == []


# --- Reading an upload back -----------------------------------------------------------------------


def encrypted(content: bytes, *, document_id=None):
    handler = EncryptingUploadHandler(
        None,
        key=KEY,
        case_id=CASE,
        key_version=1,
        max_size=len(content) + 1,
        document_id_factory=lambda: document_id or uuid.uuid4(),
    )
    with pytest.raises(StopFutureHandlers):  # it is the only handler, by design
        handler.new_file("file", "f.pdf", "application/pdf", None)
    for start in range(0, len(content), 70_000):
        handler.receive_data_chunk(content[start : start + 70_000], start)
    return handler.file_complete(len(content))


SIZES = [0, 1, SEGMENT_SIZE - 1, SEGMENT_SIZE, SEGMENT_SIZE + 1, 3 * SEGMENT_SIZE, 200_001]


@pytest.mark.parametrize("size", SIZES)
def test_the_plaintext_reads_back_whole(size):
    content = bytes(range(256)) * (size // 256) + b"z" * (size % 256)
    upload = encrypted(content)
    with open_upload(upload, key=KEY) as plaintext:
        assert plaintext.read() == content
        assert plaintext.seekable()
        assert plaintext.seek(0, io.SEEK_END) == size


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_any_seek_and_read_gives_the_right_bytes(data):
    size = data.draw(st.integers(0, 3 * SEGMENT_SIZE + 10))
    content = data.draw(st.randoms()).randbytes(size)
    upload = encrypted(content)
    with open_upload(upload, key=KEY) as plaintext:
        for _read in range(5):
            offset = data.draw(st.integers(0, size + 5))
            length = data.draw(st.integers(0, SEGMENT_SIZE + 5))
            plaintext.seek(offset)
            assert plaintext.read(length) == content[offset : offset + length]


def test_the_view_writes_nothing_and_leaves_the_upload_to_be_stored():
    upload = encrypted(b"%PDF-1.7 plaintext" * 1000)
    with open_upload(upload, key=KEY) as plaintext:
        plaintext.read()
    assert not upload.file.closed
    upload.file.seek(0)
    assert b"plaintext" not in upload.file.read()


def test_a_damaged_segment_or_a_wrong_key_fails():
    upload = encrypted(b"x" * (3 * SEGMENT_SIZE))
    upload.file.seek(HEADER_SIZE + SEGMENT_SIZE + 100)
    upload.file.write(b"!")
    with open_upload(upload, key=KEY) as plaintext:
        assert plaintext.read(10) == b"x" * 10  # the first segment is intact
        plaintext.seek(SEGMENT_SIZE + 5)
        with pytest.raises(DecryptionError):
            plaintext.read(10)
    with (
        open_upload(encrypted(b"abc"), key=random_key()) as plaintext,
        pytest.raises(DecryptionError),
    ):
        plaintext.read()


def test_an_upload_of_another_record_is_refused():
    upload = encrypted(b"abc")
    with pytest.raises(DecryptionError):
        UploadPlaintext(upload.file, key=KEY, case_id=uuid.uuid4(), document_id=upload.document_id)


def test_a_truncated_upload_is_refused():
    upload = encrypted(b"y" * (2 * SEGMENT_SIZE + 10))
    upload.file.truncate(HEADER_SIZE + SEGMENT_SIZE + 16)
    with open_upload(upload, key=KEY) as plaintext, pytest.raises(DecryptionError):
        plaintext.read()


# --- Checking an upload's contents through the view ---------------------------------------------


def checked(content: bytes) -> tuple[str | None, int]:
    """The reason a check through the decrypting view refuses this (or None), and the peak of
    memory the check took (bytes, as tracemalloc counts them)."""
    upload = encrypted(content)
    tracemalloc.start()
    try:
        with open_upload(upload, key=KEY) as plaintext:
            contents.check(plaintext, filetypes.sniff(content[:2048]), head=content[:2048])
        return None, tracemalloc.get_traced_memory()[1]
    except contents.Refused as refused:
        return refused.reason, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_pdf_bomb_is_refused_through_the_view_in_little_memory():
    found, peak = checked(documents.pdf_with_object_stream_bomb(70 * 1024 * 1024))
    assert found == "pdf_complex"
    assert peak < 40 * 1024 * 1024  # it was accepted, after 1.6 GB


def test_a_word_bomb_lying_about_its_size_is_refused_through_the_view():
    found, peak = checked(documents.docx_lying_about_size(b" " * (200 * 1024 * 1024)))
    assert found == "damaged"
    assert peak < 10 * 1024 * 1024


def test_the_deadline_holds_through_the_view(monkeypatch):
    assert checked(documents.pdf())[0] is None
    monkeypatch.setattr(contents, "CHECK_SECONDS", 0)
    assert checked(documents.pdf())[0] == "pdf_complex"
