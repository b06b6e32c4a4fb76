"""Encrypted documents at rest: only ciphertext reaches a storage backend, a temporary file or S3.

- ``EncryptedDocumentStorage`` wraps a Django storage (``storages["documents"]`` by default):
  ``save`` encrypts a plaintext stream on the fly (``EncryptingReader``) under a random object
  name, ``open_plaintext`` streams it back, authenticated segment by segment.
- ``EncryptingUploadHandler`` encrypts an upload as Django's multipart parser receives it, so the
  plaintext never touches the disk (Django's own ``TemporaryFileUploadHandler`` writes it to /tmp).
  It can hold a request to a budget (files, bytes, a per-client count) and skip files beyond it.
- ``open_upload`` reads an encrypted upload back as a seekable plaintext file, decrypting one
  segment at a time in memory, so that its contents can be checked before it is kept.

Memory is one segment (``SEGMENT_SIZE``) plus the caller's chunk, whatever the document's size.
Object names are random: no case, person, original file name or extension, and no object metadata
is sent (the S3 content type is ``application/octet-stream``). The original file name of an upload
is only ever the ``name`` of the ``EncryptedUploadedFile``; the caller encrypts it separately.
Nothing here logs, and no message names a file.
"""

import contextlib
import io
import secrets
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO
from uuid import UUID, uuid4

from cryptography.exceptions import InvalidTag
from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import Storage, storages
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile, StopFutureHandlers

from clemency.security.errors import DecryptionError
from clemency.security.streaming import (
    CIPHER_SEGMENT_SIZE,
    HEADER_SIZE,
    SEGMENT_SIZE,
    TAG_SIZE,
    DocumentEncryptor,
    DocumentHeader,
    _nonce,
    _segment_cipher,
    decrypt_stream,
)

OBJECT_PREFIX = "documents"
HEAD_SIZE = 2048

PlaintextSource = Iterable[bytes] | bytes | BinaryIO  # chunks, one bytes object, a binary file


def new_object_name() -> str:
    """A random storage name, ``documents/<2 hex>/<32 hex>``: 128 bits, nothing else in it."""
    token = secrets.token_hex(16)
    return f"{OBJECT_PREFIX}/{token[:2]}/{token}"


def _is_bytes(value: object) -> bool:
    return isinstance(value, bytes | bytearray | memoryview)


def _plaintext_chunks(source: PlaintextSource) -> Iterator[bytes | memoryview]:
    """The source as chunks of at most one segment (large chunks are sliced, not copied)."""
    if _is_bytes(source):
        chunks: Iterable = (source,)
    elif hasattr(source, "read"):
        chunks = _read_chunks(source, SEGMENT_SIZE)
    else:
        chunks = source
    for chunk in chunks:
        if not _is_bytes(chunk):
            raise TypeError("Plaintext must be bytes (a binary file or an iterable of bytes).")
        view = memoryview(chunk).cast("B")
        for start in range(0, len(view), SEGMENT_SIZE):
            yield view[start : start + SEGMENT_SIZE]


def _read_chunks(file: Any, size: int) -> Iterator[bytes]:
    while True:
        chunk = file.read(size)
        if not _is_bytes(chunk):
            raise TypeError("Plaintext must be bytes (a binary file or an iterable of bytes).")
        if not chunk:
            return
        yield chunk


class _ChunkReader(io.RawIOBase):
    """A read-only, non-seekable binary file over an iterator of byte chunks.

    ``read(n)`` and ``readinto`` return short only at the end, like a regular file: s3transfer
    (S3Storage) takes a short read for the end of the stream and would then read the rest in one
    ``read()``, into memory, for a single PutObject.
    """

    def __init__(self, chunks: Iterator[bytes | memoryview]) -> None:
        super().__init__()
        self._chunks = chunks
        self._pending = memoryview(b"")
        self._eof = False
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.closed:
            raise ValueError("I/O operation on closed file.")
        target = memoryview(buffer).cast("B")
        filled = 0
        while filled < len(target):
            if not self._pending:
                if self._eof:
                    break
                chunk = next(self._chunks, None)
                if chunk is None:
                    self._eof = True
                    continue
                self._pending = memoryview(chunk).cast("B")
            count = min(len(target) - filled, len(self._pending))
            target[filled : filled + count] = self._pending[:count]
            self._pending = self._pending[count:]
            filled += count
        self.bytes_read += filled
        return filled

    @property
    def finished(self) -> bool:
        """Whether every byte has been read."""
        return self._eof and not self._pending

    def close(self) -> None:
        if not self.closed:
            close = getattr(self._chunks, "close", None)
            if close is not None:
                close()
            self._pending = memoryview(b"")
        super().close()


