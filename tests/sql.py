"""Raw SQL in tests: parameters as each database stores them."""

import threading
from uuid import UUID

from django.db import connection, connections


def uid(value: UUID):
    """A UUID as a raw query parameter (SQLite keeps UUIDs as 32 hex characters)."""
    return value.hex if connection.vendor == "sqlite" else value


def waiting_on_a_lock() -> bool:
    """Whether a connection of this test database is waiting for a row or table lock."""
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0


def in_thread(target, results, key):
    """Run `target` on its own connection; its result (or exception) goes to results[key]."""

    def run():
        try:
            results[key] = target()
        except Exception as error:  # handed to the test thread
            results[key] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread
