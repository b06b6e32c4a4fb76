"""Segmented streaming encryption for documents (DESIGN.md §8), after Tink's streaming AEAD.

Layout of a stored document::

    header (82 bytes): magic "CLMDOC" | format version (1) | case UUID (16) | document UUID (16)
                       | key version (4) | salt (32) | nonce prefix (7)
    segment 0 .. n-1:  AES-256-GCM of 64 KiB of plaintext (the last one shorter, possibly empty),
                       each 16 bytes longer than its plaintext

The file key is HKDF-SHA256 of the data key, with the salt and the whole header as context, so a
changed header yields a different key. Each segment's nonce is prefix (7) | index (4) | last (1):
reordered, dropped, duplicated or spliced segments and a truncated file fail authentication.
Memory is one segment whatever the file size.
"""

import secrets
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from clemency.security.errors import DecryptionError

MAGIC = b"CLMDOC"
FORMAT_VERSION = 1
SEGMENT_SIZE = 64 * 1024
TAG_SIZE = 16
CIPHER_SEGMENT_SIZE = SEGMENT_SIZE + TAG_SIZE  # read stored documents in these, after the header
_SALT_SIZE = 32
_PREFIX_SIZE = 7
_HEADER = struct.Struct(">6sB16s16sI32s7s")
HEADER_SIZE = _HEADER.size
_CIPHER_SEGMENT = CIPHER_SEGMENT_SIZE
_MAX_SEGMENTS = 2**32
_INFO = b"clemency/document/v1|"


@dataclass(frozen=True)
class DocumentHeader:
    case_id: UUID
    document_id: UUID
    key_version: int
    salt: bytes
    nonce_prefix: bytes
    raw: bytes

    @classmethod
    def parse(cls, raw: bytes) -> "DocumentHeader":
        if len(raw) < HEADER_SIZE:
            raise DecryptionError("A document is shorter than its header.")
        magic, version, case, document, key_version, salt, prefix = _HEADER.unpack_from(raw)
        if magic != MAGIC or version != FORMAT_VERSION:
            raise DecryptionError("Not an encrypted document of a known format.")
        return cls(
            UUID(bytes=case), UUID(bytes=document), key_version, salt, prefix, raw[:HEADER_SIZE]
        )


def _segment_cipher(key: bytes, header: bytes, salt: bytes) -> AESGCM:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_INFO + header)
    return AESGCM(hkdf.derive(key))


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    if index >= _MAX_SEGMENTS:
        raise ValueError("A document may have at most 2**32 segments.")
    return prefix + struct.pack(">IB", index, 1 if last else 0)


def _immutable(data) -> bool:
    """Bytes, or a view of bytes: safe to hold on to without a copy."""
    return isinstance(data, bytes) or (isinstance(data, memoryview) and isinstance(data.obj, bytes))


class _SegmentStream:
    """Cuts a byte stream into fixed-size segments for ``_process``, one at a time.

    The newest whole segment is held back until more data arrives, so that ``finish`` can hand
    over the true last segment (possibly a whole one) with ``last=True``. Whole segments fed in
    one at a time pass through without being copied into the buffer.
    """

    segment_size: int

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._held: bytes | memoryview | None = None
        self._index = 0
        self._finished = False

    def _process(self, segment: bytes | memoryview, *, last: bool) -> bytes:
        raise NotImplementedError

    def update(self, data: bytes) -> bytes:
        if self._finished:
            raise ValueError("This document is already finalised.")
        size = self.segment_size
        if not self._buffer and len(data) == size:
            done = b"" if self._held is None else self._process(self._held, last=False)
            self._held = data if _immutable(data) else bytes(data)
            return done
        if self._held is not None:
            self._buffer += self._held
            self._held = None
        self._buffer += data
        if len(self._buffer) <= size:
            return b""
        # Keep the tail (1 to size bytes) back: it may be the last segment.
        whole = (len(self._buffer) - 1) // size
        view = memoryview(self._buffer)
        out = [self._process(view[i * size : (i + 1) * size], last=False) for i in range(whole)]
        view.release()
        del self._buffer[: whole * size]
        return b"".join(out)

    def _take_last(self) -> bytes:
        if self._finished:
            raise ValueError("This document is already finalised.")
        self._finished = True
        last = self._held if self._held is not None else bytes(self._buffer)
        self._held = None
        self._buffer.clear()
        return last


