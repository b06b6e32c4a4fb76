"""Keys and formats for open drafts on the public side (DESIGN.md §4.1, §4.2; ADR 0009).

A draft has its own 32-byte data key (DEK). While the applicant works on it, the DEK is kept in
two halves that are useless apart:

- the server-side session holds the DEK wrapped under a random *browser key*;
- the browser holds the browser key, in an HttpOnly cookie scoped to the intake.

To continue on another device, the applicant types the *resume code*: the database keeps the DEK
wrapped under Argon2id of that code (sealing.wrap_with_code), and a SHA-256 *locator* of the code
to find the draft. The code carries 80 random bits, so the fast locator cannot be searched; the
slow Argon2id wrapping is what a guess has to get through.

On submission the DEK is sealed to the intake public key and every other copy is deleted: from
then on only the staff side, with the intake private key, can read the draft. Nothing in this
module can unseal.
"""

import hashlib
import json
import secrets
from typing import Any
from uuid import UUID

from clemency.security.envelope import decrypt_value, derive_field_key, encrypt_value
from clemency.security.keys import random_key
from clemency.security.provider import get_provider
from clemency.security.sealing import seal_key, unwrap_with_code, wrap_with_code

# Crockford's base 32: no I, L, O or U, so codes read well aloud and survive handwriting.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RESUME_CODE_CHARS = 16  # 80 bits
STATUS_CODE_CHARS = 8  # 40 bits, behind a slow hash and throttling
_ANSWERS_LABEL = "intake.Draft.answers"
_BROWSER_LABEL = "intake.Draft.browser"
_DOCUMENT_LABEL = "intake.DraftDocument.details"
_REPLY_LABEL = "intake.Reply.content"
_REPLY_SEAL_CONTEXT = b"reply|"
_LOCATOR_CONTEXT = b"clemency/draft-locator/v1|"
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


def new_data_key() -> bytes:
    return random_key()


def new_browser_key() -> bytes:
    return random_key()


def _random_code(length: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def group(code: str) -> str:
    """XXXX-XXXX-...: easier to copy down and to read over the phone."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def new_resume_code() -> str:
    return group(_random_code(RESUME_CODE_CHARS))


def new_status_code() -> str:
    return group(_random_code(STATUS_CODE_CHARS))


def normalize_code(text: str) -> str:
    """What was typed, as the code it most likely is: case, spaces, dashes and look-alike
    letters (O for 0, I or L for 1) do not matter."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum()).translate(_READ_AS)
    return group(cleaned)


def is_well_formed(code: str, length: int) -> bool:
    raw = code.replace("-", "")
    return len(raw) == length and all(ch in CODE_ALPHABET for ch in raw)


def locator(code: str) -> str:
    return hashlib.sha256(_LOCATOR_CONTEXT + code.encode("ascii")).hexdigest()


def wrap_for_code(dek: bytes, code: str, *, draft_id: UUID) -> bytes:
    return wrap_with_code(dek, code, context=draft_id.bytes)


def unwrap_with_resume_code(blob: bytes, code: str, *, draft_id: UUID) -> bytes:
    """Raises DecryptionError when the code is wrong."""
    return unwrap_with_code(blob, code, context=draft_id.bytes)


def wrap_for_browser(dek: bytes, browser_key: bytes, *, draft_id: UUID) -> bytes:
    return encrypt_value(
        dek, key=browser_key, key_version=1, label=_BROWSER_LABEL, row_id=draft_id, case_id=draft_id
    )


def unwrap_for_browser(blob: bytes, browser_key: bytes, *, draft_id: UUID) -> bytes:
    return decrypt_value(
        blob,
        key=browser_key,
        key_version=1,
        label=_BROWSER_LABEL,
        row_id=draft_id,
        case_id=draft_id,
    )


def _seal_json(value: Any, dek: bytes, *, label: str, row_id: UUID, draft_id: UUID) -> bytes:
    data = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return encrypt_value(
        data.encode("utf-8"),
        key=derive_field_key(dek),
        key_version=1,
        label=label,
        row_id=row_id,
        case_id=draft_id,
    )


def _open_json(blob: bytes, dek: bytes, *, label: str, row_id: UUID, draft_id: UUID) -> Any:
    data = decrypt_value(
        blob,
        key=derive_field_key(dek),
        key_version=1,
        label=label,
        row_id=row_id,
        case_id=draft_id,
    )
    return json.loads(data)


def encrypt_answers(answers: dict[str, Any], dek: bytes, *, draft_id: UUID) -> bytes:
    return _seal_json(answers, dek, label=_ANSWERS_LABEL, row_id=draft_id, draft_id=draft_id)


def decrypt_answers(blob: bytes, dek: bytes, *, draft_id: UUID) -> dict[str, Any]:
    return _open_json(blob, dek, label=_ANSWERS_LABEL, row_id=draft_id, draft_id=draft_id)


def encrypt_document_details(
    details: dict[str, Any], dek: bytes, *, document_id: UUID, draft_id: UUID
) -> bytes:
    return _seal_json(details, dek, label=_DOCUMENT_LABEL, row_id=document_id, draft_id=draft_id)


def decrypt_document_details(
    blob: bytes, dek: bytes, *, document_id: UUID, draft_id: UUID
) -> dict[str, Any]:
    return _open_json(blob, dek, label=_DOCUMENT_LABEL, row_id=document_id, draft_id=draft_id)


def seal_for_staff(dek: bytes, *, draft_id: UUID) -> bytes:
    """Seal the DEK to the intake public key: the public side can no longer read the draft."""
    return seal_key(dek, get_provider().intake_public_key(), context=draft_id.bytes)


# --- Replies from the status page (intake/replies.py): the same scheme as a submission, with a
# fresh data key per reply, sealed at once.


def reply_seal_context(*, reply_id: UUID, draft_id: UUID) -> bytes:
    return _REPLY_SEAL_CONTEXT + reply_id.bytes + draft_id.bytes


def seal_reply_key(key: bytes, *, reply_id: UUID, draft_id: UUID) -> bytes:
    """Seal a reply's key to the intake public key: the public side keeps no other copy."""
    context = reply_seal_context(reply_id=reply_id, draft_id=draft_id)
    return seal_key(key, get_provider().intake_public_key(), context=context)


def encrypt_reply_content(
    value: Any, key: bytes, *, part: str, reply_id: UUID, draft_id: UUID
) -> bytes:
    """A reply's ``part`` ("message", "contact") as encrypted JSON, bound to the reply."""
    return _seal_json(
        value, key, label=f"{_REPLY_LABEL}.{part}", row_id=reply_id, draft_id=draft_id
    )


def decrypt_reply_content(
    blob: bytes, key: bytes, *, part: str, reply_id: UUID, draft_id: UUID
) -> Any:
    return _open_json(blob, key, label=f"{_REPLY_LABEL}.{part}", row_id=reply_id, draft_id=draft_id)