class EncryptingReader(_ChunkReader):
    """Ciphertext of a plaintext stream, produced as it is read: header, segments, last segment.

    ``plaintext`` is an iterable of bytes, a bytes object, or a binary file-like (read from its
    current position; not closed here). Read-only and not seekable; ``read(n)`` holds at most
    about one segment in memory. ``ciphertext_size`` and ``plaintext_size`` count what has gone
    through so far; ``finished`` says whether the last segment has been read.
    """

    def __init__(
        self,
        plaintext: PlaintextSource,
        *,
        key: bytes,
        case_id: UUID,
        document_id: UUID,
        key_version: int,
    ) -> None:
        self._encryptor = DocumentEncryptor(
            key, case_id=case_id, document_id=document_id, key_version=key_version
        )
        self.head = b""  # the first HEAD_SIZE plaintext bytes, to tell the file's type
        super().__init__(self._ciphertext(_plaintext_chunks(plaintext)))

    def _ciphertext(self, plaintext: Iterator[bytes | memoryview]) -> Iterator[bytes]:
        try:
            yield self._encryptor.header
            for chunk in plaintext:
                if len(self.head) < HEAD_SIZE:
                    self.head += bytes(chunk[: HEAD_SIZE - len(self.head)])
                if sealed := self._encryptor.update(chunk):
                    yield sealed
            yield self._encryptor.finalize()
        finally:
            plaintext.close()

    @property
    def ciphertext_size(self) -> int:
        return self.bytes_read

    @property
    def plaintext_size(self) -> int:
        return self._encryptor.plaintext_size


def _checked_ciphertext(file: Any) -> Iterator[bytes]:
    """The file's bytes, after checking that they start with a document header."""
    if getattr(file, "seekable", lambda: False)():
        file.seek(0)
    header = b""
    while len(header) < HEADER_SIZE:
        chunk = file.read(HEADER_SIZE - len(header))
        if not _is_bytes(chunk):
            raise TypeError("A ciphertext file must be opened in binary mode.")
        if not chunk:
            break
        header += chunk
    DocumentHeader.parse(header)  # DecryptionError unless it is an encrypted document
    yield header
    yield from _read_chunks(file, SEGMENT_SIZE)


class StorageUnavailable(Exception):
    """The document storage could not be reached or did not do the work; nothing was kept."""


def _storage_errors() -> tuple[type[BaseException], ...]:
    """What a backend raises when it cannot do the work: the disk's OSError, and botocore's and
    boto3's errors when S3 is in use (looked up, not imported: no need to load boto3 for that)."""
    errors: list[type[BaseException]] = [OSError]
    if botocore := sys.modules.get("botocore.exceptions"):
        errors += [botocore.BotoCoreError, botocore.ClientError]
    if boto3 := sys.modules.get("boto3.exceptions"):
        errors.append(boto3.Boto3Error)
    return tuple(errors)


@dataclass(frozen=True)
class StoredDocument:
    name: str
    ciphertext_size: int
    plaintext_size: int
    head: bytes = b""  # the first plaintext bytes, to tell the file's type


def _is_s3_storage(storage: Storage) -> bool:
    # Not imported, so not an instance: no need to import boto3 to find out.
    module = sys.modules.get("storages.backends.s3")
    return module is not None and isinstance(storage, module.S3Storage)


class EncryptedDocumentStorage:
    """Encrypted documents on any Django storage; only ciphertext is written or read there."""

    def __init__(self, storage: Storage | None = None) -> None:
        self.storage = storage if storage is not None else storages["documents"]

    def save(
        self,
        plaintext: PlaintextSource,
        *,
        key: bytes,
        case_id: UUID,
        document_id: UUID,
        key_version: int,
    ) -> StoredDocument:
        """Encrypt ``plaintext`` while writing it under a new random name."""
        reader = EncryptingReader(
            plaintext, key=key, case_id=case_id, document_id=document_id, key_version=key_version
        )
        try:
            name = self._store(reader)
        finally:
            reader.close()
        return StoredDocument(name, reader.ciphertext_size, reader.plaintext_size, reader.head)

    def save_ciphertext(self, file_like: Any, *, name: str | None = None) -> str:
        """Store an already encrypted document (e.g. an ``EncryptedUploadedFile``) as it is.

        It is read from the start if seekable; a file that does not begin with a document header
        is refused (``DecryptionError``) and nothing is kept.
        """
        reader = _ChunkReader(_checked_ciphertext(file_like))
        try:
            return self._store(reader, name)
        finally:
            reader.close()

    def _store(self, reader: _ChunkReader, name: str | None = None) -> str:
        name = name or new_object_name()
        # A bare File: no content_type or name of an upload reaches the backend (S3Storage would
        # send an UploadedFile's content_type as the object's Content-Type).
        content = File(reader, name)
        stored = None
        try:
            stored = self.storage.save(name, content)
            if not reader.finished:
                raise OSError("The storage did not write the whole document.")
        except BaseException as error:
            # A partial object is only ciphertext, but useless: remove it (the name is random,
            # so it cannot be another document's).
            with contextlib.suppress(Exception):
                self.storage.delete(stored or name)
            if isinstance(error, _storage_errors()):
                raise StorageUnavailable("The document storage did not store the file.") from error
            raise
        return stored

    def open_plaintext(
        self,
        name: str,
        *,
        key: bytes,
        case_id: UUID,
        document_id: UUID,
        chunk_size: int = CIPHER_SEGMENT_SIZE,
    ) -> Iterator[bytes]:
        """Yield the document's plaintext, one authenticated segment at a time.

        Lazy: the object is opened on the first ``next()``, and ``FileNotFoundError``,
        ``StorageUnavailable`` (the backend failed) or ``DecryptionError`` surface while
        iterating. A ``DecryptionError`` can come after some
        plaintext (at a damaged or missing segment): what came before is authentic but is not the
        whole document. Close the iterator (or exhaust it) to release the file or connection.
        """
        ciphertext = self._ciphertext_chunks(name, chunk_size)
        try:
            yield from decrypt_stream(ciphertext, key, case_id=case_id, document_id=document_id)
        finally:
            ciphertext.close()

    def ciphertext(self, name: str) -> Iterator[bytes]:
        """The stored object as it is (for a backup): ciphertext, never decrypted here."""
        return self._ciphertext_chunks(name, CIPHER_SEGMENT_SIZE)

    def restore_ciphertext(self, name: str, chunks: Iterable[bytes]) -> None:
        """Store a backed-up object under its own name; refuses to replace an existing one."""
        if self.storage.exists(name):
            raise FileExistsError(f"A stored object named {name} already exists.")
        reader = _ChunkReader(_checked_ciphertext(_ChunkReader(iter(chunks))))
        try:
            stored = self._store(reader, name)
        finally:
            reader.close()
        if stored != name:
            with contextlib.suppress(Exception):
                self.storage.delete(stored)
            raise FileExistsError(f"The storage would not keep the name {name}.")

    def _ciphertext_chunks(self, name: str, chunk_size: int) -> Iterator[bytes]:
        try:
            yield from self._backend_chunks(name, chunk_size)
        except FileNotFoundError:
            raise
        except _storage_errors() as error:
            raise StorageUnavailable("The document storage did not answer.") from error

    def _backend_chunks(self, name: str, chunk_size: int) -> Iterator[bytes]:
        if _is_s3_storage(self.storage):
            # S3Storage.open() downloads the whole object to a spooled temporary file first.
            body = self._s3_body(name)
            try:
                yield body.read(HEADER_SIZE)
                yield from body.iter_chunks(chunk_size)
            finally:
                body.close()
            return
        with self.storage.open(name, "rb") as file:
            # The header, then (by default) whole cipher segments: the decryptor's copy-free path.
            yield file.read(HEADER_SIZE)
            while chunk := file.read(chunk_size):
                yield chunk

    def _s3_body(self, name: str):
        from botocore.exceptions import ClientError
        from s3transfer.constants import ALLOWED_DOWNLOAD_ARGS
        from storages.utils import clean_name

        storage = self.storage
        cleaned = clean_name(name)
        # As S3File does: only the download arguments (SSE-C) of the object parameters.
        params = {
            key: value
            for key, value in storage.get_object_parameters(cleaned).items()
            if key in ALLOWED_DOWNLOAD_ARGS
        }
        try:
            return storage.bucket.Object(storage._normalize_name(cleaned)).get(**params)["Body"]
        except ClientError as error:
            if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                raise FileNotFoundError("No stored document of that name.") from None
            raise

    def delete(self, name: str) -> None:
        self.storage.delete(name)

    @contextlib.contextmanager
    def kept(self, name: str) -> Iterator[str]:
        """Hold a just-stored object while the block records it: if the block raises (the row
        could not be saved), the object is deleted again, so nothing is stored unrecorded."""
        try:
            yield name
        except BaseException:
            with contextlib.suppress(Exception):
                self.delete(name)
            raise

    def exists(self, name: str) -> bool:
        return self.storage.exists(name)

    def size(self, name: str) -> int:
        """The ciphertext size (``streaming.plaintext_size`` gives the document's)."""
        return self.storage.size(name)


