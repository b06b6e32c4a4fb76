"""Rate limits: atomic counters in the database, shared by every process.

A limit counts attempts in fixed windows (an hour, unless the rule says otherwise). `hit` counts
one attempt and says, in the same statement, whether it was still within the limit: two requests
at once can never both take the last place, and an attempt is counted *before* the slow work
(Argon2, an upload) it pays for. A request that turns out to be harmless (the right code) can
`refund` its place, so that only failures add up.

Counters are keyed by an HMAC of the rule and the value (a client address, a reference, an
account): the table never holds an address or a reference in the clear.

The numbers, and why they are what they are, are in SECURITY.md ("Limits").
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, models
from django.utils import timezone

from clemency.models import Counter


@dataclass(frozen=True)
class Rule:
    """At most `limit` attempts per `window` seconds for one value (or for everyone: GLOBAL)."""

    name: str
    setting: str  # the setting holding the limit, so deployments can tune it
    window: int = 60 * 60

    @property
    def limit(self) -> int:
        return getattr(settings, self.setting)


# One key for limits that count everybody together.
GLOBAL = "*"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int
    retry_at: datetime  # when the window ends and the count starts again

    @property
    def retry_after(self) -> int:
        """Seconds until retry_at (for a Retry-After header)."""
        return max(1, int((self.retry_at - timezone.now()).total_seconds()) + 1)


def _key(rule: Rule, value: str) -> str:
    message = f"{rule.name}|{value}".encode()
    secret = f"clemency/limits|{settings.SECRET_KEY}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _window(rule: Rule, now: datetime) -> datetime:
    seconds = int(now.timestamp()) // rule.window * rule.window
    return datetime.fromtimestamp(seconds, tz=now.tzinfo)


def _verdict(rule: Rule, count: int, start: datetime) -> Verdict:
    return Verdict(count <= rule.limit, count, start + timedelta(seconds=rule.window))


_UPSERT = """
    INSERT INTO {table} (key, window_start, count) VALUES (%s, %s, 1)
    ON CONFLICT (key) DO UPDATE SET
        count = CASE WHEN {table}.window_start = excluded.window_start
                     THEN {table}.count + 1 ELSE 1 END,
        window_start = excluded.window_start
    RETURNING count
"""


def hit(rule: Rule, value: str) -> Verdict:
    """Count one attempt against `value`; allowed while the count (this one included) is within
    the limit. An empty value (no client address) counts against the empty string."""
    start = _window(rule, timezone.now())
    table = connection.ops.quote_name(Counter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT.format(table=table), [_key(rule, value), start])
        (count,) = cursor.fetchone()
    return _verdict(rule, count, start)


def peek(rule: Rule, value: str) -> Verdict:
    """The verdict the next attempt would get, without counting it."""
    start = _window(rule, timezone.now())
    count = (
        Counter.objects.filter(key=_key(rule, value), window_start=start)
        .values_list("count", flat=True)
        .first()
    ) or 0
    return _verdict(rule, count + 1, start)


def refund(rule: Rule, value: str) -> None:
    """Give back one attempt counted in this window (the attempt turned out to be allowed)."""
    Counter.objects.filter(
        key=_key(rule, value), window_start=_window(rule, timezone.now()), count__gt=0
    ).update(count=models.F("count") - 1)


def delete_stale(*, now: datetime | None = None) -> int:
    """Forget counters whose window ended more than a day ago (the longest window is a day)."""
    cutoff = (now or timezone.now()) - timedelta(days=2)
    deleted, _ = Counter.objects.filter(window_start__lt=cutoff).delete()
    return deleted
