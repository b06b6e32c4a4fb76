"""The public intake's limits (clemency/limits.py counts; SECURITY.md "Limits" explains).

- New applications: per client address (for IPv6 also per /48), and for everyone together.
- Resume codes: wrong codes per client address (and /48); a code that finds its application is
  never refused.
- Status codes, fair to people who share one address (a family phone, a legal-aid office):
  wrong codes per client address and application ("per code": one person mistyping waits, the
  others do not), a larger allowance per client address (and /48) for many applications, and
  per application from everyone, beyond which only addresses that have failed on it at most
  once may try, so that an attacker cannot lock the applicant's right code out; status-code
  checks (Argon2) for everyone together.

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
STATUS_GUESS = limits.Rule("intake.status.guess", "INTAKE_STATUS_GUESS_LIMIT")
STATUS_GUESS_NETWORK = limits.Rule("intake.status.guess.network", "INTAKE_STATUS_NETWORK_LIMIT")
STATUS_CODE = limits.Rule("intake.status.code", "INTAKE_STATUS_CODE_LIMIT")
REFERENCE = limits.Rule("intake.reference", "INTAKE_REFERENCE_GUESS_LIMIT")
CODE_CHECKS = limits.Rule("intake.code-checks", "CODE_CHECK_GLOBAL_LIMIT")
# What a refusal tells the person (any other limit: "this connection").
_REASONS = {START_EVERYONE: "busy", CODE_CHECKS: "busy", STATUS_CODE: "code", REFERENCE: "code"}


class Throttled(Exception):
    """Refused for now; `message` says why and when to try again (safe to show).

    `reason`: "connection" (this address), "code" (this application, from this address or from
    everyone) or "busy" (everyone together)."""

    def __init__(self, retry_at: datetime, *, reason: str = "connection") -> None:
        super().__init__("throttled")
        self.retry_at = retry_at
        self.reason = reason

    @property
    def minutes(self) -> int:
        return max(1, math.ceil((self.retry_at - timezone.now()).total_seconds() / 60))

    @property
    def retry_after(self) -> int:
        return self.minutes * 60

    @property
    def message(self) -> str:
        if self.reason == "busy":
            return ngettext(
                "Many people are using this service right now. "
                "Please try again in %(minutes)d minute.",
                "Many people are using this service right now. "
                "Please try again in %(minutes)d minutes.",
                self.minutes,
            ) % {"minutes": self.minutes}
        if self.reason == "code":
            return ngettext(
                "Too many wrong codes for this reference. Please try again in %(minutes)d minute.",
                "Too many wrong codes for this reference. Please try again in %(minutes)d minutes.",
                self.minutes,
            ) % {"minutes": self.minutes}
        return ngettext(
            "Too many tries from this connection. Please try again in %(minutes)d minute.",
            "Too many tries from this connection. Please try again in %(minutes)d minutes.",
            self.minutes,
        ) % {"minutes": self.minutes}


def _hit_all(rules: list[tuple[limits.Rule, str]]) -> None:
    """Count against each (rule, value) in turn; past any limit, give back the places already
    taken and raise Throttled, saying which limit it was."""
    taken = []
    for rule, value in rules:
        verdict = limits.hit(rule, value)
        taken.append((rule, value))
        if not verdict.allowed:
            _refund_all(taken)
            raise Throttled(verdict.retry_at, reason=_REASONS.get(rule, "connection"))


def _refund_all(taken: list[tuple[limits.Rule, str]]) -> None:
    for rule, value in taken:
        limits.refund(rule, value)


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


def code_check() -> None:
    """Count one Argon2 check for everyone; Throttled (busy) past the global limit."""
    _hit_all([(CODE_CHECKS, limits.GLOBAL)])


def _status_rules(client: str, reference: str | None) -> list[tuple[limits.Rule, str]]:
    rules = _with_network(STATUS_GUESS, STATUS_GUESS_NETWORK, client)
    if reference is not None:
        rules.append((STATUS_CODE, f"{client}|{reference}"))
    return rules


def status_guess(client: str, reference: str | None) -> None:
    """Count a status code that may be wrong, before its slow check: for this address (and /48)
    and for this address and reference; then for the reference from everyone, past whose limit
    only an address that has failed on it at most once this hour may try (the applicant after
    a typo, not the one guessing). `reference` None: not one we could have given (counted for
    the address only). Throttled past any of them, with nothing counted."""
    _hit_all(_status_rules(client, reference))
    if reference is None:
        return
    verdict = limits.hit(REFERENCE, reference)
    # This attempt is counted already (peek says the next one): two wrong before it are not
    # the applicant's one typo.
    failed_before = limits.peek(STATUS_CODE, f"{client}|{reference}").count - 2
    if not verdict.allowed and failed_before >= 2:
        _refund_all([*_status_rules(client, reference), (REFERENCE, reference)])
        raise Throttled(verdict.retry_at, reason="code")


def status_right(client: str, reference: str) -> None:
    """The code was right, or was never judged: every place it took is given back."""
    _refund_all([*_status_rules(client, reference), (REFERENCE, reference)])
