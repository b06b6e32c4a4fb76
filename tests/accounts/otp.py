"""Codes for tests, computed the way an authenticator app computes them."""

import time

from django_otp.oath import hotp
from django_otp.plugins.otp_totp.models import TOTPDevice


def app_of(user) -> TOTPDevice:
    """The user's authenticator app (a new confirmed one if they have none)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator app")


def next_code(device: TOTPDevice) -> str:
    """A code the device accepts now: the current one, or the next one when the current one was
    used already (a code works once); waits for the clock when both were."""
    while True:
        device.refresh_from_db()
        now = (int(time.time()) - device.t0) // device.step + device.drift
        # The current step first, then the next, then the last (as the device's tolerance allows).
        steps = sorted(
            range(now - device.tolerance, now + device.tolerance + 1),
            key=lambda t: (abs(t - now), t < now),
        )
        for t in steps:
            if t > device.last_t:
                return code_at(device.bin_key, t, digits=device.digits)
        time.sleep(1)


def code_at(key: bytes, step: int, *, digits: int = 6) -> str:
    return str(hotp(key, step, digits=digits)).zfill(digits)


def code_for_secret(secret: str, *, step: int = 30) -> str:
    """What an app shows now for a setup key typed from the page (base32, spaces allowed)."""
    from base64 import b32decode

    key = "".join(secret.split()).upper()
    key += "=" * (-len(key) % 8)
    return code_at(b32decode(key), int(time.time()) // step)
