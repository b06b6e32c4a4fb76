"""The applicant's answer from the status page (DESIGN.md §4.4; ADR 0018).

Someone who gave the right reference and status code may, for STATUS_ACCESS_MINUTES in that
browser session, send what staff asked for (files and a short message) and leave or change an
e-mail address or phone number for "there is news, please check your status" messages.

Each reply gets a fresh data key. The upload handler encrypts the files under it as they arrive
(bound to the draft's UUID, which is the case's); the message and the contact are encrypted
under it; the key is sealed to the intake public key and forgotten. From then on this side cannot
read the reply: only the staff side's worker can, with the intake private key, and it moves
everything under the case key (cases/replies.py), leaving here the dates and counts that the
status page shows.
"""

import contextlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from clemency import limits
from clemency.common import filetypes
from clemency.security import drafts
from clemency.security.keylock import using_keys
from clemency.security.storage import EncryptedDocumentStorage, EncryptedUploadedFile
from intake import uploads
from intake.models import Draft, Reply, ReplyDocument
from intake.tasks import attach_reply

ACCESS_KEY = "status_access"
REPLIES = limits.Rule("intake.reply", "INTAKE_REPLY_LIMIT", window=24 * 60 * 60)
CONTACT_CHANGES = limits.Rule("intake.reply-contact", "INTAKE_REPLY_LIMIT", window=24 * 60 * 60)


class AlreadySent(Exception):
    """This very form was sent and kept before (a double tap): nothing more to do."""


class ReplyError(Exception):
    """Refused; the messages are safe to show (one for each reason)."""

    def __init__(self, *messages: str) -> None:
        super().__init__(*messages)
        self.messages = list(messages)

    def __str__(self) -> str:
        return " ".join(self.messages)


# --- Who may reply: the browser that gave the right code, for a while --------------------------


def grant_access(request: HttpRequest, draft: Draft) -> None:
    """This browser gave the right reference and status code for ``draft``."""
    until = timezone.now() + timedelta(minutes=settings.STATUS_ACCESS_MINUTES)
    request.session.cycle_key()
    request.session[ACCESS_KEY] = {"draft": str(draft.pk), "until": until.isoformat()}


def forget_access(request: HttpRequest) -> None:
    request.session.pop(ACCESS_KEY, None)


def draft_with_access(request: HttpRequest) -> Draft | None:
    """The submission this browser may see and answer now, or None."""
    held = request.session.get(ACCESS_KEY)
    if not isinstance(held, dict):
        return None
    try:
        until = datetime.fromisoformat(held["until"])
        draft_id = uuid.UUID(held["draft"])
    except (KeyError, TypeError, ValueError):
        forget_access(request)
        return None
    if until <= timezone.now():
        forget_access(request)
        return None
    return Draft.objects.filter(pk=draft_id, submitted_at__isnull=False).first()


ONCE = re.compile(r"[A-Za-z0-9_-]{32}")


def new_form_token() -> str:
    """A random token for one rendering of a reply form (``reply_send``'s ``once``)."""
    return secrets.token_urlsafe(24)


def was_sent(once: str | None) -> bool:
    """This page's form was sent and kept before (a double tap, a reload that sent it again)."""
    return (
        bool(once) and ONCE.fullmatch(once) is not None and Reply.objects.filter(once=once).exists()
    )


def may_send_files(draft: Draft) -> bool:
    """Files and a message go to a case that waits for the applicant (staff asked for
    something); a way to be reached may be left at any time."""
    return bool(draft.requested) and draft.opened_at is not None


# --- Sending ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contact:
    """A way to tell the applicant "there is news": an e-mail address, a phone number for text
    messages, or neither (``stop``: no more messages)."""

    email: str = ""
    phone: str = ""
    stop: bool = False

    def as_json(self) -> dict:
        if self.stop:  # nothing to keep
            return {"email": "", "phone": "", "stop": True}
        return {"email": self.email, "phone": self.phone, "stop": False}


