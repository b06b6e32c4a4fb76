"""Encrypted backups (ADR 0016): one file that only the offline backup private key opens.

A backup holds the database, the key set of the day and every stored document's ciphertext. It
is encrypted to a backup public key whose private key is kept off the servers (printed, or on a
removable drive in a safe): someone who takes the servers, the bucket and every backup still
cannot read a backup.

File layout::

    magic "CLMBKUP" | format version (1) | backup id (16) | sealed key length (2) | sealed key
    | body | Ed25519 signature (64) of the SHA-256 of everything before it

The sealed key is a fresh 32-byte key sealed (sealing.py, HPKE) to the backup public key, bound
to everything before it. The body is the document format (streaming.py: 64 KiB AES-GCM segments,
the last one flagged, so that truncation, reordering and splicing fail) with the backup id as
its case and document id.

Encryption to a public key says nothing about who made a file, and a restore runs SQL as the
owner of the database: so the whole file is signed with the servers' backup signing key, and the
reader checks the signature, against the public key kept offline with the backup private key
(``OfflineBackupKey``), over the whole file before it decrypts or yields a byte, on a private
copy it then decrypts from. A damaged, cut or forged backup is therefore refused before
anything is restored, and one replaced after the check is not read.

The body's plaintext is a sequence of entries::

    name length (2) | name (UTF-8) | chunks: length (4) | bytes ... | length 0
    ... | name length 0 (the end)

Entries stream: nothing is held in memory or written to disk unencrypted on the way.
"""

import base64
import binascii
import hashlib
import itertools
import struct
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from clemency.security.errors import DecryptionError, KeyConfigurationError
from clemency.security.keys import (
    IntakePrivateKey,
    IntakePublicKey,
    parse_private_key,
    random_key,
    read_secret_text,
)
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


_SIGNATURE_SIZE = 64
_OFFLINE_PRIVATE = "backup-private-key"
_OFFLINE_MAKER = "backup-signing-public-key"

BackupPublicKey = IntakePublicKey  # the same kind of HPKE key pair as the intake's
BackupPrivateKey = IntakePrivateKey


@dataclass(frozen=True)
class OfflineBackupKey:
    """What is kept off the servers: the private key that opens backups, and the public key
    that proves the servers made them."""

    private: BackupPrivateKey
    maker: bytes = field(repr=False)  # Ed25519 public key, raw

    def dumps(self) -> str:
        private = f"{self.private.version}:{self.private.dumps()}"
        maker = base64.b64encode(self.maker).decode("ascii")
        return f"{_OFFLINE_PRIVATE} {private}\n{_OFFLINE_MAKER} {maker}"

    @classmethod
    def loads(cls, text: str) -> "OfflineBackupKey":
        lines = dict(line.split(" ", 1) for line in text.strip().splitlines() if " " in line)
        if set(lines) != {_OFFLINE_PRIVATE, _OFFLINE_MAKER}:
            raise KeyConfigurationError(
                f"An offline backup key has two lines, {_OFFLINE_PRIVATE} and {_OFFLINE_MAKER}."
            )
        try:
            maker = base64.b64decode(lines[_OFFLINE_MAKER].strip(), validate=True)
            Ed25519PublicKey.from_public_bytes(maker)
        except (binascii.Error, ValueError):
            raise KeyConfigurationError("The backup signing public key is damaged.") from None
        return cls(parse_private_key(lines[_OFFLINE_PRIVATE], _OFFLINE_PRIVATE), maker)


@dataclass(frozen=True)
class BackupKeys:
    """A new backup key set: ``offline`` leaves the servers; the servers keep the public key
    they encrypt to and the signing key they sign with."""

    offline: OfflineBackupKey
    public: BackupPublicKey
    signing: bytes = field(repr=False)  # Ed25519 private key, raw


def new_backup_keys() -> BackupKeys:
    private = BackupPrivateKey.generate()
    signing = Ed25519PrivateKey.generate()
    maker = signing.public_key().public_bytes_raw()
    return BackupKeys(
        OfflineBackupKey(private, maker), private.public_key(), signing.private_bytes_raw()
    )


def backup_signing_path() -> Path:
    """The servers' backup signing key: beside the backup public key, in the key directory."""
    from django.conf import settings

    return Path(settings.BACKUP_PUBLIC_KEY).with_name("backup-signing.key")


def load_signing_key(path: Path) -> bytes:
    try:
        raw = base64.b64decode(read_secret_text(path).strip(), validate=True)
        Ed25519PrivateKey.from_private_bytes(raw)
    except (binascii.Error, ValueError):
        raise KeyConfigurationError(f"{Path(path).name} is not an Ed25519 key.") from None
    return raw


def load_offline_key(path: Path) -> OfflineBackupKey:
    return OfflineBackupKey.loads(read_secret_text(path))


def _digest_to_sign(digest: bytes) -> bytes:
    return _CONTEXT + b"sha256|" + digest


