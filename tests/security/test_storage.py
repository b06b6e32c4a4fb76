"""Encrypted document storage on a local FileSystemStorage and on a real S3 (SeaweedFS)."""

import contextlib
import hashlib
import io
import os
import tempfile
import tracemalloc
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from boto3.s3.transfer import TransferConfig
from django.core.files.storage import FileSystemStorage, Storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, TemporaryFileUploadHandler
from django.test.client import encode_multipart
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clemency.security.errors import DecryptionError
from clemency.security.keys import random_key
from clemency.security.storage import (
    HEAD_SIZE,
    EncryptedDocumentStorage,
    EncryptedUploadedFile,
    EncryptingReader,
    EncryptingUploadHandler,
    StoredDocument,
    UploadRejection,
    new_object_name,
)
from clemency.security.streaming import (
    HEADER_SIZE,
    SEGMENT_SIZE,
    TAG_SIZE,
    decrypt_stream,
    plaintext_size,
)

CIPHER_SEGMENT = SEGMENT_SIZE + TAG_SIZE
MARKER = b"MARKER-Maria-Lopez-A123456789"
ORIGINAL_NAME = "Maria-Lopez-A123456789-passport.pdf"
NAME_FRAGMENTS = ["Maria", "Lopez", "A123456789", "passport", ".pdf"]
MiB = 2**20


