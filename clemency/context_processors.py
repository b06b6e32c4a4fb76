"""What every page may need to know about the site it is on."""

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse


def sites(request: HttpRequest) -> dict:
    """Where staff sign in: on this site, or (on the public intake, which has no sign-in) on the
    staff site, if STAFF_SITE_URL names it."""
    if settings.SITE_ROLE == "intake":
        base = settings.STAFF_SITE_URL.rstrip("/")
        return {"staff_sign_in_url": f"{base}/accounts/login/" if base else ""}
    return {"staff_sign_in_url": reverse("accounts:login")}
