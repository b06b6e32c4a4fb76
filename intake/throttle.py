"""The public intake's limits (clemency/limits.py counts; SECURITY.md "Limits" explains).

- New applications: per client address (for IPv6 also per /48), and for everyone together.
- Codes (resume and status): wrong codes per client address (and /48); wrong status codes per
  reference, beyond which only addresses that have failed on that reference at most twice may
  try, so that an attacker cannot lock the applicant's right code out; status-code checks
  (Argon2) for everyone together.

Every attempt is counted before the slow hash it pays for; a right code gives its place back,
and a refused one is not counted.
"""

import math
from datetime import datetime

from django.utils import timezone
from django.utils.translation import ngettext

from clemency import limits
from clemency.clientip import client_network

START = limits.Rule("intake.start", "INTAKE_START_LIMIT")
START_NETWORK = limits.Rule("intake.start.network", "INTAKE_START_NETWORK_LIMIT")
START_EVERYONE = limits.Rule("intake.start.everyone", "INTAKE_START_GLOBAL_LIMIT")
GUESS = limits.Rule("intake.guess", "INTAKE_GUESS_LIMIT")
GUESS_NETWORK = limits.Rule("intake.guess.network", "INTAKE_GUESS_NETWORK_LIMIT")
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


def _hit_all(rules: list[tuple[limits.Rule, str]]) -> None:
    """Count against each (rule, value) in turn; past any limit, give back the places already
    taken and raise Throttled."""
    taken = []
    for rule, value in rules:
        verdict = limits.hit(rule, value)
        taken.append((rule, value))
        if not verdict.allowed:
            for done, counted in taken:
                limits.refund(done, counted)
            raise Throttled(verdict.retry_at, busy=value == limits.GLOBAL)


def _with_network(rule: limits.Rule, network_rule: limits.Rule, client: str):
    network = client_network(client)
    return [(rule, client)] + ([(network_rule, network)] if network else [])


def start(client: str) -> None:
    """Count a new application; Throttled if this address (for IPv6 also its /48) or everyone
    has had too many."""
    _hit_all([*_with_network(START, START_NETWORK, client), (START_EVERYONE, limits.GLOBAL)])


def guess(client: str) -> None:
    """Count a code that may be wrong; Throttled past this address's (or /48's) limit."""
    _hit_all(_with_network(GUESS, GUESS_NETWORK, client))


def right_guess(client: str) -> None:
    for rule, value in _with_network(GUESS, GUESS_NETWORK, client):
        limits.refund(rule, value)


def code_check() -> None:
    """Count one Argon2 check for everyone; Throttled (busy) past the global limit."""
    _require(limits.hit(CODE_CHECKS, limits.GLOBAL), busy=True)


def reference_guess(client: str, reference: str) -> None:
    """Count a status code for this reference. Past the reference's limit, only an address that
    has not failed on it in this hour may try (the applicant, not the one guessing)."""
    verdict = limits.hit(REFERENCE, reference)
    # An address that has failed on it twice is not the applicant mistyping once.
    if not verdict.allowed and limits.peek(REFERENCE_CLIENT, f"{client}|{reference}").count > 2:
        limits.refund(REFERENCE, reference)
        raise Throttled(verdict.retry_at)


def reference_result(client: str, reference: str, *, right: bool) -> None:
    if right:
        limits.refund(REFERENCE, reference)
    else:
        limits.hit(REFERENCE_CLIENT, f"{client}|{reference}")