def pattern(size: int, seed: int = 0) -> bytes:
    block = hashlib.sha256(seed.to_bytes(4, "big")).digest() * 8 + bytes(range(256))
    return (block * (size // len(block) + 1))[:size]


def chunked(data: bytes, size: int = 10_000):
    return (data[i : i + size] for i in range(0, len(data), size))


@dataclass
class Ids:
    key: bytes
    case_id: uuid.UUID
    document_id: uuid.UUID

    @property
    def open(self) -> dict:
        return {"key": self.key, "case_id": self.case_id, "document_id": self.document_id}

    @property
    def save(self) -> dict:
        return self.open | {"key_version": 3}


def new_ids() -> Ids:
    return Ids(random_key(), uuid.uuid4(), uuid.uuid4())


@pytest.fixture
def ids() -> Ids:
    return new_ids()


@dataclass
class Backend:
    kind: str
    storage: Storage
    read_raw: Callable[[str], bytes]
    write_raw: Callable[[str, bytes], None]
    objects: Callable[[], dict[str, bytes]]
    metadata: Callable[[str], dict]

    @property
    def documents(self) -> EncryptedDocumentStorage:
        return EncryptedDocumentStorage(self.storage)


def filesystem_backend(root: Path) -> Backend:
    storage = FileSystemStorage(location=root)

    def objects() -> dict[str, bytes]:
        return {
            path.relative_to(root).as_posix(): path.read_bytes()
            for path in root.rglob("*")
            if path.is_file()
        }

    return Backend(
        "filesystem",
        storage,
        read_raw=lambda name: Path(storage.path(name)).read_bytes(),
        write_raw=lambda name, data: Path(storage.path(name)).write_bytes(data),
        objects=objects,
        metadata=lambda name: {},
    )


def s3_backend(server, storage) -> Backend:
    client, bucket = server.client(), storage.bucket_name

    def objects() -> dict[str, bytes]:
        listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
        return {
            item["Key"]: client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            for item in listed
        }

    return Backend(
        "s3",
        storage,
        read_raw=lambda name: client.get_object(Bucket=bucket, Key=name)["Body"].read(),
        write_raw=lambda name, data: client.put_object(Bucket=bucket, Key=name, Body=data),
        objects=objects,
        metadata=lambda name: client.head_object(Bucket=bucket, Key=name),
    )


@pytest.fixture(params=["filesystem", "s3"])
def backend(request, tmp_path) -> Backend:
    if request.param == "filesystem":
        return filesystem_backend(tmp_path / "documents")
    return s3_backend(request.getfixturevalue("s3_server"), request.getfixturevalue("s3_storage"))


def read_all(documents: EncryptedDocumentStorage, name: str, ids: Ids, **kwargs) -> bytes:
    return b"".join(documents.open_plaintext(name, **ids.open, **kwargs))


# --- Names and the reader -------------------------------------------------------------------------


def test_object_names_are_random_and_carry_nothing():
    names = {new_object_name() for _ in range(1000)}
    assert len(names) == 1000
    for name in names:
        prefix, fan_out, token = name.split("/")
        assert prefix == "documents"
        assert len(token) == 32
        assert int(token, 16) >= 0
        assert fan_out == token[:2]


@pytest.mark.parametrize("source", ["chunks", "bytes", "file"])
def test_encrypting_reader_streams_ciphertext(ids, source):
    data = pattern(3 * SEGMENT_SIZE + 5)
    plaintext = {
        "chunks": chunked(data, 150_000),
        "bytes": data,
        "file": io.BytesIO(data),
    }[source]
    reader = EncryptingReader(plaintext, **ids.save)
    assert reader.readable()
    assert not reader.seekable()
    pieces = []
    while piece := reader.read(1000):
        pieces.append(piece)
    # Full reads until the end, like a file: s3transfer depends on it.
    assert {len(piece) for piece in pieces[:-1]} == {1000}
    assert 0 < len(pieces[-1]) <= 1000
    blob = b"".join(pieces)
    assert reader.finished
    assert reader.ciphertext_size == len(blob) == HEADER_SIZE + len(data) + 4 * TAG_SIZE
    assert reader.plaintext_size == len(data)
    assert b"".join(decrypt_stream(chunked(blob), **ids.open)) == data
    reader.close()
    with pytest.raises(ValueError, match="closed"):
        reader.read(1)


def test_encrypting_reader_read_all_and_refuses_text(ids):
    reader = EncryptingReader([b"abc", b"", b"def"], **ids.save)
    blob = reader.read()
    assert b"".join(decrypt_stream([blob], **ids.open)) == b"abcdef"
    with pytest.raises(TypeError):
        EncryptingReader(["text"], **ids.save).read()
    with pytest.raises(TypeError):
        EncryptingReader(io.StringIO("text"), **ids.save).read()


# --- Round trips ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "size", [0, 1, SEGMENT_SIZE - 1, SEGMENT_SIZE, SEGMENT_SIZE + 1, 3_000_000]
)
def test_round_trip(backend, ids, size):
    data = pattern(size)
    documents = backend.documents
    stored = documents.save(chunked(data, 100_000), **ids.save)
    assert isinstance(stored, StoredDocument)
    assert stored.plaintext_size == size
    assert stored.ciphertext_size == len(backend.read_raw(stored.name))
    assert documents.size(stored.name) == stored.ciphertext_size
    assert plaintext_size(stored.ciphertext_size) == size
    assert documents.exists(stored.name)
    assert read_all(documents, stored.name, ids) == data
    assert read_all(documents, stored.name, ids, chunk_size=1000) == data
    documents.delete(stored.name)
    assert not documents.exists(stored.name)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    size=st.integers(0, 300_000),
    write_chunk=st.integers(1, 200_000),
    read_chunk=st.integers(1, 200_000),
)
def test_round_trip_any_size(backend, size, write_chunk, read_chunk):
    ids = new_ids()
    data = pattern(size, seed=size)
    stored = backend.documents.save(chunked(data, write_chunk), **ids.save)
    assert read_all(backend.documents, stored.name, ids, chunk_size=read_chunk) == data


def test_file_like_plaintext_and_the_default_storage(settings, tmp_path, ids):
    settings.STORAGES = settings.STORAGES | {
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        }
    }
    data = pattern(200_000)
    documents = EncryptedDocumentStorage()
    assert documents.storage.location == str(tmp_path)
    stored = documents.save(io.BytesIO(data), **ids.save)
    assert (tmp_path / stored.name).is_file()
    assert read_all(documents, stored.name, ids) == data


def test_missing_document(backend, ids):
    name = new_object_name()
    assert not backend.documents.exists(name)
    with pytest.raises(FileNotFoundError):
        read_all(backend.documents, name, ids)