# --- Uploads --------------------------------------------------------------------------------------


class EncryptedUploadedFile(UploadedFile):
    """An upload as ciphertext in an anonymous temporary file.

    ``file`` (and ``read``/``chunks``) is the ciphertext; ``size`` is the plaintext size (as
    Django's forms expect); ``head`` is the first ``HEAD_SIZE`` bytes of plaintext, in memory,
    for content sniffing. ``name`` is the sanitised original file name: treat it as personal data
    (``str()`` and ``repr()`` leave it out).
    """

    def __init__(
        self,
        file,
        *,
        name: str,
        content_type: str | None,
        charset: str | None,
        content_type_extra: dict | None,
        case_id: UUID,
        document_id: UUID,
        key_version: int,
        plaintext_size: int,
        ciphertext_size: int,
        head: bytes,
    ) -> None:
        super().__init__(file, name, content_type, plaintext_size, charset, content_type_extra)
        self.case_id = case_id
        self.document_id = document_id
        self.key_version = key_version
        self.plaintext_size = plaintext_size
        self.ciphertext_size = ciphertext_size
        self.head = head

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: document {self.document_id}, {self.plaintext_size} bytes>"

    def __str__(self) -> str:
        return f"document {self.document_id}"


class UploadPlaintext(io.RawIOBase):
    """The plaintext of an encrypted upload, read-only and seekable, decrypted as it is read.

    Segment ``i`` of the ciphertext sits at a known offset and carries its index (and whether it
    is the last) in its nonce, so any part can be read without the rest; every segment read is
    authenticated (``DecryptionError`` otherwise). Memory is one segment; nothing is written.
    For checking an upload's contents with parsers that seek (PDF, ZIP).
    """

    def __init__(self, file, *, key: bytes, case_id: UUID, document_id: UUID) -> None:
        super().__init__()
        file.seek(0)
        header = DocumentHeader.parse(file.read(HEADER_SIZE))
        if header.case_id != case_id or header.document_id != document_id:
            raise DecryptionError("This upload belongs to another case or record.")
        body = file.seek(0, io.SEEK_END) - HEADER_SIZE
        if body < TAG_SIZE:
            raise DecryptionError("A document is truncated.")
        self._file = file
        self._cipher = _segment_cipher(key, header.raw, header.salt)
        self._prefix = header.nonce_prefix
        self._segments = -(-body // CIPHER_SEGMENT_SIZE)
        self.size = body - self._segments * TAG_SIZE
        self._position = 0
        self._cached: tuple[int, bytes] = (-1, b"")

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.size}[whence]
        if base + offset < 0:
            raise ValueError("Negative seek position.")
        self._position = base + offset
        return self._position

    def _segment(self, index: int) -> bytes:
        if self._cached[0] == index:
            return self._cached[1]
        self._file.seek(HEADER_SIZE + index * CIPHER_SEGMENT_SIZE)
        sealed = self._file.read(CIPHER_SEGMENT_SIZE)
        nonce = _nonce(self._prefix, index, index == self._segments - 1)
        try:
            plaintext = self._cipher.decrypt(nonce, sealed, None)
        except InvalidTag:
            raise DecryptionError("A document segment failed authentication.") from None
        self._cached = (index, plaintext)
        return plaintext

    def readinto(self, buffer) -> int:
        if self.closed:
            raise ValueError("I/O operation on closed file.")
        target = memoryview(buffer).cast("B")
        filled = 0
        while filled < len(target) and self._position < self.size:
            index, offset = divmod(self._position, SEGMENT_SIZE)
            segment = self._segment(index)
            count = min(len(target) - filled, len(segment) - offset)
            target[filled : filled + count] = segment[offset : offset + count]
            filled += count
            self._position += count
        return filled

    def close(self) -> None:
        self._cached = (-1, b"")
        super().close()  # the upload's own file stays open: it is stored next


