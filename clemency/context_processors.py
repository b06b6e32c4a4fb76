"""What every page may need to know about the site it is on."""

import re

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse


def hotline() -> dict:
    """The number to call now (settings HOTLINE_NUMBER, HOTLINE_HOURS), and how a phone dials it."""
    number = settings.HOTLINE_NUMBER
    dial = ("+" if number.strip().startswith("+") else "") + re.sub(r"\D", "", number)
    return {"number": number, "tel": dial, "hours": settings.HOTLINE_HOURS}


def sites(request: HttpRequest) -> dict:
    """Where staff sign in: on this site, or (on the public intake, which has no sign-in) on the
    staff site, if STAFF_SITE_URL names it; and the number to call now."""
    if settings.SITE_ROLE == "intake":
        base = settings.STAFF_SITE_URL.rstrip("/")
        sign_in = f"{base}/accounts/login/" if base else ""
    else:
        sign_in = reverse("accounts:login")
    return {"staff_sign_in_url": sign_in, "hotline": hotline()}
