"""Blind indexes: truncated HMAC-SHA256 of a normalised value, for possible-duplicate checks.

Truncation (16 bits by default) is deliberate: many different people share each index value, so
an index alone says little about anyone, and a match is only ever shown as "possible duplicate".
Each kind of value has its own domain, so equal indexes of different kinds mean nothing.
"""

import hashlib
import hmac
import re
import unicodedata
from datetime import date
from enum import StrEnum

DEFAULT_BITS = 16


class IndexKind(StrEnum):
    A_NUMBER = "a-number"
    SURNAME_DOB = "surname-dob"


def normalize_a_number(value: str) -> str:
    """An Alien Registration Number: 8 or 9 digits, written with or without 'A', dashes, spaces."""
    digits = re.sub(r"\D", "", value)
    if not 8 <= len(digits) <= 9:
        raise ValueError("An A-number has 8 or 9 digits.")
    return digits.zfill(9)


def normalize_name(value: str) -> str:
    """NFKC, case-folded, accents removed, keeping letters and digits only."""
    folded = unicodedata.normalize("NFKC", value).casefold()
    decomposed = unicodedata.normalize("NFKD", folded)
    kept = "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch))
    return unicodedata.normalize("NFKC", kept)


def normalize_surname_dob(surname: str, date_of_birth: date) -> str:
    name = normalize_name(surname)
    if not name:
        raise ValueError("A surname needs at least one letter.")
    return f"{name}|{date_of_birth.isoformat()}"


def blind_index(kind: IndexKind, normalized: str, *, key: bytes, bits: int = DEFAULT_BITS) -> int:
    if not 1 <= bits <= 64:
        raise ValueError("A blind index keeps 1 to 64 bits.")
    message = IndexKind(kind).value.encode("ascii") + b"|" + normalized.encode("utf-8")
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") >> (64 - bits)
