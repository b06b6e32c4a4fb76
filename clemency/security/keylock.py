"""A key being destroyed is never one being used (ADR 0015).

Every transaction that stores something under a KEK or the intake public key (a new case key,
a re-wrapped one, a sealed application, a backup's snapshot of the keys) holds the shared lock
from before it takes the key until it commits; `keys schedule` holds the exclusive lock while it
checks that nothing needs an old key and deletes it. So nothing can be stored under a key
between that check and the deletion, however long the other transaction took (waiting for an
Argon2 turn, say). PostgreSQL advisory locks, released with the transaction; on SQLite, which
lets one writer in at a time, there is nothing to do.
"""

from django.db import connection

_KEYS = 0x434C4D4B  # "CLMK": one lock for every key of the set


def _lock(function: str) -> None:
    if connection.vendor != "postgresql":
        return
    if not connection.in_atomic_block:
        raise RuntimeError("A key lock lasts for a transaction: take it inside one.")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [_KEYS])


def using_keys() -> None:
    """Before taking a key to store something under it, inside the storing transaction."""
    _lock("pg_advisory_xact_lock_shared")


def retiring_keys() -> None:
    """Before checking that an old key is unused and deleting it, inside one transaction."""
    _lock("pg_advisory_xact_lock")
