"""Limits on guessing codes: per client address and per target, in the shared cache."""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

WINDOW_SECONDS = 60 * 60


def _key(kind: str, value: str) -> str:
    # A keyed hash: the cache never holds a client address or a reference in the clear.
    digest = hashlib.sha256(f"{settings.SECRET_KEY}|{kind}|{value}".encode()).hexdigest()
    return f"throttle:{kind}:{digest[:32]}"


def client(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


LIMITS = {"start": "INTAKE_START_LIMIT"}


def blocked(kind: str, *values: str) -> bool:
    limit = getattr(settings, LIMITS.get(kind, "INTAKE_GUESS_LIMIT"))
    return any(cache.get(_key(kind, value), 0) >= limit for value in values if value)


def count(kind: str, *values: str) -> None:
    """Count one attempt against each value (a failed guess, or a new application)."""
    for value in values:
        if not value:
            continue
        key = _key(kind, value)
        if not cache.add(key, 1, WINDOW_SECONDS):
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, WINDOW_SECONDS)
