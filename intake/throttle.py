"""The public intake's limits (clemency/limits.py counts; SECURITY.md "Limits" explains).

- New applications: per client address, and for everyone together.
- Codes (resume and status): wrong codes per client address; wrong status codes per reference,
  beyond which only addresses that have not failed on that reference yet may try, so that an
  attacker cannot lock the applicant's right code out; Argon2 checks for everyone together.

Every attempt is counted before the slow hash it pays for; a right code gives its place back.
"""

import math
from datetime import datetime

from django.utils import timezone
from django.utils.translation import ngettext

from clemency import limits

START = limits.Rule("intake.start", "INTAKE_START_LIMIT")
START_EVERYONE = limits.Rule("intake.start.everyone", "INTAKE_START_GLOBAL_LIMIT")
GUESS = limits.Rule("intake.guess", "INTAKE_GUESS_LIMIT")
REFERENCE = limits.Rule("intake.reference", "INTAKE_REFERENCE_GUESS_LIMIT")
REFERENCE_CLIENT = limits.Rule("intake.reference.client", "INTAKE_GUESS_LIMIT")
CODE_CHECKS = limits.Rule("intake.code-checks", "CODE_CHECK_GLOBAL_LIMIT")


class Throttled(Exception):
    """Refused for now; `message` says when to try again (safe to show)."""

    def __init__(self, retry_at: datetime, *, busy: bool = False) -> None:
        super().__init__("throttled")
        self.retry_at = retry_at
        self.busy = busy

    @property
    def minutes(self) -> int:
        return max(1, math.ceil((self.retry_at - timezone.now()).total_seconds() / 60))

    @property
    def retry_after(self) -> int:
        return self.minutes * 60

    @property
    def message(self) -> str:
        if self.busy:
            return ngettext(
                "Many people are using this service right now. "
                "Please try again in %(minutes)d minute.",
                "Many people are using this service right now. "
                "Please try again in %(minutes)d minutes.",
                self.minutes,
            ) % {"minutes": self.minutes}
        return ngettext(
            "Too many tries from this connection. Please try again in %(minutes)d minute.",
            "Too many tries from this connection. Please try again in %(minutes)d minutes.",
            self.minutes,
        ) % {"minutes": self.minutes}


def _require(verdict: limits.Verdict, *, busy: bool = False) -> None:
    if not verdict.allowed:
        raise Throttled(verdict.retry_at, busy=busy)


def start(client: str) -> None:
    """Count a new application; Throttled if this address or everyone has had too many."""
    _require(limits.hit(START, client))
    verdict = limits.hit(START_EVERYONE, limits.GLOBAL)
    if not verdict.allowed:
        limits.refund(START, client)
        raise Throttled(verdict.retry_at, busy=True)


def guess(client: str) -> None:
    """Count a code that may be wrong; Throttled past this address's limit."""
    _require(limits.hit(GUESS, client))


def right_guess(client: str) -> None:
    limits.refund(GUESS, client)


def code_check() -> None:
    """Count one Argon2 check for everyone; Throttled (busy) past the global limit."""
    _require(limits.hit(CODE_CHECKS, limits.GLOBAL), busy=True)


def reference_guess(client: str, reference: str) -> None:
    """Count a status code for this reference. Past the reference's limit, only an address that
    has not failed on it in this hour may try (the applicant, not the one guessing)."""
    verdict = limits.hit(REFERENCE, reference)
    if not verdict.allowed and limits.peek(REFERENCE_CLIENT, f"{client}|{reference}").count > 1:
        limits.refund(REFERENCE, reference)
        raise Throttled(verdict.retry_at)


def reference_result(client: str, reference: str, *, right: bool) -> None:
    if right:
        limits.refund(REFERENCE, reference)
    else:
        limits.hit(REFERENCE_CLIENT, f"{client}|{reference}")
