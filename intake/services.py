"""Public intake workflows (DESIGN.md §4.1, §4.2).

This module and everything else in intake/ can seal a submission but never unseal one, nor
decrypt a case (a test checks the imports). Functions take and return the draft's data key
(DEK); keeping it between requests is intake/session.py's job.
"""

import contextlib
import functools
import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clemency.common import filetypes
from clemency.common.status import REFERRAL_SENTENCES, InfoItem, PublicStage
from clemency.references import is_reference, new_reference
from clemency.security import drafts
from clemency.security.errors import DecryptionError
from clemency.security.keylock import using_keys
from clemency.security.storage import EncryptedDocumentStorage, EncryptedUploadedFile
from intake import steps, throttle, uploads
from intake.models import Draft, DraftDocument, default_expiry
from intake.tasks import open_submission

logger = logging.getLogger(__name__)


class IntakeError(Exception):
    """Refused; the message is safe to show."""


def draft_start(*, language: str) -> tuple[Draft, bytes, str]:
    """A new draft; returns it, its data key, and the resume code (shown once, never stored)."""
    dek, code = drafts.new_data_key(), drafts.new_resume_code()
    draft = Draft(language=language)
    draft.locator = drafts.locator(code)
    draft.code_wrapped_key = drafts.wrap_for_code(dek, code, draft_id=draft.pk)
    draft.answers = drafts.encrypt_answers({}, dek, draft_id=draft.pk)
    draft.save(force_insert=True)
    return draft, dek, code


def draft_new_code(*, draft: Draft, dek: bytes) -> str:
    """A new resume code for an open draft this browser holds (its code page was reloaded, or
    the code was lost): the old code stops working. Shown once, never stored."""
    code = drafts.new_resume_code()
    with transaction.atomic():
        locked = Draft.objects.select_for_update().filter(pk=draft.pk, submitted_at=None).first()
        if locked is None:  # sent from another tab meanwhile
            raise IntakeError(_("This application has already been sent."))
        locked.locator = drafts.locator(code)
        locked.code_wrapped_key = drafts.wrap_for_code(dek, code, draft_id=locked.pk)
        locked.save(update_fields=["locator", "code_wrapped_key", "updated_at"])
    return code


def draft_resume(*, code: str, client: str) -> tuple[Draft, bytes] | None:
    """The open draft this code unlocks, with its key; None for a wrong, old or used code.

    The code finds its draft by a SHA-256 locator of all its 80 bits, so a draft found is the
    right code: only then does the slow Argon2id unwrapping run, and no limit refuses it (the
    Argon2 turns in clemency/security/sealing.py bound the memory). A code that finds nothing is
    counted against this address (throttle.Throttled past the limit) and costs no hashing; it
    gets the same answer as a code of a sent or expired application.
    """
    normalized = drafts.normalize_code(code)
    draft = None
    if drafts.is_well_formed(normalized, drafts.RESUME_CODE_CHARS):
        draft = Draft.objects.filter(
            locator=drafts.locator(normalized), submitted_at=None, expires_at__gt=timezone.now()
        ).first()
    if draft is None:
        throttle.guess(client)
        return None
    try:
        dek = drafts.unwrap_with_resume_code(
            bytes(draft.code_wrapped_key), normalized, draft_id=draft.pk
        )
    except DecryptionError:
        throttle.guess(client)
        return None
    return draft, dek


def draft_answers(*, draft: Draft, dek: bytes) -> dict[str, Any]:
    return drafts.decrypt_answers(bytes(draft.answers), dek, draft_id=draft.pk)


def draft_save_step(*, draft: Draft, dek: bytes, step: str, data: dict[str, Any]) -> dict[str, Any]:
    """Store one step's answers (already validated), and push the expiry back.

    Answers to steps that this one makes not apply any more are dropped. Returns all answers.
    """
    if draft.is_submitted:
        raise IntakeError(_("This application has already been sent."))
    with transaction.atomic():
        locked = Draft.objects.select_for_update().get(pk=draft.pk, submitted_at=None)
        answers = drafts.decrypt_answers(bytes(locked.answers), dek, draft_id=locked.pk)
        if step in steps.BY_IDENTIFIER:  # what the answers were given under (Step.stamp)
            data = {**data, **steps.BY_IDENTIFIER[step].stamp(answers)}
        answers = steps.without_inapplicable({**answers, step: data})
        locked.answers = drafts.encrypt_answers(answers, dek, draft_id=locked.pk)
        locked.expires_at = default_expiry()
        locked.save(update_fields=["answers", "expires_at", "updated_at"])
    draft.answers, draft.expires_at = locked.answers, locked.expires_at
    return answers


