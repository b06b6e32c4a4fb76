"""Raw SQL in tests: parameters as each database stores them."""

from uuid import UUID

from django.db import connection


def uid(value: UUID):
    """A UUID as a raw query parameter (SQLite keeps UUIDs as 32 hex characters)."""
    return value.hex if connection.vendor == "sqlite" else value
