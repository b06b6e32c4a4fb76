"""Keeping an open draft's key between requests (ADR 0009).

The browser holds a random browser key in an HttpOnly cookie scoped to /intake/; the session
holds the draft's data key wrapped under it. Together they give the key back; apart, nothing.
"""

import base64
import binascii
import time
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from clemency.security import drafts
from clemency.security.errors import DecryptionError
from intake.models import Draft

SESSION_KEY = "intake_draft"
COOKIE_PATH = "/intake/"


def remember(request: HttpRequest, response: HttpResponse, draft: Draft, dek: bytes) -> None:
    """Hand the browser its half and keep ours in the session (a new pair every time)."""
    browser_key = drafts.new_browser_key()
    request.session.cycle_key()  # a draft opened on this device gets a fresh session id
    forget_sent(request)  # an application sent earlier is not this one
    request.session[SESSION_KEY] = {
        "draft": str(draft.pk),
        "wrapped": base64.b64encode(
            drafts.wrap_for_browser(dek, browser_key, draft_id=draft.pk)
        ).decode("ascii"),
    }
    response.set_cookie(
        settings.DRAFT_COOKIE_NAME,
        base64.urlsafe_b64encode(browser_key).decode("ascii"),
        max_age=None,  # gone when the browser closes; the resume code brings it back
        path=COOKIE_PATH if not settings.PRODUCTION else "/",  # __Host- cookies need path=/
        secure=settings.PRODUCTION,
        httponly=True,
        samesite="Strict",
    )


def recall(request: HttpRequest) -> tuple[Draft, bytes] | None:
    """The open draft of this browser and its key, or None."""
    held = request.session.get(SESSION_KEY)
    cookie = request.COOKIES.get(settings.DRAFT_COOKIE_NAME)
    if not held or not cookie:
        return None
    try:
        browser_key = base64.urlsafe_b64decode(cookie.encode("ascii"))
        draft_id = UUID(held["draft"])
        wrapped = base64.b64decode(held["wrapped"])
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeEncodeError):
        return None
    draft = Draft.objects.filter(pk=draft_id, submitted_at=None).first()
    if draft is None or len(browser_key) != 32:
        return None
    try:
        dek = drafts.unwrap_for_browser(wrapped, browser_key, draft_id=draft.pk)
    except DecryptionError:
        return None
    return draft, dek


SENT_KEY = "intake_sent"
CODE_SHOWN_KEY = "intake_code_shown"
# How long after sending, Back says "sent"; how long after a code is shown, sending the start
# form again (the code page reloaded) gives the same application a new code.
SENT_MINUTES = 15
RELOAD_MINUTES = 10


def remember_sent(request: HttpRequest) -> None:
    """After sending: for a short while, going back says the application was sent (not "enter
    your code", which no longer works). Nothing about it is kept: only when."""
    request.session[SENT_KEY] = time.time()


def just_sent(request: HttpRequest) -> bool:
    sent = request.session.get(SENT_KEY)
    return isinstance(sent, float) and time.time() - sent < SENT_MINUTES * 60


def forget_sent(request: HttpRequest) -> None:
    request.session.pop(SENT_KEY, None)


def remember_code_shown(request: HttpRequest, draft: Draft) -> None:
    request.session[CODE_SHOWN_KEY] = {"draft": str(draft.pk), "at": time.time()}


def code_page_reloaded(request: HttpRequest, draft: Draft) -> bool:
    """Whether this browser was shown this draft's code moments ago (so sending the start form
    again is the code page reloaded, not someone who found the phone later)."""
    shown = request.session.get(CODE_SHOWN_KEY)
    return (
        isinstance(shown, dict)
        and shown.get("draft") == str(draft.pk)
        and isinstance(shown.get("at"), float)
        and time.time() - shown["at"] < RELOAD_MINUTES * 60
    )


def forget(request: HttpRequest, response: HttpResponse) -> None:
    request.session.pop(SESSION_KEY, None)
    request.session.pop(CODE_SHOWN_KEY, None)
    response.delete_cookie(
        settings.DRAFT_COOKIE_NAME,
        path=COOKIE_PATH if not settings.PRODUCTION else "/",
        samesite="Strict",
    )
