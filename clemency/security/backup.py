"""Encrypted backups (ADR 0016): one file that only the offline backup private key opens.

A backup holds the database, the key set of the day and every stored document's ciphertext. It
is encrypted to a backup public key whose private key is kept off the servers (printed, or on a
removable drive in a safe): someone who takes the servers, the bucket and every backup still
cannot read a backup.

File layout::

    magic "CLMBKUP" | format version (1) | backup id (16) | sealed key length (2) | sealed key
    | body

The sealed key is a fresh 32-byte key sealed (sealing.py, HPKE) to the backup public key, bound
to everything before it. The body is the document format (streaming.py: 64 KiB AES-GCM segments,
the last one flagged, so that truncation, reordering and splicing fail) with the backup id as
its case and document id. Its plaintext is a sequence of entries::

    name length (2) | name (UTF-8) | chunks: length (4) | bytes ... | length 0
    ... | name length 0 (the end)

Entries stream: nothing is held in memory or written to disk unencrypted on the way.
"""

import struct
import uuid
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from clemency.security.errors import DecryptionError
from clemency.security.keys import IntakePrivateKey, IntakePublicKey, random_key
from clemency.security.sealing import seal_key
from clemency.security.streaming import SEGMENT_SIZE, DocumentEncryptor, decrypt_stream
from clemency.security.unsealing import unseal_key

MAGIC = b"CLMBKUP"
FORMAT_VERSION = 1
_HEAD = struct.Struct(">7sB16sH")
_NAME = struct.Struct(">H")
_CHUNK = struct.Struct(">I")
_CONTEXT = b"clemency/backup/v1|"
_READ_SIZE = SEGMENT_SIZE + 16  # one cipher segment
_MAX_CHUNK = 2**20  # what a reader buffers at most


BackupPublicKey = IntakePublicKey  # the same kind of HPKE key pair as the intake's
BackupPrivateKey = IntakePrivateKey


def new_backup_key() -> BackupPrivateKey:
    return BackupPrivateKey.generate()


class BackupWriter:
    """Write entries to ``out``; ``close()`` writes the end and authenticates the whole file."""

    def __init__(self, out: BinaryIO, public_key: BackupPublicKey) -> None:
        self._out = out
        self.backup_id = uuid.uuid4()
        key = random_key()
        placeholder = _HEAD.pack(MAGIC, FORMAT_VERSION, self.backup_id.bytes, 0)
        sealed = seal_key(key, public_key, context=_CONTEXT + placeholder)
        out.write(_HEAD.pack(MAGIC, FORMAT_VERSION, self.backup_id.bytes, len(sealed)) + sealed)
        self._encryptor = DocumentEncryptor(
            key, case_id=self.backup_id, document_id=self.backup_id, key_version=0
        )
        out.write(self._encryptor.header)

    def _write(self, plaintext: bytes) -> None:
        if sealed := self._encryptor.update(plaintext):
            self._out.write(sealed)

    def add(self, name: str, chunks: Iterable[bytes]) -> int:
        """Add one entry from ``chunks``; returns its size in bytes."""
        encoded = name.encode("utf-8")
        if not 0 < len(encoded) < 2**16:
            raise ValueError("An entry's name must be 1 to 65535 bytes.")
        self._write(_NAME.pack(len(encoded)) + encoded)
        size = 0
        for chunk in chunks:
            for start in range(0, len(chunk), _MAX_CHUNK):
                piece = chunk[start : start + _MAX_CHUNK]
                self._write(_CHUNK.pack(len(piece)))
                self._write(bytes(piece))
                size += len(piece)
        self._write(_CHUNK.pack(0))
        return size

    def close(self) -> None:
        self._write(_NAME.pack(0))
        self._out.write(self._encryptor.finalize())


def _file_chunks(file: BinaryIO) -> Iterator[bytes]:
    while chunk := file.read(_READ_SIZE):
        yield chunk


class _Plaintext:
    """Reads exact byte counts off the decrypted body."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = bytearray()

    def read(self, size: int) -> bytes:
        while len(self._buffer) < size:
            try:
                self._buffer += next(self._chunks)
            except StopIteration:
                raise DecryptionError("The backup ends in the middle of an entry.") from None
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def finish(self) -> None:
        for chunk in self._chunks:  # authenticates the last segment: nothing was cut off
            self._buffer += chunk
        if self._buffer:
            raise DecryptionError("The backup has data after its end.")


def backup_id(file: BinaryIO) -> uuid.UUID:
    """The backup's id, read from its header (no key needed)."""
    head = file.read(_HEAD.size)
    if len(head) < _HEAD.size or not head.startswith(MAGIC):
        raise DecryptionError("This is not a backup file.")
    file.seek(0)
    return uuid.UUID(bytes=_HEAD.unpack(head)[2])


def read_backup(
    file: BinaryIO, private_key: BackupPrivateKey
) -> Iterator[tuple[str, Iterator[bytes]]]:
    """Yield ``(name, chunks)`` for each entry, in order; read each entry's chunks before
    asking for the next entry. Raises DecryptionError for another key, damage or truncation,
    possibly after some entries: only a backup read to its end is whole."""
    head = file.read(_HEAD.size)
    if len(head) < _HEAD.size or not head.startswith(MAGIC):
        raise DecryptionError("This is not a backup file.")
    _magic, version, raw_id, sealed_size = _HEAD.unpack(head)
    if version != FORMAT_VERSION:
        raise DecryptionError("This backup has an unknown format version.")
    sealed = file.read(sealed_size)
    placeholder = _HEAD.pack(MAGIC, version, raw_id, 0)
    key = unseal_key(sealed, private_key, context=_CONTEXT + placeholder)
    identifier = uuid.UUID(bytes=raw_id)
    body = _Plaintext(
        decrypt_stream(_file_chunks(file), key, case_id=identifier, document_id=identifier)
    )
    while True:
        (name_size,) = _NAME.unpack(body.read(_NAME.size))
        if not name_size:
            body.finish()
            return
        try:
            name = body.read(name_size).decode("utf-8")
        except UnicodeDecodeError:
            raise DecryptionError("A backup entry has a damaged name.") from None
        entry = _entry_chunks(body)
        yield name, entry
        for _rest in entry:  # the caller skipped (part of) it
            pass


def _entry_chunks(body: _Plaintext) -> Iterator[bytes]:
    while True:
        (size,) = _CHUNK.unpack(body.read(_CHUNK.size))
        if not size:
            return
        yield body.read(size)
