"""Case references: not sequential, not guessable, easy to read out."""

import re
import secrets

# Crockford's base-32 alphabet: no I, L, O or U, so a reference reads well aloud and on paper.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference() -> str:
    """40 random bits, written PP-XXXX-XXXX."""
    body = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"PP-{body[:4]}-{body[4:]}"


_REFERENCE = re.compile(rf"PP-[{REFERENCE_ALPHABET}]{{4}}-[{REFERENCE_ALPHABET}]{{4}}")


def is_reference(text: str) -> bool:
    """Whether `text` has the form of a reference (PP-XXXX-XXXX in the alphabet above)."""
    return _REFERENCE.fullmatch(text) is not None
