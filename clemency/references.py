"""Case references: not sequential, not guessable, easy to read out."""

import secrets

# Crockford's base-32 alphabet: no I, L, O or U, so a reference reads well aloud and on paper.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference() -> str:
    """40 random bits, written PP-XXXX-XXXX."""
    body = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"PP-{body[:4]}-{body[4:]}"