def test_wrong_key_or_ids_fail(backend, ids):
    stored = backend.documents.save([b"secret"], **ids.save)
    for wrong in (
        {"key": random_key()},
        {"case_id": uuid.uuid4()},
        {"document_id": uuid.uuid4()},
    ):
        with pytest.raises(DecryptionError):
            b"".join(backend.documents.open_plaintext(stored.name, **(ids.open | wrong)))


def test_s3_reads_stream_without_s3file(s3_server, s3_storage, ids, monkeypatch):
    """S3Storage.open() downloads the whole object to a temporary file: it must not be used."""

    def refuse(*args, **kwargs):
        raise AssertionError("S3Storage.open() was used")

    monkeypatch.setattr(s3_storage, "open", refuse)
    documents = EncryptedDocumentStorage(s3_storage)
    data = pattern(20 * MiB)
    stored = documents.save(chunked(data, SEGMENT_SIZE), **ids.save)
    digest = hashlib.sha256()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        for piece in documents.open_plaintext(stored.name, **ids.open):
            digest.update(piece)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert digest.digest() == hashlib.sha256(data).digest()
    assert peak - base < 8 * MiB


def test_s3_upload_streams_in_parts(s3_server, s3_storage, ids):
    """A stream is uploaded part by part: memory is set by the transfer config, not the size."""
    config = TransferConfig(multipart_chunksize=5 * MiB, max_concurrency=1)
    config.max_in_memory_upload_chunks = 1
    s3_storage.transfer_config = config
    documents = EncryptedDocumentStorage(s3_storage)
    documents.save([b"warm up"], **ids.save)
    block = pattern(SEGMENT_SIZE)
    count = 50 * MiB // SEGMENT_SIZE
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        stored = documents.save((block for _ in range(count)), **ids.save)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak - base < 30 * MiB
    assert stored.plaintext_size == 50 * MiB
    parts = -(-stored.ciphertext_size // (5 * MiB))
    assert s3_storage.bucket.Object(stored.name).e_tag.strip('"').endswith(f"-{parts}")
    digest = hashlib.sha256()
    for piece in documents.open_plaintext(stored.name, **ids.open):
        digest.update(piece)
    assert digest.digest() == hashlib.sha256(block * count).digest()


# --- No plaintext at rest -------------------------------------------------------------------------


def assert_nothing_personal(backend: Backend, name: str) -> None:
    for fragment in NAME_FRAGMENTS:
        assert fragment not in name
    for object_name, raw in backend.objects().items():
        assert MARKER not in raw
        assert MARKER[7:18] not in raw  # "Maria-Lopez"
        for fragment in NAME_FRAGMENTS:
            assert fragment not in object_name
    if backend.kind == "s3":
        head = backend.metadata(name)
        assert head["Metadata"] == {}
        assert head["ContentType"] == "application/octet-stream"
        assert "ContentDisposition" not in head
        assert "ContentEncoding" not in head
        text = repr({k: v for k, v in head.items() if k != "ResponseMetadata"})
        headers = repr(head["ResponseMetadata"]["HTTPHeaders"])
        for fragment in NAME_FRAGMENTS:
            assert fragment not in text
            assert fragment not in headers


def test_no_plaintext_at_rest(backend, ids):
    data = (MARKER + b"\n") * 10_000
    stored = backend.documents.save(chunked(data, 4096), **ids.save)
    raw = backend.read_raw(stored.name)
    assert len(raw) == stored.ciphertext_size
    assert MARKER not in raw
    assert_nothing_personal(backend, stored.name)
    assert read_all(backend.documents, stored.name, ids) == data


def test_uploaded_ciphertext_at_rest_has_no_name_or_type(backend, ids, rf, upload_env):
    content = (MARKER + b"\n") * 5000
    request = multipart_request(rf, {"document": (ORIGINAL_NAME, content, "application/pdf")})
    request.upload_handlers = [upload_handler(request, ids)]
    uploaded = request.FILES["document"]
    assert uploaded.name == ORIGINAL_NAME
    assert uploaded.content_type == "application/pdf"
    name = backend.documents.save_ciphertext(uploaded)
    assert_nothing_personal(backend, name)
    assert read_all(backend.documents, name, ids) == content


def test_save_ciphertext_refuses_plaintext(backend):
    with pytest.raises(DecryptionError):
        backend.documents.save_ciphertext(io.BytesIO(MARKER * 100))
    with pytest.raises(DecryptionError):
        backend.documents.save_ciphertext(io.BytesIO(b""))
    assert backend.objects() == {}


# --- Tampering ------------------------------------------------------------------------------------

TAMPER_SIZE = 4 * SEGMENT_SIZE - 100  # three full segments and a short last one


def flip(offset: int):
    def damage(blob: bytes) -> bytes:
        return blob[:offset] + bytes([blob[offset] ^ 0x01]) + blob[offset + 1 :]

    return damage


DAMAGE = {
    # name: (damage, how many whole segments may be yielded before the error)
    "header": (flip(40), 0),
    "first segment": (flip(HEADER_SIZE + 5), 0),
    "third segment": (flip(HEADER_SIZE + 2 * CIPHER_SEGMENT + 1000), 2),
    "third segment tag": (flip(HEADER_SIZE + 3 * CIPHER_SEGMENT - 1), 2),
    "last segment tag": (lambda blob: flip(len(blob) - 1)(blob), 3),
    "truncated in last segment": (lambda blob: blob[:-10], 3),
    "last segment dropped": (lambda blob: blob[: HEADER_SIZE + 3 * CIPHER_SEGMENT], 2),
    "two segments dropped": (lambda blob: blob[: HEADER_SIZE + 2 * CIPHER_SEGMENT], 1),
    "header only": (lambda blob: blob[:HEADER_SIZE], 0),
    "empty": (lambda blob: b"", 0),
    "extended": (lambda blob: blob + b"\0", 3),
    "segments swapped": (
        lambda blob: (
            blob[:HEADER_SIZE]
            + blob[HEADER_SIZE + CIPHER_SEGMENT : HEADER_SIZE + 2 * CIPHER_SEGMENT]
            + blob[HEADER_SIZE : HEADER_SIZE + CIPHER_SEGMENT]
            + blob[HEADER_SIZE + 2 * CIPHER_SEGMENT :]
        ),
        0,
    ),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_tampering_is_detected_before_the_damaged_segment(backend, ids, damage):
    damage_fn, intact_segments = DAMAGE[damage]
    data = pattern(TAMPER_SIZE)
    stored = backend.documents.save([data], **ids.save)
    backend.write_raw(stored.name, damage_fn(backend.read_raw(stored.name)))
    received = bytearray()
    with pytest.raises(DecryptionError):  # noqa: PT012 - the error comes while iterating
        for piece in backend.documents.open_plaintext(stored.name, **ids.open):
            received += piece
    assert len(received) <= intact_segments * SEGMENT_SIZE
    assert received == data[: len(received)]


# --- The upload handler ---------------------------------------------------------------------------

BOUNDARY = "test-boundary-7MA4YWxkTrZu0gW"


def multipart_request(rf, files: dict, fields: dict | None = None):
    data = dict(fields or {})
    for field, (name, content, content_type) in files.items():
        data[field] = SimpleUploadedFile(name, content, content_type)
    body = encode_multipart(BOUNDARY, data)
    return rf.generic(
        "POST", "/upload/", body, content_type=f"multipart/form-data; boundary={BOUNDARY}"
    )


def upload_handler(request, ids: Ids, max_size: int = 64 * MiB, **kwargs):
    return EncryptingUploadHandler(
        request,
        key=ids.key,
        case_id=ids.case_id,
        key_version=3,
        max_size=max_size,
        document_id_factory=iter([ids.document_id, uuid.uuid4(), uuid.uuid4()]).__next__,
        **kwargs,
    )


@pytest.fixture(params=["default temp dir", "FILE_UPLOAD_TEMP_DIR"])
def upload_env(request, tmp_path, monkeypatch, settings):
    """Temporary files go to fresh, empty directories that the test can scan exactly."""
    temp_dir = tmp_path / "tmp"
    temp_dir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp_dir))
    if request.param == "FILE_UPLOAD_TEMP_DIR":
        upload_dir = tmp_path / "uploads"
        upload_dir.mkdir()
        settings.FILE_UPLOAD_TEMP_DIR = str(upload_dir)
    else:
        settings.FILE_UPLOAD_TEMP_DIR = None
    return [temp_dir, *([upload_dir] if request.param == "FILE_UPLOAD_TEMP_DIR" else [])]