def draft_submit(*, draft: Draft, dek: bytes) -> tuple[str, str]:
    """Seal the draft for the staff side; returns its reference and the status code (shown once).

    Afterwards the resume code, the browser key and this process can no longer read it.
    """
    status_code = drafts.new_status_code()
    with transaction.atomic():
        locked = Draft.objects.select_for_update().get(pk=draft.pk)
        if locked.is_submitted:
            raise IntakeError(_("This application has already been sent."))
        answers = drafts.decrypt_answers(bytes(locked.answers), dek, draft_id=locked.pk)
        # A step saved half done ("finish later") from another tab since the review: not sent.
        if any(isinstance(saved, dict) and saved.get(steps.PARTIAL) for saved in answers.values()):
            raise IntakeError(
                _("Some steps are not answered yet. Please go back to them before sending.")
            )
        using_keys()  # the intake key it is sealed to is not retired before this commits
        locked.sealed_key = drafts.seal_for_staff(dek, draft_id=locked.pk)
        locked.locator = locked.code_wrapped_key = None
        locked.submitted_at = timezone.now()
        locked.reference = new_reference()
        locked.status_code_hash = make_password(status_code)
        locked.stage, locked.requested = PublicStage.RECEIVED, []
        locked.save()
        transaction.on_commit(lambda: open_submission.enqueue(draft_id=str(locked.pk)))
    draft.refresh_from_db()
    return locked.reference, status_code


def draft_add_document(*, draft: Draft, dek: bytes, upload: EncryptedUploadedFile) -> None:
    """Keep an upload the handler encrypted (intake/views.py), if its content is allowed and the
    application (and the storage) has room for it (intake/uploads.py). The room is counted under
    the application's row lock, so two uploads at once cannot both take the last place."""
    if problem := uploads.file_problem(upload, key=dek):
        raise IntakeError(problem)
    if draft.is_submitted:
        raise IntakeError(_("This application has already been sent."))
    content_type = filetypes.sniff(upload.head)
    storage = EncryptedDocumentStorage()
    name = None
    try:
        with transaction.atomic():
            locked = Draft.objects.select_for_update().get(pk=draft.pk)
            if locked.is_submitted:
                raise IntakeError(_("This application has already been sent."))
            if problem := uploads.room_problem(locked, upload.plaintext_size):
                raise IntakeError(problem)
            name = storage.save_ciphertext(upload.file)
            DraftDocument(
                id=upload.document_id,
                draft=locked,
                object_name=name,
                size=upload.plaintext_size,
                details=drafts.encrypt_document_details(
                    {"name": uploads.file_name(upload), "type": content_type},
                    dek,
                    document_id=upload.document_id,
                    draft_id=locked.pk,
                ),
            ).save(force_insert=True)
    except BaseException:
        if name is not None:  # stored, but not recorded: nothing may stay unrecorded
            with contextlib.suppress(Exception):
                storage.delete(name)
        raise


def draft_documents(*, draft: Draft, dek: bytes) -> list[tuple[DraftDocument, dict]]:
    return [
        (
            document,
            drafts.decrypt_document_details(
                bytes(document.details), dek, document_id=document.pk, draft_id=draft.pk
            ),
        )
        for document in draft.documents.all()
    ]


def draft_remove_document(*, draft: Draft, document_id: uuid.UUID) -> None:
    document = draft.documents.filter(pk=document_id).first()
    if document is not None:
        document.delete()
        _delete_objects([document.object_name])


def _delete_objects(names: list[str]) -> None:
    storage = EncryptedDocumentStorage()
    for name in names:
        try:
            storage.delete(name)
        except Exception:
            logger.exception("Could not delete an application's stored file.")