@dataclass
class Outgoing:
    """A reply being received: its id and key exist before the request body is read, so that
    the upload handler can encrypt the files under that key as they arrive."""

    draft: Draft
    reply_id: uuid.UUID
    key: bytes

    @classmethod
    def begin(cls, draft: Draft) -> "Outgoing":
        return cls(draft=draft, reply_id=uuid.uuid4(), key=drafts.new_data_key())


# --- What an application may send a day ---------------------------------------------------------

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Allowance(uploads.Allowance):
    day_limited: bool = False  # what is left of the day's megabytes, not one reply's, limits


def allowance(draft: Draft) -> Allowance:
    """What this application may still send in files in one reply: REPLY_MAX_FILES files and
    REPLY_MAX_REQUEST_MB at once, and over the last day no more files and megabytes than an
    application holds (INTAKE_MAX_FILES, INTAKE_MAX_TOTAL_MB), within the storage quota."""
    used = _sent_today(draft)
    day = max(0, settings.INTAKE_MAX_TOTAL_MB * uploads.MB - used["size"])
    at_once = settings.REPLY_MAX_REQUEST_MB * uploads.MB
    room = uploads.storage_room()
    return Allowance(
        files=max(0, min(settings.REPLY_MAX_FILES, settings.INTAKE_MAX_FILES - used["files"])),
        bytes=min(day, at_once, room),
        storage_full=room < min(day, at_once),
        day_limited=day < at_once,
    )


def _sent_today(draft: Draft) -> dict:
    used = Reply.objects.filter(draft=draft, created_at__gte=timezone.now() - DAY).aggregate(
        files=Sum("files"), size=Sum("size")
    )
    return {"files": used["files"] or 0, "size": used["size"] or 0}


def too_many_files_message() -> str:
    return _("You can send up to %(count)s files a day. Please send the others tomorrow.") % {
        "count": settings.INTAKE_MAX_FILES
    }


def too_many_bytes_message() -> str:
    return _(
        "The files you send in one day can be up to %(size)s MB together. Please send the "
        "others tomorrow."
    ) % {"size": settings.INTAKE_MAX_TOTAL_MB}


def too_much_at_once_message() -> str:
    return _(
        "You can send up to %(size)s MB of files at once. Please send the others in another reply."
    ) % {"size": settings.REPLY_MAX_REQUEST_MB}


def rejection_messages(rejections, *, room: Allowance, admission) -> list[str]:
    """Why files of this request were skipped by the upload handler, in a reply's words."""
    return uploads.rejection_messages(
        rejections,
        room=room,
        admission=admission,
        too_many=too_many_files_message,
        over_budget=too_many_bytes_message if room.day_limited else too_much_at_once_message,
    )


def _problems(outgoing: Outgoing, files: list[EncryptedUploadedFile]) -> list[str]:
    """Why these files cannot be sent (a type or contents refused), one message per reason."""
    found = []
    for upload in files:
        problem = uploads.file_problem(upload, key=outgoing.key)
        if problem and problem not in found:
            found.append(problem)
    return found