def open_upload(upload: "EncryptedUploadedFile", *, key: bytes) -> io.BufferedReader:
    """The upload's plaintext as a read-only, seekable binary file (``UploadPlaintext``)."""
    raw = UploadPlaintext(
        upload.file, key=key, case_id=upload.case_id, document_id=upload.document_id
    )
    return io.BufferedReader(raw, buffer_size=SEGMENT_SIZE)


class RefuseFilesUploadHandler(FileUploadHandler):
    """The default upload handler (FILE_UPLOAD_HANDLERS): form fields pass, files are dropped.

    Only a view that installs ``EncryptingUploadHandler`` accepts files, so no other code path
    (including CsrfViewMiddleware reading ``request.POST``) can spool a plaintext upload to disk.
    """

    def new_file(self, *args, **kwargs) -> None:
        raise SkipFile()

    def receive_data_chunk(self, raw_data, start):
        return None

    def file_complete(self, file_size):
        return None


@dataclass(frozen=True)
class UploadRejection:
    field_name: str
    # "too_large" (over max_size), "too_many" (over max_files), "over_budget" (over max_total),
    # or what ``admit`` answered
    reason: str
    max_size: int


class EncryptingUploadHandler(FileUploadHandler):
    """Encrypts each uploaded file as it arrives; only ciphertext is written to a temporary file.

    It must be the only upload handler, installed before anything reads ``request.POST`` or
    ``request.FILES``::

        @csrf_exempt
        def upload(request, case_id):
            request.upload_handlers = [
                EncryptingUploadHandler(
                    request, key=..., case_id=..., key_version=..., max_size=...
                )
            ]
            return _upload(request, case_id)

        @csrf_protect
        def _upload(request, case_id): ...

    (``CsrfViewMiddleware`` reads ``request.POST`` before the view runs, with the default handlers,
    which would write the plaintext to /tmp: hence ``csrf_exempt`` outside, ``csrf_protect``
    inside, as Django's documentation on upload handlers describes.) It stops later handlers from
    seeing the file at all (``new_file`` raises ``StopFutureHandlers``, ``receive_data_chunk``
    returns None).

    Every file gets its own document id from ``document_id_factory`` (``uuid4`` by default; pass
    ``iter(ids).__next__`` for fixed ids). A file of more than ``max_size`` bytes of plaintext is
    dropped (``SkipFile``; its temporary file is closed, so deleted) and recorded in
    ``rejections``; the rest of the form is still parsed.

    A budget holds the request to what its application or case may still take: ``max_files``
    files and ``max_total`` bytes of plaintext together (files beyond either are skipped the
    same way, "too_many" and "over_budget"). ``admit``, if given, is called as each file starts,
    before a byte of it is written (a per-client counter); a reason it returns skips the file
    with that reason. So one request with a hundred files stores at most the budget, and the
    caller checks the budget again, under a lock, when it keeps each file.
    """

    def __init__(
        self,
        request=None,
        *,
        key: bytes,
        case_id: UUID,
        key_version: int,
        max_size: int,
        max_files: int | None = None,
        max_total: int | None = None,
        admit: Callable[[], str | None] | None = None,
        document_id_factory: Callable[[], UUID] = uuid4,
    ) -> None:
        super().__init__(request)
        self._key = key
        self.case_id = case_id
        self.key_version = key_version
        self.max_size = max_size
        self.max_files = max_files
        self.max_total = max_total
        self._admit = admit
        self._document_id_factory = document_id_factory
        self._encryptor: DocumentEncryptor | None = None
        self._head = bytearray()
        self.document_id: UUID | None = None
        self.rejections: list[UploadRejection] = []
        self.accepted_files = 0
        self.accepted_bytes = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        return None  # let the multipart parser run; the files come to new_file and friends

    def new_file(
        self,
        field_name,
        file_name,
        content_type,
        content_length,
        charset=None,
        content_type_extra=None,
    ):
        super().new_file(
            field_name, file_name, content_type, content_length, charset, content_type_extra
        )
        self._discard()
        reason = self._admit() if self._admit is not None else None
        if reason is None and self.max_files is not None and self.accepted_files >= self.max_files:
            reason = "too_many"
        if reason is not None:
            self.rejections.append(UploadRejection(field_name, reason, self.max_size))
            raise SkipFile()
        self.document_id = self._document_id_factory()
        self._encryptor = DocumentEncryptor(
            self._key,
            case_id=self.case_id,
            document_id=self.document_id,
            key_version=self.key_version,
        )
        self._head = bytearray()
        # Anonymous (O_TMPFILE where available) and only ever holding ciphertext. The multipart
        # parser closes ``self.file`` when a file is skipped or the upload stopped.
        self.file = tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR)  # noqa: SIM115
        self.file.write(self._encryptor.header)
        raise StopFutureHandlers()

    def receive_data_chunk(self, raw_data, start):
        encryptor = self._encryptor
        if encryptor is None:
            return None
        size = encryptor.plaintext_size + len(raw_data)
        reason = None
        if size > self.max_size:
            reason = "too_large"
        elif self.max_total is not None and self.accepted_bytes + size > self.max_total:
            reason = "over_budget"
        if reason is not None:
            self.rejections.append(UploadRejection(self.field_name, reason, self.max_size))
            self._discard()
            raise SkipFile()
        if len(self._head) < HEAD_SIZE:
            self._head += raw_data[: HEAD_SIZE - len(self._head)]
        if sealed := encryptor.update(raw_data):
            self.file.write(sealed)
        return None  # no later handler gets the plaintext

    def file_complete(self, file_size):
        encryptor = self._encryptor
        if encryptor is None:
            return None
        self.file.write(encryptor.finalize())
        ciphertext_size = self.file.tell()
        self.file.seek(0)
        uploaded = EncryptedUploadedFile(
            self.file,
            name=self.file_name,
            content_type=self.content_type,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
            case_id=self.case_id,
            document_id=self.document_id,
            key_version=self.key_version,
            plaintext_size=encryptor.plaintext_size,
            ciphertext_size=ciphertext_size,
            head=bytes(self._head),
        )
        self.accepted_files += 1
        self.accepted_bytes += encryptor.plaintext_size
        # The file now belongs to the request (closed with it), not to the parser.
        del self.file
        self._encryptor = None
        self._head = bytearray()
        return uploaded

    def upload_interrupted(self):
        self._discard()

    def _discard(self) -> None:
        self._encryptor = None
        self._head = bytearray()
        file = self.__dict__.pop("file", None)
        if file is not None:
            file.close()
