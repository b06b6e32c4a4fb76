"""Budgets and content checks for the files staff and attorneys upload to a case (SECURITY.md
"Uploads"), as intake/uploads.py does for applications.

A case holds at most CASE_MAX_FILES files and CASE_MAX_TOTAL_MB megabytes, each file at most
CASE_MAX_UPLOAD_MB; all stored documents together stay within DOCUMENT_STORAGE_QUOTA_GB. The
upload handler is given what the case can still take before the body is read (``allowance``),
and ``cases.services.document_store`` counts again under the case's row lock (``room_problem``)
and checks an upload's contents (``content_problem``, the intake's) before keeping it.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from cases.models import Case, Document
from clemency.security.storage import UploadRejection
from intake.uploads import MB, content_problem, storage_room

__all__ = ["Allowance", "allowance", "content_problem", "rejection_messages", "room_problem"]


@dataclass(frozen=True)
class Allowance:
    files: int
    bytes: int
    storage_full: bool


def _used(case: Case) -> dict:
    return Document.objects.filter(case=case).aggregate(files=Count("id"), size=Sum("size"))


def allowance(case: Case) -> Allowance:
    """What the case can still take, counted without a lock (for the upload handler)."""
    used = _used(case)
    files = max(0, settings.CASE_MAX_FILES - used["files"])
    own = max(0, settings.CASE_MAX_TOTAL_MB * MB - (used["size"] or 0))
    room = storage_room()
    return Allowance(files=files, bytes=min(own, room), storage_full=room < own)


def storage_full_message() -> str:
    return _(
        "The document storage is full: nothing more can be uploaded. Ask an administrator to "
        "make room (or raise the quota)."
    )


def too_many_files_message() -> str:
    return _("A case can have up to %(count)s files. This one has reached it.") % {
        "count": settings.CASE_MAX_FILES
    }


def too_many_bytes_message() -> str:
    return _("The files of a case can be up to %(size)s MB together.") % {
        "size": settings.CASE_MAX_TOTAL_MB
    }


def rejection_messages(rejections: list[UploadRejection], *, room: Allowance) -> list[str]:
    """One message for each reason files of this request were skipped by the upload handler."""
    found = []
    for rejection in rejections:
        if rejection.reason == "too_large":
            message = _("The file is too large. Each file can be up to %(size)s MB.") % {
                "size": settings.CASE_MAX_UPLOAD_MB
            }
        elif rejection.reason == "too_many":
            message = too_many_files_message()
        else:  # "over_budget"
            message = storage_full_message() if room.storage_full else too_many_bytes_message()
        if message not in found:
            found.append(message)
    return found


def room_problem(locked: Case, size: int) -> str | None:
    """Why the case (locked by the caller) cannot keep a file of ``size`` bytes, or None. The
    storage quota is counted without a lock: uploads at once can pass it by at most the files
    in flight."""
    used = _used(locked)
    if used["files"] >= settings.CASE_MAX_FILES:
        return too_many_files_message()
    if (used["size"] or 0) + size > settings.CASE_MAX_TOTAL_MB * MB:
        return too_many_bytes_message()
    if size > storage_room():
        return storage_full_message()
    return None