def reply_send(
    outgoing: Outgoing,
    *,
    language: str,
    message: str = "",
    contact: Contact | None = None,
    files: list[EncryptedUploadedFile] = (),
    once: str | None = None,
) -> Reply:
    """Keep a reply, sealed, and queue its attachment to the case. Nothing is kept if anything
    is refused (ReplyError, with every reason): a file's type or contents, what the application
    may send a day (files, megabytes, replies), or the storage's room."""
    draft = outgoing.draft
    if not (message or contact or files):
        raise ReplyError(_("Add a file or write a message first."))
    if (message or files) and not may_send_files(draft):
        raise ReplyError(_("Our team is not waiting for papers from you at the moment."))
    if problems := _problems(outgoing, files):
        raise ReplyError(*problems)
    if once is not None and not ONCE.fullmatch(once):
        once = None  # not a token this page gave: no protection against a double tap, no harm
    # Papers and messages, and changes of contact, are counted apart: one cannot use up the
    # other's daily share.
    rule = REPLIES if (message or files) else CONTACT_CHANGES
    storage = EncryptedDocumentStorage()
    stored: list[str] = []
    reply_id, key, draft_id = outgoing.reply_id, outgoing.key, draft.pk
    try:
        with transaction.atomic():
            locked = Draft.objects.select_for_update().get(pk=draft_id)
            # Under the lock: the second of a double tap finds the first kept, whatever else.
            if once and Reply.objects.filter(once=once).exists():
                raise AlreadySent
            if (message or files) and not may_send_files(locked):
                raise ReplyError(_("Our team is not waiting for papers from you at the moment."))
            # Counted in this transaction: a reply refused below does not count.
            if not limits.hit(rule, str(draft_id)).allowed:
                raise ReplyError(
                    _("This application has had many replies today. Please try again tomorrow.")
                )
            size = sum(upload.plaintext_size for upload in files)
            if size > settings.REPLY_MAX_REQUEST_MB * uploads.MB:
                raise ReplyError(too_much_at_once_message())
            used = _sent_today(locked)  # counted again under the lock: two at once
            if used["files"] + len(files) > settings.INTAKE_MAX_FILES:
                raise ReplyError(too_many_files_message())
            if used["size"] + size > settings.INTAKE_MAX_TOTAL_MB * uploads.MB:
                raise ReplyError(too_many_bytes_message())
            if size > uploads.storage_room():
                raise ReplyError(uploads.storage_full_message())
            using_keys()  # the intake key it is sealed to is not retired before this commits
            reply = Reply(
                id=reply_id,
                once=once or None,
                draft=locked,
                language=language,
                sealed_key=drafts.seal_reply_key(key, reply_id=reply_id, draft_id=draft_id),
                files=len(files),
                size=size,
                has_message=bool(message),
            )
            if message:
                reply.message = drafts.encrypt_reply_content(
                    message, key, part="message", reply_id=reply_id, draft_id=draft_id
                )
            if contact is not None:
                reply.contact = drafts.encrypt_reply_content(
                    contact.as_json(), key, part="contact", reply_id=reply_id, draft_id=draft_id
                )
            reply.save(force_insert=True)
            for upload in files:
                name = storage.save_ciphertext(upload.file)
                stored.append(name)
                ReplyDocument(
                    id=upload.document_id,
                    reply=reply,
                    object_name=name,
                    size=upload.plaintext_size,
                    details=drafts.encrypt_document_details(
                        {
                            "name": uploads.file_name(upload),
                            "type": filetypes.sniff(upload.head),
                        },
                        key,
                        document_id=upload.document_id,
                        draft_id=draft_id,
                    ),
                ).save(force_insert=True)
            transaction.on_commit(lambda: attach_reply.enqueue(reply_id=str(reply_id)))
    except BaseException as failure:
        for name in stored:  # stored, but not recorded: nothing may stay unrecorded
            with contextlib.suppress(Exception):
                storage.delete(name)
        if isinstance(failure, IntegrityError) and once:
            raise AlreadySent from None  # the same form, sent twice at once
        raise
    finally:
        outgoing.key = b""  # this side keeps no copy of the key
    return reply


@dataclass(frozen=True)
class SentReply:
    """A reply as the status page lists it: when, how many files, whether a message, whether it
    reached the case yet. Nothing of its content."""

    sent_at: datetime
    files: int
    has_message: bool
    delivered: bool


LISTED_DAYS = 90


def sent_replies(draft: Draft) -> list[SentReply]:
    """The replies of the last LISTED_DAYS with files or a message (a contact alone is not
    listed), oldest first."""
    since = timezone.now() - timedelta(days=LISTED_DAYS)
    listed = draft.replies.filter(created_at__gte=since).only(
        "created_at", "files", "has_message", "attached_at"
    )
    return [
        SentReply(reply.created_at, reply.files, reply.has_message, reply.attached_at is not None)
        for reply in listed
        if reply.files or reply.has_message
    ]
