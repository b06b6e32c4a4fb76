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


class DocumentEncryptor:
    """Feed plaintext with ``update``; emit ``header`` first and ``finalize()`` last.

    The last segment is held back until ``finalize`` so that it, and only it, carries the last
    flag, even when the plaintext is an exact multiple of the segment size.
    """

    def __init__(self, key: bytes, *, case_id: UUID, document_id: UUID, key_version: int) -> None:
        salt = secrets.token_bytes(_SALT_SIZE)
        self._prefix = secrets.token_bytes(_PREFIX_SIZE)
        self.header = _HEADER.pack(
            MAGIC, FORMAT_VERSION, case_id.bytes, document_id.bytes, key_version, salt, self._prefix
        )
        self._cipher = _segment_cipher(key, self.header, salt)
        self._buffer = bytearray()
        self._held: bytes | None = None  # one whole segment, kept back in case it is the last
        self._index = 0
        self._finished = False
        self.plaintext_size = 0

    def _seal(self, plaintext: bytes | memoryview, *, last: bool) -> bytes:
        sealed = self._cipher.encrypt(_nonce(self._prefix, self._index, last), plaintext, None)
        self._index += 1
        return sealed

    def update(self, data: bytes) -> bytes:
        if self._finished:
            raise ValueError("This document is already finalised.")
        self.plaintext_size += len(data)
        if not self._buffer and len(data) == SEGMENT_SIZE:
            # Whole segments in: seal the one held back, hold this one (no buffer copies).
            sealed = b"" if self._held is None else self._seal(self._held, last=False)
            self._held = data if isinstance(data, bytes) else bytes(data)
            return sealed
        if self._held is not None:
            self._buffer += self._held
            self._held = None
        self._buffer += data
        if len(self._buffer) <= SEGMENT_SIZE:
            return b""
        # Keep the tail (1 to SEGMENT_SIZE bytes) back: it may be the last segment.
        whole = (len(self._buffer) - 1) // SEGMENT_SIZE
        view = memoryview(self._buffer)
        out = [
            self._seal(view[i * SEGMENT_SIZE : (i + 1) * SEGMENT_SIZE], last=False)
            for i in range(whole)
        ]
        view.release()
        del self._buffer[: whole * SEGMENT_SIZE]
        return b"".join(out)

    def finalize(self) -> bytes:
        if self._finished:
            raise ValueError("This document is already finalised.")
        self._finished = True
        last = self._held if self._held is not None else bytes(self._buffer)
        self._held = None
        self._buffer.clear()
        return self._seal(last, last=True)


class DocumentDecryptor:
    """Feed ciphertext after the header with ``update``; ``finalize()`` checks the end.

    Only authenticated plaintext is ever returned. A stream that stops early raises in
    ``finalize``: the caller must not treat what it received as the whole document.
    """

    def __init__(self, key: bytes, header: DocumentHeader, *, case_id: UUID, document_id: UUID):
        if header.case_id != case_id or header.document_id != document_id:
            raise DecryptionError("This document belongs to another case or record.")
        self._prefix = header.nonce_prefix
        self._cipher = _segment_cipher(key, header.raw, header.salt)
        self._buffer = bytearray()
        self._held: bytes | None = None
        self._index = 0
        self._finished = False

    def _open(self, ciphertext: bytes | memoryview, *, last: bool) -> bytes:
        try:
            plaintext = self._cipher.decrypt(
                _nonce(self._prefix, self._index, last), ciphertext, None
            )
        except InvalidTag:
            raise DecryptionError("A document segment failed authentication.") from None
        self._index += 1
        return plaintext

    def update(self, data: bytes) -> bytes:
        if self._finished:
            raise ValueError("This document is already finalised.")
        if not self._buffer and len(data) == _CIPHER_SEGMENT:
            opened = b"" if self._held is None else self._open(self._held, last=False)
            self._held = data if isinstance(data, bytes) else bytes(data)
            return opened
        if self._held is not None:
            self._buffer += self._held
            self._held = None
        self._buffer += data
        if len(self._buffer) <= _CIPHER_SEGMENT:
            return b""
        whole = (len(self._buffer) - 1) // _CIPHER_SEGMENT
        view = memoryview(self._buffer)
        out = [
            self._open(view[i * _CIPHER_SEGMENT : (i + 1) * _CIPHER_SEGMENT], last=False)
            for i in range(whole)
        ]
        view.release()
        del self._buffer[: whole * _CIPHER_SEGMENT]
        return b"".join(out)

    def finalize(self) -> bytes:
        if self._finished:
            raise ValueError("This document is already finalised.")
        self._finished = True
        last = self._held if self._held is not None else bytes(self._buffer)
        self._held = None
        self._buffer.clear()
        if len(last) < TAG_SIZE:
            raise DecryptionError("A document is truncated.")
        return self._open(last, last=True)


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
