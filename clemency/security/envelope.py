"""Per-case data keys, wrapped under a KEK, and field values encrypted under a data key.

Wrapped case key: the KEK version is stored beside it (a column); the associated data binds the
case UUID and that version, so a wrapped key copied to another case, or relabelled with another
version, does not unwrap.

Field values are encrypted under a subkey of the case key (HKDF, ``derive_field_key``), so the
case key itself is only ever an HKDF input.

Encrypted value (DESIGN.md §8)::

    format version (1 byte) | key version (4 bytes, big-endian) | nonce (12) | ciphertext + tag

The associated data is the 5-byte header followed by the field's label (``app.Model.field``),
the row UUID and the case UUID, so a value copied to another field, row or case fails to decrypt.
"""

import secrets
import struct
from dataclasses import dataclass, field
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from clemency.security.errors import DecryptionError
from clemency.security.keys import KEY_BYTES, NONCE_BYTES, KeyProvider, random_key

FORMAT_VERSION = 1
_HEADER = struct.Struct(">BI")
_CASE_KEY_CONTEXT = b"clemency/case-key/v1|"
_FIELD_CONTEXT = b"clemency/field/v1|"
_FIELD_KEY_INFO = b"clemency/field-key/v1"


@dataclass(frozen=True)
class WrappedKey:
    kek_version: int
    ciphertext: bytes = field(repr=False)


def derive_field_key(data_key: bytes) -> bytes:
    """Field values use their own subkey of the case key (documents derive theirs per file)."""
    return HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=_FIELD_KEY_INFO
    ).derive(data_key)


def _case_key_ad(case_id: UUID) -> bytes:
    return _CASE_KEY_CONTEXT + case_id.bytes


def new_case_key(*, case_id: UUID, provider: KeyProvider) -> tuple[bytes, WrappedKey]:
    key = random_key()
    return key, wrap_case_key(key, case_id=case_id, provider=provider)


def wrap_case_key(key: bytes, *, case_id: UUID, provider: KeyProvider) -> WrappedKey:
    if len(key) != KEY_BYTES:
        raise ValueError("A case key is 32 bytes.")
    version = provider.current_kek_version()
    ciphertext = provider.wrap_key(key, associated_data=_case_key_ad(case_id), version=version)
    return WrappedKey(version, ciphertext)


def unwrap_case_key(wrapped: WrappedKey, *, case_id: UUID, provider: KeyProvider) -> bytes:
    return provider.unwrap_key(
        wrapped.ciphertext, associated_data=_case_key_ad(case_id), version=wrapped.kek_version
    )


def rewrap_case_key(wrapped: WrappedKey, *, case_id: UUID, provider: KeyProvider) -> WrappedKey:
    """Re-wrap under the current KEK (rotation). The case key itself, and so every field and
    document encrypted under it, is unchanged."""
    key = unwrap_case_key(wrapped, case_id=case_id, provider=provider)
    return wrap_case_key(key, case_id=case_id, provider=provider)


def _field_ad(header: bytes, label: str, row_id: UUID, case_id: UUID) -> bytes:
    return header + _FIELD_CONTEXT + label.encode("ascii") + b"|" + row_id.bytes + case_id.bytes


def encrypt_value(
    plaintext: bytes, *, key: bytes, key_version: int, label: str, row_id: UUID, case_id: UUID
) -> bytes:
    header = _HEADER.pack(FORMAT_VERSION, key_version)
    nonce = secrets.token_bytes(NONCE_BYTES)
    ad = _field_ad(header, label, row_id, case_id)
    return header + nonce + AESGCM(key).encrypt(nonce, plaintext, ad)


def value_key_version(blob: bytes) -> int:
    """The key version a stored value was written under (no key needed)."""
    if len(blob) < _HEADER.size + NONCE_BYTES + 16:
        raise DecryptionError("An encrypted value is too short.")
    version, key_version = _HEADER.unpack_from(blob)
    if version != FORMAT_VERSION:
        raise DecryptionError("An encrypted value has an unknown format version.")
    return key_version


def decrypt_value(
    blob: bytes, *, key: bytes, key_version: int, label: str, row_id: UUID, case_id: UUID
) -> bytes:
    if value_key_version(blob) != key_version:
        raise DecryptionError("An encrypted value was written under another key version.")
    header = blob[: _HEADER.size]
    nonce = blob[_HEADER.size : _HEADER.size + NONCE_BYTES]
    ciphertext = blob[_HEADER.size + NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, _field_ad(header, label, row_id, case_id))
    except InvalidTag:
        raise DecryptionError(f"A value of {label} failed to decrypt.") from None