class _Hashing:
    """Writes through to ``out`` and hashes what it writes."""

    def __init__(self, out: BinaryIO) -> None:
        self.out, self.hash = out, hashlib.sha256()

    def write(self, data: bytes) -> None:
        self.hash.update(data)
        self.out.write(data)


class BackupWriter:
    """Write entries to ``out``; ``close()`` writes the end and signs the whole file."""

    def __init__(self, out: BinaryIO, public_key: BackupPublicKey, *, signing: bytes) -> None:
        self._signing = Ed25519PrivateKey.from_private_bytes(signing)
        self._out = _Hashing(out)
        self.backup_id = uuid.uuid4()
        key = random_key()
        placeholder = _HEAD.pack(MAGIC, FORMAT_VERSION, self.backup_id.bytes, 0)
        sealed = seal_key(key, public_key, context=_CONTEXT + placeholder)
        self._out.write(
            _HEAD.pack(MAGIC, FORMAT_VERSION, self.backup_id.bytes, len(sealed)) + sealed
        )
        self._encryptor = DocumentEncryptor(
            key, case_id=self.backup_id, document_id=self.backup_id, key_version=0
        )
        self._out.write(self._encryptor.header)

    def _write(self, plaintext: bytes) -> None:
        if sealed := self._encryptor.update(plaintext):
            self._out.write(sealed)

    def add(self, name: str, chunks: Iterable[bytes]) -> int:
        """Add one entry from ``chunks``; returns its size in bytes. If the first chunk cannot
        be had (a stored object deleted meanwhile: FileNotFoundError), nothing is written."""
        encoded = name.encode("utf-8")
        if not 0 < len(encoded) < 2**16:
            raise ValueError("An entry's name must be 1 to 65535 bytes.")
        iterator = iter(chunks)
        first = next(iterator, b"")
        self._write(_NAME.pack(len(encoded)) + encoded)
        size = 0
        for chunk in itertools.chain([first], iterator):
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
        signature = self._signing.sign(_digest_to_sign(self._out.hash.digest()))
        self._out.out.write(signature)


def _file_chunks(file: BinaryIO, end: int) -> Iterator[bytes]:
    """The file's bytes from where it stands up to ``end``."""
    while (left := end - file.tell()) > 0:
        chunk = file.read(min(_READ_SIZE, left))
        if not chunk:
            return
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


def _verified_copy(file: BinaryIO, maker: bytes) -> tuple[BinaryIO, int]:
    """Copy the file, as it is read, into a private temporary file (it is ciphertext) and check
    the signature over what was copied; returns the copy, at its start, and where its signed
    part ends. Decrypting from the copy, never the original again, means that a file replaced
    after the check cannot be what is restored."""
    copy = tempfile.TemporaryFile()  # noqa: SIM115 (handed to the caller, who closes it)
    try:
        tail, size = b"", 0
        digest = hashlib.sha256()
        while chunk := file.read(_READ_SIZE):
            copy.write(chunk)
            size += len(chunk)
            data = tail + chunk
            signed, tail = data[:-_SIGNATURE_SIZE], data[-_SIGNATURE_SIZE:]
            digest.update(signed)
        end = size - _SIGNATURE_SIZE
        if end < _HEAD.size:
            raise DecryptionError("This is not a backup file.")
        try:
            Ed25519PublicKey.from_public_bytes(maker).verify(tail, _digest_to_sign(digest.digest()))
        except InvalidSignature:
            raise DecryptionError(
                "This backup is damaged, cut short, or was not made by the servers whose "
                "signing key is in the offline key."
            ) from None
        copy.seek(0)
        return copy, end
    except BaseException:
        copy.close()
        raise


def read_backup(file: BinaryIO, offline: OfflineBackupKey) -> Iterator[tuple[str, Iterator[bytes]]]:
    """Yield ``(name, chunks)`` for each entry, in order; read each entry's chunks before
    asking for the next entry. The file is copied and its signature checked over the copy
    before anything is decrypted or yielded, so a damaged, cut or forged backup raises
    DecryptionError before its first entry, and a file changed meanwhile changes nothing."""
    copy, end = _verified_copy(file, offline.maker)
    with copy:
        yield from _entries(copy, end, offline)


def _entries(file: BinaryIO, end: int, offline: OfflineBackupKey):
    head = file.read(_HEAD.size)
    if not head.startswith(MAGIC):
        raise DecryptionError("This is not a backup file.")
    _magic, version, raw_id, sealed_size = _HEAD.unpack(head)
    if version != FORMAT_VERSION:
        raise DecryptionError("This backup has an unknown format version.")
    sealed = file.read(sealed_size)
    placeholder = _HEAD.pack(MAGIC, version, raw_id, 0)
    key = unseal_key(sealed, offline.private, context=_CONTEXT + placeholder)
    identifier = uuid.UUID(bytes=raw_id)
    body = _Plaintext(
        decrypt_stream(_file_chunks(file, end), key, case_id=identifier, document_id=identifier)
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
