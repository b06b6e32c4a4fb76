"""Protecting a draft's data key on the public side (DESIGN.md §4.1, §4.2).

Sealed key (on submission)::

    magic "CLMSEAL" | format version (2) | suite id (1) | intake key version (4)
    | HPKE ciphertext (enc | sealed key)

Format version 1 (still read, never written) has no key version: it was sealed to intake key 1.
The intake key pair rotates (ADR 0015), so the staff side needs to know which private key opens a
blob, and the schedule needs to know which private keys unopened submissions still need.

HPKE (RFC 9180) base mode to the intake public key: hybrid ML-KEM-768 + X25519 when the installed
cryptography offers it, X25519 otherwise; HKDF-SHA256; AES-256-GCM. The HPKE ``info`` binds the
header and the caller's context (the draft UUID), so a sealed key moved to another draft fails.
The public side can seal; only a holder of the intake private key can unseal, and the code that
does (``unseal_key``) lives in unsealing.py, which the public side never imports.

Code-wrapped key (while a draft is open)::

    magic "CLMCODE" | format version (2) | iterations (4) | lanes (4) | memory KiB (4) | salt (16)
    | nonce (12) | AES-256-GCM ciphertext of the key

The wrapping key is Argon2id of the resume code (argon2-cffi: the reference implementation, its
lanes computed on its own threads with the GIL released); the header and the context are the
AES-GCM associated data. Version 1 (still read, never written) also gave the context to Argon2 as
associated data and was derived with cryptography's Argon2id; OpenSSL's implementation hangs when
two threads run it at once with several lanes, so those derivations take turns behind a lock.

However many threads ask, at most ARGON2_MAX_PARALLEL derivations run at once in a process
(64 MiB each); the others wait for a turn.
"""

import secrets
import struct
import threading
from dataclasses import dataclass
from functools import cache

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from django.conf import settings

from clemency.security.errors import DecryptionError
from clemency.security.keys import (
    KEY_BYTES,
    NONCE_BYTES,
    IntakePublicKey,
    IntakeSuite,
)

SEAL_MAGIC = b"CLMSEAL"
CODE_MAGIC = b"CLMCODE"
FORMAT_VERSION = 2
CODE_FORMAT_VERSION = 2
_SEAL_INFO = b"clemency/intake-seal/v1|"
_SUITE_IDS = {IntakeSuite.MLKEM768_X25519: 1, IntakeSuite.X25519: 2}
_KEMS = {
    IntakeSuite.MLKEM768_X25519: hpke.KEM.MLKEM768_X25519,
    IntakeSuite.X25519: hpke.KEM.X25519,
}
_V1_HEADER_SIZE = len(SEAL_MAGIC) + 2
_KEY_VERSION = struct.Struct(">I")


def hpke_suite(suite: IntakeSuite) -> hpke.Suite:
    return hpke.Suite(_KEMS[suite], hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)


def seal_info(header: bytes, context: bytes) -> bytes:
    """The HPKE ``info`` both sides use: binds the header and the caller's context."""
    return _SEAL_INFO + header + context


def seal_key(key: bytes, public_key: IntakePublicKey, *, context: bytes) -> bytes:
    header = (
        SEAL_MAGIC
        + bytes([FORMAT_VERSION, _SUITE_IDS[public_key.suite]])
        + _KEY_VERSION.pack(public_key.version)
    )
    sealed = hpke_suite(public_key.suite).encrypt(
        key, public_key.hpke_key(), info=seal_info(header, context)
    )
    return header + sealed


@dataclass(frozen=True)
class SealedHeader:
    """What a sealed blob says about itself (no key needed to read it)."""

    suite: IntakeSuite
    key_version: int
    size: int