def drafts_delete_expired(*, now: datetime | None = None) -> int:
    """Delete drafts never submitted whose time is up, with their files. Returns how many."""
    expired = Draft.objects.filter(submitted_at=None, expires_at__lte=now or timezone.now())
    names = list(
        DraftDocument.objects.filter(draft__in=expired).values_list("object_name", flat=True)
    )
    deleted = expired.count()
    expired.delete()
    _delete_objects(names)
    return deleted


@functools.cache
def _decoy_hash() -> str:
    return make_password(drafts.new_status_code())


# The status page's message for each stage: one whole sentence each, so that every language can
# put the reference where its grammar wants it.
SENTENCES = {
    PublicStage.RECEIVED: gettext_lazy(
        "Application %(reference)s has been received. Our team will read it soon."
    ),
    PublicStage.REVIEWING: gettext_lazy("Application %(reference)s is being reviewed by our team."),
    PublicStage.PREPARING: gettext_lazy(
        "Application %(reference)s has been accepted. A lawyer is preparing the petition."
    ),
    PublicStage.FILED: gettext_lazy(
        "Application %(reference)s has been sent to the Governor. "
        "The decision can take a long time."
    ),
    PublicStage.DECIDED: gettext_lazy(
        "A decision has been made on application %(reference)s. We will contact you."
    ),
    PublicStage.CLOSED: gettext_lazy(
        "Application %(reference)s is closed. We will contact you, or have already."
    ),
}


@dataclass(frozen=True)
class Status:
    """What the status page may show: a coarse stage, never personal data."""

    stage: PublicStage
    reference: str
    requested: tuple[str, ...] = ()  # what staff asked the applicant for (InfoItem labels)
    reply_due: date | None = None  # by when staff hope to have it
    answered_at: datetime | None = None  # what the applicant sent reached the case
    news: bool = False  # the case keeps a way to tell the applicant "there is news"
    draft_id: uuid.UUID | None = None  # never shown: the page keeps it in the session
    referrals: tuple[str, ...] = ()  # where else to turn, as fixed sentences (declined)

    @property
    def sentence(self) -> str:
        """The stage as one sentence in the reader's language, naming the reference."""
        return SENTENCES[self.stage] % {"reference": self.reference}


def status_of(draft: Draft) -> Status:
    """The status page's view of a submission (cases/publication.py writes what it reads)."""
    labels = dict(InfoItem.choices)
    return Status(
        stage=PublicStage(draft.stage or PublicStage.RECEIVED),
        reference=draft.reference,
        requested=tuple(str(labels[item]) for item in draft.requested if item in labels),
        reply_due=draft.reply_due if draft.requested else None,
        answered_at=draft.answered_at if draft.requested else None,
        news=draft.news,
        draft_id=draft.pk,
        referrals=tuple(
            str(REFERRAL_SENTENCES[code]) for code in draft.referrals if code in REFERRAL_SENTENCES
        ),
    )


def status_lookup(*, reference: str, status_code: str, client: str) -> Status | None:
    """The stage of a submission, for its reference and status code; None if either is wrong.

    Counted before the slow hash, per address, per address and reference, and per reference
    (throttle.Throttled past a limit, saying which); a right answer gives every place back.

    Reads the submission only (intake.Draft): cases/publication.py keeps its stage and what staff
    asked for up to date; the case itself is never read here.
    """
    reference = reference.strip().upper()
    code = drafts.normalize_code(status_code)
    if not is_reference(reference):
        # Not one we could have given: counted for the address, and nothing more to look up.
        throttle.status_guess(client, None)
        return None
    throttle.status_guess(client, reference)
    try:
        throttle.code_check()
    except throttle.Throttled:
        throttle.status_right(client, reference)  # not judged: not counted
        raise
    draft = Draft.objects.filter(reference=reference).first()
    # The slow hash runs whether or not the reference exists, so timing says nothing.
    encoded = draft.status_code_hash if draft and draft.status_code_hash else _decoy_hash()
    right = check_password(code, encoded) and draft is not None
    if not right:
        return None
    throttle.status_right(client, reference)
    return status_of(draft)
