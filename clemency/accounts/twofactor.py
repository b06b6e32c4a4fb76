"""The second factor: a person's devices, verifying a session, recovery codes.

Every account signs in with its password and then a second factor (DESIGN.md §2): a passkey
(django-otp-webauthn) or an authenticator app (django-otp TOTP). Ten single-use recovery codes
(django-otp's static device) stand in for a lost device. A session is verified when django-otp has
recorded the device that verified it (session key ``otp_device_id``); we also record when, so that
removing a device, adding one or making new recovery codes can ask for it again when it was
given long ago (settings.SECOND_FACTOR_RECENT_MINUTES).

Recovery codes are stored as keyed hashes, never as the codes: a copy of the database does not
give them away. They are shown once, on the page that makes them.
"""

import hashlib
import hmac
import secrets
import time
from base64 import b32encode
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from clemency.accounts.models import User
from clemency.audit.log import record

# When this session last gave the second factor (seconds since the epoch).
VERIFIED_AT = "clemency_second_factor_at"
# Set when the next visit to the recovery codes page should make and show new codes.
SHOW_NEW_RECOVERY_CODES = "clemency_show_new_recovery_codes"

RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: codes are read off paper.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_CODE_LENGTH = 10  # about 50 bits

# Device kinds as they appear in URLs, and their models.
KINDS = {"app": TOTPDevice, "passkey": WebAuthnCredential}
KIND_LABELS = {"app": _("Authenticator app"), "passkey": _("Passkey")}


@dataclass(frozen=True)
class DeviceRow:
    """One device as the account page lists it."""

    kind: str
    pk: int
    created_at: datetime | None
    last_used_at: datetime | None

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]


def primary_devices(user) -> list[DeviceRow]:
    """The user's confirmed passkeys and authenticator apps, oldest first."""
    rows = [
        DeviceRow(kind, device.pk, device.created_at, device.last_used_at)
        for kind, model in KINDS.items()
        for device in model.objects.filter(user=user, confirmed=True)
    ]
    return sorted(rows, key=lambda row: (row.created_at is None, row.created_at, row.kind))


def is_enrolled(user) -> bool:
    """Has a passkey or an authenticator app (recovery codes alone do not count)."""
    return any(model.objects.filter(user=user, confirmed=True).exists() for model in KINDS.values())


def has_passkey(user) -> bool:
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()


def apps_of(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True)


def recovery_device(user) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def recovery_codes_left(user) -> int:
    device = recovery_device(user)
    return device.token_set.count() if device else 0


# --- Sessions --------------------------------------------------------------------------------


def mark_verified(request: HttpRequest, device) -> None:
    """Record that this session has given the second factor, with `device`, just now.

    A new session key as well: the session now opens more than it did.
    """
    otp_login(request, device)
    # Given once, the second factor clears every device's wait (a passkey or a recovery code
    # also frees an app that wrong codes had made wait).
    for model in (TOTPDevice, StaticDevice):
        model.objects.filter(user=request.user).update(
            throttling_failure_count=0, throttling_failure_timestamp=None
        )
    request.session.cycle_key()
    request.session[VERIFIED_AT] = int(time.time())


def is_verified(user) -> bool:
    """Has this session given the second factor? (A user just signed in by this very request,
    not yet seen by django-otp's middleware, has not.)"""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def recently_verified(request: HttpRequest) -> bool:
    if not is_verified(request.user):
        return False
    at = request.session.get(VERIFIED_AT, 0)
    return time.time() - at <= settings.SECOND_FACTOR_RECENT_MINUTES * 60


def safe_next(request: HttpRequest, value: str | None) -> str:
    """`value` if it is a path on this site, else ''."""
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return ""


def second_factor_url(user, next_url: str = "") -> str:
    """Where a person who has given only the password goes: verification, or enrolment when
    they have no device yet."""
    url = reverse("accounts:verify" if is_enrolled(user) else "accounts:enroll")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


# --- Authenticator apps ----------------------------------------------------------------------


def pending_app(user) -> TOTPDevice:
    """The authenticator app being set up: kept until confirmed, so reloading the page shows the
    same QR code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=False)


def app_secret_groups(device: TOTPDevice) -> list[str]:
    """The key as people type it into an app: base32 in groups of four."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return [secret[i : i + 4] for i in range(0, len(secret), 4)]


