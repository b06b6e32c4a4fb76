"""Text messages (SMS), for the one thing the system texts: "there is news, please check your
status" to an applicant who asked for it (cases/outreach.py). Never anything personal.

``TEXT_MESSAGE_BACKEND`` chooses how they go:

- ``clemency.texting.FileBackend`` (development): each message is a file under
  VAR_DIR/texts/, for anyone to read what would be sent, as e-mail goes to var/mail/.
- ``clemency.texting.TwilioBackend``: Twilio's REST API, or a provider that speaks it
  (TEXT_TWILIO_API_URL), with TEXT_TWILIO_ACCOUNT, TEXT_TWILIO_TOKEN and TEXT_TWILIO_FROM.
- ``clemency.texting.MemoryBackend`` (tests): kept in ``outbox``.
- ``""``: no text messages; the status page then offers e-mail only.
"""

import base64
import json
import secrets
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string


class TextMessageError(Exception):
    """The message was not accepted for delivery."""


def enabled() -> bool:
    return bool(settings.TEXT_MESSAGE_BACKEND)


def send_text(to: str, body: str) -> None:
    """Send ``body`` to the number ``to`` (E.164, "+13475550199")."""
    if not enabled():
        raise TextMessageError("Text messages are not configured.")
    import_string(settings.TEXT_MESSAGE_BACKEND)().send(to, body)


class FileBackend:
    def send(self, to: str, body: str) -> None:
        directory = Path(settings.VAR_DIR) / "texts"
        directory.mkdir(parents=True, exist_ok=True)
        name = f"{timezone.now():%Y%m%d-%H%M%S}-{secrets.token_hex(4)}.txt"
        (directory / name).write_text(f"To: {to}\n\n{body}\n", encoding="utf-8")


class MemoryBackend:
    outbox: list[tuple[str, str]] = []

    def send(self, to: str, body: str) -> None:
        MemoryBackend.outbox.append((to, body))


class TwilioBackend:
    """POST /2010-04-01/Accounts/{account}/Messages.json with To, From and Body."""

    def send(self, to: str, body: str) -> None:
        account = settings.TEXT_TWILIO_ACCOUNT
        url = (
            f"{settings.TEXT_TWILIO_API_URL.rstrip('/')}/2010-04-01/Accounts/"
            f"{urllib.parse.quote(account)}/Messages.json"
        )
        data = urllib.parse.urlencode(
            {"To": to, "From": settings.TEXT_TWILIO_FROM, "Body": body}
        ).encode("ascii")
        credentials = base64.b64encode(f"{account}:{settings.TEXT_TWILIO_TOKEN}".encode()).decode()
        request = urllib.request.Request(  # noqa: S310 (the URL is a setting, https in production)
            url,
            data=data,
            method="POST",
            headers={
                "Authorization": f"Basic {credentials}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            # The provider's own words (an error code), never the number or the body.
            raise TextMessageError(
                f"The text message provider refused it ({error.code})."
            ) from None
        except (urllib.error.URLError, TimeoutError, ValueError) as error:
            raise TextMessageError(
                f"The text message provider could not be reached ({type(error).__name__})."
            ) from None
        if answer.get("status") in ("failed", "undelivered"):
            raise TextMessageError("The text message provider could not deliver it.")