class DocumentEncryptor(_SegmentStream):
    """Feed plaintext with ``update``; emit ``header`` first and ``finalize()`` last."""

    segment_size = SEGMENT_SIZE

    def __init__(self, key: bytes, *, case_id: UUID, document_id: UUID, key_version: int) -> None:
        super().__init__()
        salt = secrets.token_bytes(_SALT_SIZE)
        self._prefix = secrets.token_bytes(_PREFIX_SIZE)
        self.header = _HEADER.pack(
            MAGIC, FORMAT_VERSION, case_id.bytes, document_id.bytes, key_version, salt, self._prefix
        )
        self._cipher = _segment_cipher(key, self.header, salt)
        self.plaintext_size = 0

    def _process(self, segment: bytes | memoryview, *, last: bool) -> bytes:
        sealed = self._cipher.encrypt(_nonce(self._prefix, self._index, last), segment, None)
        self._index += 1
        return sealed

    def update(self, data: bytes) -> bytes:
        sealed = super().update(data)
        self.plaintext_size += len(data)
        return sealed

    def finalize(self) -> bytes:
        return self._process(self._take_last(), last=True)


class DocumentDecryptor(_SegmentStream):
    """Feed ciphertext after the header with ``update``; ``finalize()`` checks the end.

    Only authenticated plaintext is ever returned. A stream that stops early raises in
    ``finalize``: the caller must not treat what it received as the whole document.
    """

    segment_size = _CIPHER_SEGMENT

    def __init__(self, key: bytes, header: DocumentHeader, *, case_id: UUID, document_id: UUID):
        if header.case_id != case_id or header.document_id != document_id:
            raise DecryptionError("This document belongs to another case or record.")
        super().__init__()
        self._prefix = header.nonce_prefix
        self._cipher = _segment_cipher(key, header.raw, header.salt)

    def _process(self, segment: bytes | memoryview, *, last: bool) -> bytes:
        nonce = _nonce(self._prefix, self._index, last)
        try:
            plaintext = self._cipher.decrypt(nonce, segment, None)
        except InvalidTag:
            raise DecryptionError("A document segment failed authentication.") from None
        self._index += 1
        return plaintext

    def finalize(self) -> bytes:
        last = self._take_last()
        if len(last) < TAG_SIZE:
            raise DecryptionError("A document is truncated.")
        return self._process(last, last=True)


def encrypt_stream(
    chunks: Iterable[bytes], key: bytes, *, case_id: UUID, document_id: UUID, key_version: int
) -> Iterator[bytes]:
    encryptor = DocumentEncryptor(
        key, case_id=case_id, document_id=document_id, key_version=key_version
    )
    yield encryptor.header
    for chunk in chunks:
        if sealed := encryptor.update(chunk):
            yield sealed
    yield encryptor.finalize()


def read_header(chunks: Iterator[bytes]) -> tuple[DocumentHeader, bytes]:
    """Read the header off an iterator of ciphertext chunks; returns it and the bytes after it."""
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        if len(buffer) >= HEADER_SIZE:
            break
    return DocumentHeader.parse(buffer), buffer[HEADER_SIZE:]


def decrypt_stream(
    chunks: Iterable[bytes], key: bytes, *, case_id: UUID, document_id: UUID
) -> Iterator[bytes]:
    """Yield authenticated plaintext segment by segment; raise DecryptionError on any fault."""
    iterator = iter(chunks)
    header, rest = read_header(iterator)
    decryptor = DocumentDecryptor(key, header, case_id=case_id, document_id=document_id)
    if rest and (plaintext := decryptor.update(rest)):
        yield plaintext
    for chunk in iterator:
        if plaintext := decryptor.update(chunk):
            yield plaintext
    yield decryptor.finalize()


def plaintext_size(ciphertext_size: int) -> int:
    """The size of the document a well-formed ciphertext of this size decrypts to."""
    body = ciphertext_size - HEADER_SIZE
    if body < TAG_SIZE:
        raise DecryptionError("A document is truncated.")
    segments = -(-body // _CIPHER_SEGMENT)
    return body - segments * TAG_SIZE