def sealed_header(blob: bytes) -> SealedHeader:
    if len(blob) <= _V1_HEADER_SIZE or not blob.startswith(SEAL_MAGIC):
        raise DecryptionError("Not a sealed key.")
    format_version, suite_id = blob[len(SEAL_MAGIC)], blob[len(SEAL_MAGIC) + 1]
    suite = next((s for s, number in _SUITE_IDS.items() if number == suite_id), None)
    if format_version not in (1, FORMAT_VERSION):
        raise DecryptionError("A sealed key has an unknown format version.")
    if suite is None:
        raise DecryptionError("A sealed key names an unknown suite.")
    if format_version == 1:
        return SealedHeader(suite, 1, _V1_HEADER_SIZE)
    if len(blob) <= _V1_HEADER_SIZE + _KEY_VERSION.size:
        raise DecryptionError("Not a sealed key.")
    (key_version,) = _KEY_VERSION.unpack_from(blob, _V1_HEADER_SIZE)
    return SealedHeader(suite, key_version, _V1_HEADER_SIZE + _KEY_VERSION.size)


@dataclass(frozen=True)
class Argon2Parameters:
    """Argon2id cost. The default (64 MiB, 3 passes) exceeds OWASP's minimum recommendation."""

    iterations: int = 3
    lanes: int = 4
    memory_kib: int = 64 * 1024


DEFAULT_ARGON2 = Argon2Parameters()
_CODE_HEADER = struct.Struct(">7sBIII16s")


@cache
def _turns() -> threading.BoundedSemaphore:
    return threading.BoundedSemaphore(settings.ARGON2_MAX_PARALLEL)


_V1_LOCK = threading.Lock()


def _code_key(
    code: str, salt: bytes, params: Argon2Parameters, context: bytes, *, version: int
) -> bytes:
    with _turns():
        if version == 1:
            with _V1_LOCK:
                return Argon2id(
                    salt=salt,
                    length=KEY_BYTES,
                    iterations=params.iterations,
                    lanes=params.lanes,
                    memory_cost=params.memory_kib,
                    ad=context,
                ).derive(code.encode("utf-8"))
        return hash_secret_raw(
            code.encode("utf-8"),
            salt,
            time_cost=params.iterations,
            memory_cost=params.memory_kib,
            parallelism=params.lanes,
            hash_len=KEY_BYTES,
            type=Type.ID,
        )


def wrap_with_code(
    key: bytes, code: str, *, context: bytes, params: Argon2Parameters = DEFAULT_ARGON2
) -> bytes:
    salt = secrets.token_bytes(16)
    header = _CODE_HEADER.pack(
        CODE_MAGIC, CODE_FORMAT_VERSION, params.iterations, params.lanes, params.memory_kib, salt
    )
    nonce = secrets.token_bytes(NONCE_BYTES)
    wrapping_key = _code_key(code, salt, params, context, version=CODE_FORMAT_VERSION)
    return header + nonce + AESGCM(wrapping_key).encrypt(nonce, key, header + context)


def unwrap_with_code(blob: bytes, code: str, *, context: bytes) -> bytes:
    """Raises DecryptionError for a wrong code, another context or a damaged blob."""
    if len(blob) < _CODE_HEADER.size + NONCE_BYTES + 16 or not blob.startswith(CODE_MAGIC):
        raise DecryptionError("Not a code-wrapped key.")
    _magic, version, iterations, lanes, memory_kib, salt = _CODE_HEADER.unpack_from(blob)
    if version not in (1, CODE_FORMAT_VERSION):
        raise DecryptionError("A code-wrapped key has an unknown format version.")
    params = Argon2Parameters(iterations, lanes, memory_kib)
    if params.memory_kib > 1024 * 1024 or params.iterations > 32 or params.lanes > 64:
        raise DecryptionError("A code-wrapped key asks for unreasonable Argon2 costs.")
    header = blob[: _CODE_HEADER.size]
    nonce = blob[_CODE_HEADER.size : _CODE_HEADER.size + NONCE_BYTES]
    ciphertext = blob[_CODE_HEADER.size + NONCE_BYTES :]
    try:
        wrapping_key = _code_key(code, salt, params, context, version=version)
        return AESGCM(wrapping_key).decrypt(nonce, ciphertext, header + context)
    except (InvalidTag, ValueError):
        raise DecryptionError("The code does not open this key.") from None
