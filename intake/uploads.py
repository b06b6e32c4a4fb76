"""Budgets and content checks for the files applicants upload (SECURITY.md "Uploads").

An application holds at most INTAKE_MAX_FILES files and INTAKE_MAX_TOTAL_MB megabytes; one client
address sends at most INTAKE_UPLOAD_LIMIT files an hour; all stored documents together stay
within DOCUMENT_STORAGE_QUOTA_GB. Three places hold the line:

1. Before the request body is read, the encrypting upload handler is given what the application
   (and the storage) can still take (``allowance``) and a per-address counter (``Admission``,
   counted as each file starts, before a byte of it is stored): a request carrying a hundred
   files stores no more than the budget and is told why the rest were not added.
2. Each kept file's contents are checked first (clemency/common/contents.py), read back through
   a decrypting view of the encrypted upload: the plaintext is never written anywhere.
3. When a file is kept, the budget is counted again under the application's row lock
   (``room_problem``, called by intake/services.py ``draft_add_document``): two uploads at once
   cannot both take the last place.

Messages never name a file (they are kept in the session between requests).
"""

import math
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clemency import limits
from clemency.common import contents, filetypes
from clemency.common.text import clean_file_name
from clemency.security.storage import EncryptedUploadedFile, UploadRejection, open_upload
from intake.models import Draft, DraftDocument, ReplyDocument

MB = 1024 * 1024
GB = 1024 * MB

UPLOADS = limits.Rule("intake.upload", "INTAKE_UPLOAD_LIMIT")


def stored_document_bytes() -> int:
    """The size of every stored document this site can see: the applications' files and
    replies', and the cases' where the case app is installed (a public-only site has no case
    tables)."""
    total = DraftDocument.objects.aggregate(total=Sum("size"))["total"] or 0
    total += ReplyDocument.objects.aggregate(total=Sum("size"))["total"] or 0
    if apps.is_installed("cases"):
        documents = apps.get_model("cases", "Document").objects
        total += documents.aggregate(total=Sum("size"))["total"] or 0
    return total


def storage_room() -> int:
    """Bytes the storage quota still allows."""
    return max(0, settings.DOCUMENT_STORAGE_QUOTA_GB * GB - stored_document_bytes())


@dataclass(frozen=True)
class Allowance:
    """What an application can still take: files, bytes, and whether the storage quota (not the
    application's own budget) is what limits the bytes."""

    files: int
    bytes: int
    storage_full: bool


def allowance(draft: Draft) -> Allowance:
    """What the application can still take, counted without a lock (for the upload handler;
    ``room_problem`` counts again, locked, for each file kept)."""
    used = draft.documents.aggregate(files=Count("id"), size=Sum("size"))
    files = max(0, settings.INTAKE_MAX_FILES - used["files"])
    own = max(0, settings.INTAKE_MAX_TOTAL_MB * MB - (used["size"] or 0))
    room = storage_room()
    return Allowance(files=files, bytes=min(own, room), storage_full=room < own)


class Admission:
    """The upload handler's ``admit``: counts each file against the client's address as it
    starts, and refuses it ("limited") once the address has sent its hourly share."""

    def __init__(self, client: str) -> None:
        self.client = client
        self.retry_at = None

    def __call__(self) -> str | None:
        verdict = limits.hit(UPLOADS, self.client)
        if verdict.allowed:
            return None
        self.retry_at = verdict.retry_at
        return "limited"


def storage_full_message() -> str:
    return _(
        "We cannot take more files at the moment: our storage is full. Your answers are "
        "saved. Please try again in a few days, or send the application without the files: "
        "we can ask for papers later."
    )


def too_many_files_message() -> str:
    return _("An application can have up to %(count)s files. Remove a file to add another.") % {
        "count": settings.INTAKE_MAX_FILES
    }


def too_many_bytes_message() -> str:
    return _(
        "The files of an application can be up to %(size)s MB together. Remove a file to add "
        "another."
    ) % {"size": settings.INTAKE_MAX_TOTAL_MB}


def rejection_messages(
    rejections: list[UploadRejection],
    *,
    room: Allowance,
    admission: Admission | None,
    too_many=too_many_files_message,
    over_budget=too_many_bytes_message,
) -> list[str]:
    """One message for each reason files of this request were skipped by the upload handler
    (``too_many`` and ``over_budget`` word the budget: an application's, or a day's replies')."""
    found = []
    for rejection in rejections:
        if rejection.reason == "too_large":
            message = _("A file is too large. Each file can be up to %(size)s MB.") % {
                "size": settings.INTAKE_MAX_UPLOAD_MB
            }
        elif rejection.reason == "too_many":
            message = too_many()
        elif rejection.reason == "over_budget":
            message = storage_full_message() if room.storage_full else over_budget()
        else:  # "limited"
            retry_at = admission.retry_at if admission else None
            seconds = (retry_at - timezone.now()).total_seconds() if retry_at else 3600
            minutes = max(1, math.ceil(seconds / 60))
            message = ngettext(
                "Too many files were sent from here. Please try again in %(minutes)d minute.",
                "Too many files were sent from here. Please try again in %(minutes)d minutes.",
                minutes,
            ) % {"minutes": minutes}
        if message not in found:
            found.append(message)
    return found


def room_problem(locked: Draft, size: int) -> str | None:
    """Why the application (locked by the caller) cannot keep a file of ``size`` bytes, or
    None. The storage quota is counted without a lock: uploads at once can pass it by at most
    the files in flight."""
    used = DraftDocument.objects.filter(draft=locked).aggregate(files=Count("id"), size=Sum("size"))
    if used["files"] >= settings.INTAKE_MAX_FILES:
        return too_many_files_message()
    if (used["size"] or 0) + size > settings.INTAKE_MAX_TOTAL_MB * MB:
        return too_many_bytes_message()
    if size > storage_room():
        return storage_full_message()
    return None


def file_problem(upload: EncryptedUploadedFile, *, key: bytes) -> str | None:
    """Why an applicant's file is refused, its type (told from its first bytes) or its
    contents (what to send instead), or None."""
    content_type = filetypes.sniff(upload.head)
    if content_type is None:
        return _(
            "This file type is not accepted. Send a PDF, a photo (JPEG, PNG, HEIC) or a Word file."
        )
    return content_problem(upload, content_type, key=key)


def content_problem(upload: EncryptedUploadedFile, content_type: str, *, key: bytes) -> str | None:
    """Why the upload's contents are refused (what to send instead), or None."""
    with open_upload(upload, key=key) as plaintext:
        try:
            contents.check(plaintext, content_type, head=upload.head)
        except contents.Refused as refused:
            return refused.message
    return None


def file_name(upload: EncryptedUploadedFile) -> str:
    """The name the file is listed under: its visible name, or a default."""
    return clean_file_name(upload.name)
