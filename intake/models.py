"""Drafts and submissions of the public intake. Nothing here is readable without the applicant's
code, browser key or (once submitted) the staff side's private key (clemency/security/drafts.py).
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clemency.common.status import PublicStage


def default_expiry():
    return timezone.now() + timedelta(days=settings.DRAFT_LIFETIME_DAYS)


class Draft(models.Model):
    """One application, from its first step to the case it was opened into.

    Open: ``locator`` and ``code_wrapped_key`` let the resume code open it; ``answers`` is the
    encrypted JSON of every step. Submitted: those are gone, ``sealed_key`` (to the intake public
    key), ``reference`` and ``status_code_hash`` remain. Opened: ``opened_at`` is set and the
    answers and sealed key are deleted (the data now lives, encrypted, in the case).

    The case opened from a draft has the draft's UUID (``case.pk == draft.pk``): the documents
    uploaded with the draft are encrypted bound to that UUID and stay readable in the case. It is
    also the only link between the two; the public side never reads the case.

    ``stage``, ``requested``, ``reply_due``, ``answered_at``, ``news`` and ``referrals`` are what
    the applicant's status page shows: codes from fixed lists (clemency/common/status.py), dates
    and a flag, never personal data. They are written by draft_submit (received) and then only
    by cases/publication.py, whenever the case changes.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField(default=default_expiry, db_index=True)

    # NULL, not "", when absent: they are unique among the drafts that have one.
    locator = models.CharField(max_length=64, unique=True, null=True, editable=False)  # noqa: DJ001
    code_wrapped_key = models.BinaryField(null=True, editable=False)
    answers = models.BinaryField(null=True, editable=False)

    submitted_at = models.DateTimeField(null=True, editable=False)
    sealed_key = models.BinaryField(null=True, editable=False)
    reference = models.CharField(max_length=16, unique=True, null=True, editable=False)  # noqa: DJ001
    status_code_hash = models.CharField(max_length=200, blank=True, editable=False)
    opened_at = models.DateTimeField(null=True, editable=False)
    stage = models.CharField(max_length=16, choices=PublicStage, blank=True, editable=False)
    requested = models.JSONField(default=list, blank=True, editable=False)  # InfoItem codes
    # While staff wait for the applicant: by when, and when what they sent reached the case.
    reply_due = models.DateField(null=True, editable=False)
    answered_at = models.DateTimeField(null=True, editable=False)
    # Whether the case keeps a way to tell the applicant "there is news" (never the way itself).
    news = models.BooleanField(default=False, editable=False)
    # Where a person turned away may turn instead (Referral codes, shown as fixed sentences).
    referrals = models.JSONField(default=list, blank=True, editable=False)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            # Open drafts can be resumed; submitted ones cannot, and are sealed.
            models.CheckConstraint(
                condition=(
                    models.Q(submitted_at__isnull=True, sealed_key__isnull=True)
                    | models.Q(submitted_at__isnull=False, locator__isnull=True)
                ),
                name="submitted_drafts_are_sealed",
            )
        ]
        indexes = [
            # Sent, not yet opened: the staff pages' warning and the sweep that re-queues them.
            models.Index(
                fields=["submitted_at"],
                name="draft_waiting_to_be_opened",
                condition=models.Q(submitted_at__isnull=False, opened_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"application {self.reference or self.pk}"

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class DraftDocument(models.Model):
    """A file uploaded with an application: stream-encrypted under the draft's key and bound to
    the draft's UUID, which becomes the case's UUID on opening, so the ciphertext stays valid.
    The original name and type are encrypted too (clemency/security/drafts.py)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="documents")
    object_name = models.CharField(max_length=200, unique=True, editable=False)
    details = models.BinaryField(editable=False)  # encrypted JSON: original name and type
    size = models.PositiveBigIntegerField(editable=False)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return f"document {self.pk}"  # never the file name


class Reply(models.Model):
    """What an applicant sent from the status page after the application: files, a message, a
    way to be told of news (intake/replies.py). Sealed like a submission: a fresh data key
    sealed to the intake public key, the message and contact encrypted under it, the files
    stream-encrypted under it (bound to the draft's UUID, the case's). The public side keeps no
    copy of the key, so it cannot read a reply afterwards; the staff side's worker attaches it
    to the case under the case key (cases/replies.py) and then clears everything here but the
    dates and counts the status page shows."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="replies")
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    sealed_key = models.BinaryField(null=True, editable=False)
    message = models.BinaryField(null=True, editable=False)  # encrypted; None: none written
    contact = models.BinaryField(null=True, editable=False)  # encrypted JSON; None: unchanged
    # What the status page may say of it, without reading it.
    files = models.PositiveSmallIntegerField(default=0, editable=False)
    size = models.PositiveBigIntegerField(default=0, editable=False)  # the files', in bytes
    # The random token of the page it was sent from: the same form sent twice (a double tap, a
    # resent request) is kept once.
    once = models.CharField(max_length=64, unique=True, null=True, editable=False)  # noqa: DJ001
    has_message = models.BooleanField(default=False, editable=False)
    attached_at = models.DateTimeField(null=True, editable=False)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(attached_at__isnull=True, sealed_key__isnull=False)
                | models.Q(
                    attached_at__isnull=False,
                    sealed_key__isnull=True,
                    message__isnull=True,
                    contact__isnull=True,
                ),
                name="attached_replies_are_cleared",
            )
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="reply_waiting_to_be_attached",
                condition=models.Q(attached_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"reply {self.pk}"


class ReplyDocument(models.Model):
    """A file sent with a reply: stream-encrypted under the reply's key, bound to the draft's
    UUID; its name and type encrypted under the same key. Deleted once attached to the case."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reply = models.ForeignKey(Reply, on_delete=models.CASCADE, related_name="documents")
    object_name = models.CharField(max_length=200, unique=True, editable=False)
    details = models.BinaryField(editable=False)
    size = models.PositiveBigIntegerField(editable=False)

    def __str__(self) -> str:
        return f"reply document {self.pk}"
