"""A key being destroyed is never one being used (ADR 0015).

Every transaction that stores something under a KEK or the intake public key (a new case key,
a re-wrapped one, a sealed application, a backup's snapshot of the keys) holds the shared lock
from before it takes the key until it commits; `keys schedule` holds the exclusive lock while it
checks that nothing needs an old key and deletes it. So nothing can be stored under a key
between that check and the deletion, however long the other transaction took (waiting for an
Argon2 turn, say). The schedule only tries for the exclusive lock and leaves the retirement to
its next run if it is held: waiting for it would queue every new submission behind a backup
that holds the shared lock for minutes. PostgreSQL advisory locks, released with the
transaction; on SQLite, which lets one writer in at a time, there is nothing to do.
"""

from django.db import connection

_KEYS = 0x434C4D4B  # "CLMK": one lock for every key of the set


def _lock(function: str) -> bool:
    if connection.vendor != "postgresql":
        return True
    if not connection.in_atomic_block:
        raise RuntimeError("A key lock lasts for a transaction: take it inside one.")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [_KEYS])
        (result,) = cursor.fetchone()
    return result is not False  # the blocking functions return void (None)


def using_keys() -> None:
    """Before taking a key to store something under it, inside the storing transaction."""
    _lock("pg_advisory_xact_lock_shared")


def retiring_keys() -> bool:
    """Before checking that an old key is unused and deleting it, inside one transaction.
    False when keys are in use right now: retire nothing, and try again at the next run."""
    return _lock("pg_try_advisory_xact_lock")
