"""Cases and their parts. Personal data lives only in encrypted fields (DESIGN.md §5)."""

import uuid

from django.conf import settings
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from clemency.references import new_reference
from clemency.security.casekeys import CaseKeyShredded
from clemency.security.fields import (
    EncryptedDateField,
    EncryptedJSONField,
    EncryptedModel,
    EncryptedTextField,
)

# Written only by the key services (named in update_fields), never by an ordinary save().
KEY_COLUMNS = frozenset({"kek_version", "wrapped_key", "data_key_version", "shredded_at"})


class Urgency(models.TextChoices):
    """DESIGN.md §6: computed when a submission is opened; staff can override with a reason."""

    P0 = "P0", _("P0: detained, or removal or an ICE check-in within 14 days")
    P1 = "P1", _("P1: final order, or removal case with a hearing date")
    P2 = "P2", _("P2: permanent resident blocked from naturalising or travelling")
    P3 = "P3", _("P3: already deported, seeking return")
    P4 = "P4", _("P4: other")


class Case(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(_("reference"), max_length=16, unique=True, default=new_reference)
    state = models.CharField(_("state"), max_length=20, default="intake")
    urgency = models.CharField(
        _("urgency"), max_length=2, choices=Urgency.choices, default=Urgency.P4, db_index=True
    )
    language = models.CharField(_("language"), max_length=8, default="en")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # The case's data key, wrapped under a key-encryption key (clemency.security.casekeys).
    # Shredding sets wrapped_key to NULL: every encrypted value and document is then unreadable.
    kek_version = models.PositiveIntegerField(null=True, editable=False)
    wrapped_key = models.BinaryField(null=True, editable=False)
    data_key_version = models.PositiveSmallIntegerField(default=1, editable=False)
    shredded_at = models.DateTimeField(_("shredded"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(shredded_at__isnull=True) | models.Q(wrapped_key__isnull=True),
                name="shredded_case_has_no_key",
            )
        ]

    def __str__(self) -> str:
        return self.reference

    def save(self, *args, update_fields=None, **kwargs) -> None:
        # An instance loaded before a rotation or a shred must not write its old key back.
        if not self._state.adding and update_fields is None:
            update_fields = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in KEY_COLUMNS
            ]
        super().save(*args, update_fields=update_fields, **kwargs)

    @property
    def is_shredded(self) -> bool:
        return self.shredded_at is not None


class CasePart(EncryptedModel):
    """A part of a case holding encrypted data. Once the case is shredded it cannot be saved."""

    class Meta:
        abstract = True

    def encryption_case(self) -> Case:
        return self.case

    def save(self, *args, **kwargs) -> None:
        with transaction.atomic():
            # Locks the case row: a shred (which locks it too) cannot slip in between.
            live = Case.objects.select_for_update().filter(pk=self.case_id, shredded_at=None)
            if not live.exists():
                raise CaseKeyShredded("This case has been shredded.")
            super().save(*args, **kwargs)


class Applicant(CasePart):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="applicant")
    legal_name = EncryptedTextField(_("legal name"))
    other_names = EncryptedJSONField(_("other names"), null=True)
    date_of_birth = EncryptedDateField(_("date of birth"), null=True)
    a_number = EncryptedTextField(_("A-number"), null=True)
    story = EncryptedTextField(_("story"), null=True)

    class Meta:
        verbose_name = _("applicant")
        verbose_name_plural = _("applicants")

    def __str__(self) -> str:
        # Never a name: this string can end up in logs and admin pages.
        return f"applicant {self.pk}"


class Document(CasePart):
    """A stored file. The contents are stream-encrypted under the case key (stored under a random
    object name); the original file name and type are encrypted fields."""

    class Kind(models.TextChoices):
        CERTIFICATE_OF_DISPOSITION = "disposition", _("certificate of disposition")
        RAP_SHEET = "rap_sheet", _("rap sheet")
        IMMIGRATION = "immigration", _("immigration papers")
        SUPPORT_LETTER = "support_letter", _("support letter")
        DRAFT_PETITION = "draft_petition", _("draft petition")
        FINAL_PETITION = "final_petition", _("final petition")
        BUREAU_CORRESPONDENCE = "bureau", _("correspondence from the Clemency Bureau")
        OTHER = "other", _("other")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    object_name = models.CharField(max_length=200, unique=True, editable=False)
    original_name = EncryptedTextField(_("file name"))
    content_type = EncryptedTextField(_("file type"))
    size = models.PositiveBigIntegerField(_("size"), editable=False)
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return f"{self.kind} document {self.pk}"  # never the file name


class BlindIndex(models.Model):
    """A truncated HMAC of a normalised value, only to flag possible duplicates."""

    class Kind(models.TextChoices):
        A_NUMBER = "a-number", _("A-number")
        SURNAME_DOB = "surname-dob", _("surname and date of birth")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="blind_indexes")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    value = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["kind", "value"])]
        constraints = [
            models.UniqueConstraint(fields=["case", "kind", "value"], name="one_index_per_value")
        ]

    def __str__(self) -> str:
        return f"{self.kind} index of case {self.case_id}"  # never the value


class PendingDeletion(models.Model):
    """A stored object to delete: written in the same transaction that let go of it (a shred),
    removed once the storage confirms. `manage.py keys verify` reports any left over."""

    object_name = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"pending deletion {self.pk}"