def temporary_files(directories: list[Path]) -> dict[str, Path]:
    """Files under the directories: on disk, and open but nameless (O_TMPFILE, via /proc)."""
    found = {str(path): path for d in directories for path in d.rglob("*") if path.is_file()}
    proc = Path("/proc/self/fd")
    if proc.is_dir():
        roots = tuple(str(directory) for directory in directories)
        for fd in os.listdir(proc):
            with contextlib.suppress(OSError):
                target = os.readlink(proc / fd)
                if target.startswith(roots):
                    found[target] = proc / fd
    return found


def files_containing(directories: list[Path], needle: bytes) -> list[str]:
    return [name for name, path in temporary_files(directories).items() if needle in read(path)]


def read(path: Path) -> bytes:
    with contextlib.suppress(FileNotFoundError), open(path, "rb") as file:
        return file.read()
    return b""


LARGE = (MARKER + b" lives at 12 Example Street\n") * (20 * MiB // (len(MARKER) + 28))


def test_upload_holds_and_writes_ciphertext_only(rf, ids, upload_env):
    request = multipart_request(
        rf,
        {"document": (ORIGINAL_NAME, LARGE, "application/pdf")},
        {"note": "first visit"},
    )
    handler = upload_handler(request, ids)
    request.upload_handlers = [handler]
    uploaded = request.FILES["document"]
    assert request.POST["note"] == "first visit"

    assert isinstance(uploaded, EncryptedUploadedFile)
    assert uploaded.name == ORIGINAL_NAME
    assert ORIGINAL_NAME not in repr(uploaded)
    assert ORIGINAL_NAME not in str(uploaded)
    assert uploaded.document_id == ids.document_id
    assert uploaded.case_id == ids.case_id
    assert uploaded.key_version == 3
    assert uploaded.size == uploaded.plaintext_size == len(LARGE)
    assert uploaded.head == LARGE[:HEAD_SIZE]
    assert handler.rejections == []

    # The temporary file is open (if nameless, the scan reads it through /proc).
    assert temporary_files(upload_env) != {}
    assert files_containing(upload_env, MARKER) == []
    ciphertext = uploaded.read()
    assert len(ciphertext) == uploaded.ciphertext_size
    assert MARKER not in ciphertext
    assert b"".join(decrypt_stream(chunked(ciphertext, SEGMENT_SIZE), **ids.open)) == LARGE
    assert b"".join(decrypt_stream(uploaded.chunks(), **ids.open)) == LARGE

    request.close()
    assert uploaded.closed
    assert files_containing(upload_env, MARKER) == []


def test_the_scan_finds_plaintext_that_django_writes(rf, upload_env):
    """Control: Django's own handler leaves the plaintext in a temporary file the scan finds."""
    request = multipart_request(rf, {"document": (ORIGINAL_NAME, LARGE, "application/pdf")})
    request.upload_handlers = [TemporaryFileUploadHandler(request)]
    uploaded = request.FILES["document"]
    try:
        assert files_containing(upload_env, MARKER) != []
    finally:
        uploaded.close()


def test_upload_is_stored_and_read_back(rf, ids, upload_env, tmp_path):
    backend = filesystem_backend(tmp_path / "documents")
    request = multipart_request(rf, {"document": (ORIGINAL_NAME, LARGE, "application/pdf")})
    request.upload_handlers = [upload_handler(request, ids)]
    name = backend.documents.save_ciphertext(request.FILES["document"])
    request.close()
    assert MARKER not in backend.read_raw(name)
    assert read_all(backend.documents, name, ids) == LARGE
    assert files_containing([tmp_path], MARKER) == []


def test_upload_max_size(rf, ids, upload_env):
    limit = 2 * MiB
    exact = pattern(limit)
    request = multipart_request(
        rf,
        {
            "too_big": (ORIGINAL_NAME, LARGE, "application/pdf"),
            "exactly": ("exact.bin", exact, "application/octet-stream"),
        },
        {"note": "kept"},
    )
    handler = upload_handler(request, ids, max_size=limit)
    request.upload_handlers = [handler]
    assert "too_big" not in request.FILES
    assert request.POST["note"] == "kept"
    assert handler.rejections == [UploadRejection("too_big", "too_large", limit)]
    accepted = request.FILES["exactly"]
    assert accepted.plaintext_size == limit
    assert b"".join(decrypt_stream(accepted.chunks(), key=ids.key, **accepted_ids(accepted))) == (
        exact
    )
    assert files_containing(upload_env, MARKER) == []
    request.close()


def accepted_ids(uploaded: EncryptedUploadedFile) -> dict:
    return {"case_id": uploaded.case_id, "document_id": uploaded.document_id}


class SpyHandler(FileUploadHandler):
    def __init__(self, request=None):
        super().__init__(request)
        self.calls = []

    def new_file(self, *args, **kwargs):
        self.calls.append("new_file")

    def receive_data_chunk(self, raw_data, start):
        self.calls.append("receive_data_chunk")
        return raw_data

    def file_complete(self, file_size):
        self.calls.append("file_complete")


def test_no_later_handler_sees_the_plaintext(rf, ids, upload_env):
    request = multipart_request(
        rf,
        {
            "first": ("a.pdf", pattern(300_000), "application/pdf"),
            "second": ("b.pdf", pattern(5, seed=1), "application/pdf"),
        },
    )
    spy = SpyHandler(request)
    request.upload_handlers = [upload_handler(request, ids), spy]
    first, second = request.FILES["first"], request.FILES["second"]
    assert spy.calls == []
    assert first.document_id == ids.document_id
    assert second.document_id not in {ids.document_id, None}
    assert b"".join(decrypt_stream(second.chunks(), key=ids.key, **accepted_ids(second))) == (
        pattern(5, seed=1)
    )
    request.close()


def test_upload_parsing_memory(rf, ids, upload_env):
    request = multipart_request(rf, {"document": (ORIGINAL_NAME, LARGE, "application/pdf")})
    request.upload_handlers = [upload_handler(request, ids)]
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        uploaded = request.FILES["document"]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert uploaded.plaintext_size == len(LARGE)
    assert peak - base < 8 * MiB
    request.close()


# --- Memory ---------------------------------------------------------------------------------------


def test_streaming_memory_is_bounded(tmp_path, ids):
    """50 MB through encryption and decryption on disk: memory stays within a few segments."""
    total = 50 * MiB
    block = pattern(SEGMENT_SIZE)

    def plaintext():
        for index in range(total // SEGMENT_SIZE):
            yield index.to_bytes(8, "big") + block[8:]

    expected = hashlib.sha256()
    for chunk in plaintext():
        expected.update(chunk)
    documents = filesystem_backend(tmp_path / "documents").documents

    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        stored = documents.save(plaintext(), **ids.save)
        _, encrypt_peak = tracemalloc.get_traced_memory()

        tracemalloc.reset_peak()
        base_decrypt, _ = tracemalloc.get_traced_memory()
        digest = hashlib.sha256()
        for piece in documents.open_plaintext(stored.name, **ids.open):
            digest.update(piece)
        _, decrypt_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert stored.plaintext_size == total
    assert digest.digest() == expected.digest()
    assert encrypt_peak - base < 8 * MiB
    assert decrypt_peak - base_decrypt < 8 * MiB


def test_default_upload_handler_drops_files_but_keeps_fields(tmp_path, monkeypatch):
    from django.test import RequestFactory

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    payload = b"MARKER-Maria-Lopez-A123456789 " * 200_000  # 6 MB: Django would spool it to disk
    request = RequestFactory().post(
        "/anywhere/", {"note": "kept", "file": SimpleUploadedFile("passport.pdf", payload)}
    )
    assert request.POST["note"] == "kept"
    assert "file" not in request.FILES
    assert list(tmp_path.iterdir()) == []
