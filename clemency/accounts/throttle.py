"""Limits on signing in and on password reset requests (SECURITY.md "Sign-in" has the numbers).

Failed sign-ins are counted by django-axes in its database table, one row per account and client
address, and refused while any of three counts is at its limit:

- one account from one address (AXES_FAILURE_LIMIT): someone guessing from one place stops soon;
- one account from every address (SIGNIN_ACCOUNT_FAILURE_LIMIT): guessing spread over many
  addresses stops too, late enough that colleagues' typing mistakes do not lock anybody out;
- one address over every account (SIGNIN_ADDRESS_FAILURE_LIMIT): one place trying many accounts.

A count holds the failures of the rows whose last failure is less than AXES_COOLOFF_TIME old, so a
lock ends an hour after the failure that reached the limit. Tries while locked are refused without
being counted: the time the page shows stays true. Signing in with the right password forgives
the failures of that account from that address, not those made elsewhere.

Nothing typed is kept: rows hold the e-mail address as typed (normalised), the client address and
the count, never the password, other form fields or the browser's description of itself.

Password reset requests are limited with clemency/limits.py, per client address and per e-mail
address, whether or not the address has an account.
"""

import math
from dataclasses import dataclass
from datetime import datetime

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import ngettext

from clemency import limits
from clemency.audit.log import record

PASSWORD_RESET_ADDRESS = limits.Rule("accounts.password-reset.client", "PASSWORD_RESET_LIMIT")
PASSWORD_RESET_EMAIL = limits.Rule("accounts.password-reset.email", "PASSWORD_RESET_EMAIL_LIMIT")

# (what is counted together, the setting holding its limit, its name in the audit log)
SIGNIN_LIMITS = (
    (("username", "ip_address"), "AXES_FAILURE_LIMIT", "account_from_address"),
    (("username",), "SIGNIN_ACCOUNT_FAILURE_LIMIT", "account"),
    (("ip_address",), "SIGNIN_ADDRESS_FAILURE_LIMIT", "address"),
)


def normalise_email(value: str | None) -> str | None:
    value = (value or "").strip().lower()
    return value or None