def app_qr_svg(device: TOTPDevice, title: str) -> SafeString:
    """The app's setup link as an inline SVG QR code (no image URL, nothing inline to allow)."""
    code = segno.make(device.config_url, error="m")
    svg = code.svg_inline(
        scale=1,
        border=4,
        dark="#000",
        light="#fff",
        title=title,
        svgclass="qr",
        lineclass=None,
        omitsize=True,
    )
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S308 (segno's output)


def confirm_app(request: HttpRequest, device: TOTPDevice, token: str) -> bool:
    """Confirm the app being set up with one code from it."""
    if verify_token(request.user, device.persistent_id, token) is None:
        return False
    with transaction.atomic():
        device.refresh_from_db()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=request.user, confirmed=False).delete()
        record(
            "account.device_added",
            actor=request.user,
            data={"kind": "app", "device_id": device.pk},
        )
    return True


# Each wrong code doubles a device's wait (django-otp); counted up to this many, the wait stops
# growing at 2**9 s (about 8 minutes), so someone who knows only the password cannot make the
# owner's app unusable for days.
MAX_COUNTED_FAILURES = 10


def _cap_wait(user) -> None:
    for model in (TOTPDevice, StaticDevice):
        model.objects.filter(user=user, throttling_failure_count__gt=MAX_COUNTED_FAILURES).update(
            throttling_failure_count=MAX_COUNTED_FAILURES
        )


def verify_app_code(user, token: str):
    """The authenticator app that accepts `token`, or None (each app counts the failure)."""
    for device in apps_of(user):
        verified = verify_token(user, device.persistent_id, token)
        if verified is not None:
            return verified
    _cap_wait(user)
    return None


def device_wait(device) -> datetime | None:
    """When `device` accepts codes again after too many wrong ones, if it does not now."""
    allowed, data = device.verify_is_allowed()
    return (data or {}).get("locked_until") if not allowed else None


def app_wait(user) -> datetime | None:
    """When one of the user's apps accepts codes again, if none does now."""
    waits = [device_wait(device) for device in apps_of(user)]
    return None if None in waits or not waits else min(waits)


# --- Recovery codes ---------------------------------------------------------------------------


def _normalise_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _digest(code: str) -> str:
    key = f"clemency/recovery-codes|{settings.SECRET_KEY}".encode()
    message = _normalise_code(code).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:16]


def _format(code: str) -> str:
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def new_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes with new ones and return them (to show once)."""
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    with transaction.atomic():
        device = recovery_device(user)
        if device is None:
            device = StaticDevice.objects.create(user=user, name="recovery codes")
        device.token_set.all().delete()
        StaticToken.objects.bulk_create(StaticToken(device=device, token=_digest(c)) for c in codes)
        device.throttle_reset()
        record("account.recovery_codes_created", actor=user, data={"device_id": device.pk})
    return [_format(code) for code in codes]


def use_recovery_code(user, code: str) -> StaticDevice | None:
    """The recovery device, if `code` is one of the user's unused codes (then used up)."""
    device = recovery_device(user)
    if device is None or not _normalise_code(code):
        return None
    verified = verify_token(user, device.persistent_id, _digest(code))
    if verified is None:
        _cap_wait(user)
    return verified


def recovery_wait(user) -> datetime | None:
    device = recovery_device(user)
    return device_wait(device) if device is not None else None


# --- Removing a device ------------------------------------------------------------------------


class LastDevice(Exception):
    """The only passkey or app left cannot be removed."""


def remove_device(request: HttpRequest, *, kind: str, device) -> None:
    """Remove one of the user's passkeys or apps. The session stays verified: it gave the second
    factor minutes ago, perhaps with this very device."""
    user = request.user
    with transaction.atomic():
        # One removal at a time, so that two at once cannot remove the last two devices.
        User.objects.select_for_update().filter(pk=user.pk).first()
        if len(primary_devices(user)) <= 1:
            raise LastDevice
        was_session_device = (
            request.user.otp_device is not None
            and request.user.otp_device.persistent_id == device.persistent_id
        )
        device_id = device.pk
        device.delete()
        record("account.device_removed", actor=user, data={"kind": kind, "device_id": device_id})
    if was_session_device:
        remaining = (
            apps_of(user).first()
            or WebAuthnCredential.objects.filter(user=user, confirmed=True).first()
        )
        otp_login(request, remaining)


def remove_all_devices(user) -> None:
    """Every passkey, app and recovery code of `user` (an administrator's reset)."""
    for model in (*KINDS.values(), StaticDevice):
        model.objects.filter(user=user).delete()