def signin_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The account a sign-in is for, as django-axes counts it (settings.AXES_USERNAME_CALLABLE):
    the e-mail address as the sign-in form reads it, so "Staff@" and "staff@" count together."""
    credentials = credentials or {}
    value = credentials.get("username") or credentials.get("email")
    if value is None and request is not None:
        value = request.POST.get("username")
    return normalise_email(value)


@dataclass(frozen=True)
class Lock:
    until: datetime
    reasons: tuple[str, ...]


class SignInThrottle(AxesDatabaseHandler):
    """django-axes' database handler with one limit per key and no copy of the request."""

    def lock(self, request: HttpRequest, credentials: dict | None = None) -> Lock | None:
        """The lock on this sign-in, if any: when the last of its reasons ends."""
        values = {
            "username": get_client_username(request, credentials),
            "ip_address": request.axes_ip_address or None,
        }
        cool_off = get_cool_off(request)
        since = request.axes_attempt_time - cool_off
        until, reasons = None, []
        for keys, setting, reason in SIGNIN_LIMITS:
            if any(values[key] is None for key in keys):
                continue
            limit = getattr(settings, setting)
            rows = (
                AccessAttempt.objects.filter(
                    attempt_time__gte=since, **{k: values[k] for k in keys}
                )
                .order_by("-attempt_time")
                .values_list("attempt_time", "failures_since_start")
            )
            counted = 0
            for last_failure, failures in rows:
                counted += failures
                if counted >= limit:
                    # This row leaving the window brings the count back under the limit.
                    ends = last_failure + cool_off
                    until = ends if until is None else max(until, ends)
                    reasons.append(reason)
                    break
        return Lock(until, tuple(reasons)) if until is not None else None

    def is_locked(self, request: HttpRequest, credentials: dict | None = None) -> bool:
        return self.lock(request, credentials) is not None

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """The largest count, for django-axes' own reports; locking is decided by `lock`."""
        counts = [0]
        for queryset in self.get_user_attempts(request, credentials):
            counts.append(sum(queryset.values_list("failures_since_start", flat=True)))
        return max(counts)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs) -> None:
        if request is None:
            return
        request.axes_credentials = credentials
        if getattr(request, "axes_locked_out", False):
            return  # refused while locked: not counted
        self.clean_expired_user_attempts(request, credentials)
        username = get_client_username(request, credentials)
        address = request.axes_ip_address or None
        with transaction.atomic():
            attempt, created = AccessAttempt.objects.select_for_update().get_or_create(
                username=username,
                ip_address=address,
                user_agent="",
                defaults={
                    "get_data": "",
                    "post_data": "",
                    "http_accept": "",
                    "path_info": request.axes_path_info,
                    "failures_since_start": 1,
                    "attempt_time": request.axes_attempt_time,
                },
            )
            if not created:
                AccessAttempt.objects.filter(pk=attempt.pk).update(
                    failures_since_start=F("failures_since_start") + 1,
                    attempt_time=request.axes_attempt_time,
                    path_info=request.axes_path_info,
                )
        lock = self.lock(request, credentials)
        if lock is None:
            return
        request.axes_locked_out = True
        _record_lock(username, lock)
        user_locked_out.send("axes", request=request, username=username, ip_address=address)

    def reset_user_attempts(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """After the right password: forget this account's failures from this address only."""
        deleted, _ = AccessAttempt.objects.filter(
            username=get_client_username(request, credentials),
            ip_address=request.axes_ip_address or None,
        ).delete()
        return deleted


def _record_lock(username: str | None, lock: Lock) -> None:
    from clemency.accounts.models import User

    user_id = User.objects.filter(email=username).values_list("pk", flat=True).first()
    record("account.locked_out", data={"user_id": user_id, "limits": list(lock.reasons)})


def minutes_until(moment: datetime) -> int:
    return max(1, math.ceil((moment - timezone.now()).total_seconds() / 60))


def lockout_message(until: datetime) -> str:
    minutes = minutes_until(until)
    return ngettext(
        "Too many failed attempts to sign in. For your safety, signing in is paused: try again "
        "in %(minutes)d minute. If you have forgotten your password, you can reset it.",
        "Too many failed attempts to sign in. For your safety, signing in is paused: try again "
        "in %(minutes)d minutes. If you have forgotten your password, you can reset it.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """The sign-in page again (settings.AXES_LOCKOUT_CALLABLE), status 429, with the e-mail
    address as typed and when to try again."""
    from axes.handlers.proxy import AxesProxyHandler

    from clemency.accounts.forms import LoginForm

    lock = AxesProxyHandler.get_implementation().lock(request, credentials)
    until = lock.until if lock else timezone.now() + get_cool_off(request)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    form = LoginForm(request, initial={"username": request.POST.get("username", "")})
    context = {"form": form, "next": next_url, "lockout": lockout_message(until)}
    response = render(request, "registration/login.html", context, status=429)
    response.headers["Retry-After"] = str(minutes_until(until) * 60)
    return response


class Throttled(Exception):
    def __init__(self, retry_at: datetime) -> None:
        super().__init__("throttled")
        self.retry_at = retry_at

    @property
    def message(self) -> str:
        minutes = minutes_until(self.retry_at)
        return ngettext(
            "Too many requests for a new password. Please try again in %(minutes)d minute.",
            "Too many requests for a new password. Please try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}


def password_reset_request(*, client: str, email: str) -> None:
    """Count one reset request from this client address for this e-mail address; Throttled past
    either limit. Known and unknown addresses count alike."""
    verdict = limits.hit(PASSWORD_RESET_ADDRESS, client)
    if not verdict.allowed:
        raise Throttled(verdict.retry_at)
    verdict = limits.hit(PASSWORD_RESET_EMAIL, normalise_email(email) or "")
    if not verdict.allowed:
        raise Throttled(verdict.retry_at)
