"""The parts of a case that hold its personal data, each encrypted under the case key."""

import uuid

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases import law
from cases.models.case import Case
from cases.models.choices import DeadlineKind, DeadlineOutcome, DeadlineSource, State
from clemency.security.casekeys import CaseKeyShredded
from clemency.security.fields import (
    EncryptedDateField,
    EncryptedJSONField,
    EncryptedModel,
    EncryptedTextField,
)


class CasePart(EncryptedModel):
    """A part of a case holding encrypted data. Once the case is shredded it cannot be saved."""

    class Meta:
        abstract = True

    def encryption_case(self) -> Case:
        return self.case

    def save(self, *args, **kwargs) -> None:
        with transaction.atomic():
            # Locks the case row: a shred (which locks it too) cannot slip in between.
            live = Case.objects.select_for_update().live().filter(pk=self.case_id)
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
    # The whole application as sent (intake step -> answers), for the case page.
    answers = EncryptedJSONField(_("application"), null=True)
    # Where to send "there is news, please check your status" (cases/outreach.py), as the
    # applicant left it on the status page: {"email", "phone", "language"}; None: no messages.
    news_contact = EncryptedJSONField(_("where to send news"), null=True)

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
        FILING_PROOF = "filing_proof", _("proof of filing")
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


class Conviction(CasePart):
    """A New York conviction. County, court and the coarse offense category are plain, for
    filtering and reports (DESIGN.md §5); the rest is encrypted. The codes are cases/law.py's;
    staff and the assigned attorney edit them (cases/screening.py)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="convictions")
    county = models.CharField(_("county"), max_length=40, db_index=True)
    court = models.CharField(_("court"), max_length=200, blank=True)
    category = models.CharField(
        _("offense category"), max_length=24, choices=law.OffenseCategory.choices, blank=True
    )
    charge = EncryptedTextField(_("charge"))
    statute = EncryptedTextField(_("statute and section"), null=True)
    offense_class = EncryptedTextField(_("class"), null=True)  # law.OffenseClass
    plea = EncryptedTextField(_("plea or verdict"), null=True)  # law.Plea
    docket = EncryptedTextField(_("docket or indictment number"), null=True)
    convicted_on = EncryptedDateField(_("date of conviction"), null=True)
    sentence = EncryptedTextField(_("sentence"), null=True)
    sentence_kind = EncryptedTextField(_("kind of sentence"), null=True)  # law.SentenceKind
    sentence_days = EncryptedJSONField(_("length of the sentence in days"), null=True)
    # As the applicant answered in the intake (true/false/null); staff's finding is the status.
    sentence_complete = EncryptedJSONField(_("sentence complete"), null=True)
    sentence_status = EncryptedTextField(_("sentence"), null=True)  # law.SentenceStatus
    sentence_completed_on = EncryptedDateField(_("sentence completed on"), null=True)
    youthful_offender = EncryptedJSONField(_("youthful offender adjudication"), null=True)
    sealed = EncryptedJSONField(_("sealed"), null=True)
    # The screener's choice (law.RemovalGround codes): what this conviction puts at stake.
    removal_grounds = EncryptedJSONField(_("grounds for deportation"), null=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("conviction")
        verbose_name_plural = _("convictions")
        ordering = ["county", "id"]

    def __str__(self) -> str:
        return f"conviction {self.pk}"

    @property
    def status(self) -> str:
        """The sentence's status: staff's finding, else what the applicant said."""
        if self.sentence_status:
            return self.sentence_status
        if self.sentence_complete is True:
            return law.SentenceStatus.COMPLETE
        if self.sentence_complete is False:
            return law.SentenceStatus.NOT_FINISHED
        return ""

    def facts(self) -> law.ConvictionFacts:
        """What the rules read of it (decrypts: the caller audits the read)."""
        return law.ConvictionFacts(
            category=self.category,
            grounds=tuple(self.removal_grounds or ()),
            sentence_status=self.status,
            sentence_days=self.sentence_days,
            youthful_offender=bool(self.youthful_offender),
            sealed=bool(self.sealed),
        )

    @property
    def offense_class_label(self) -> str:
        return str(dict(law.OffenseClass.choices).get(self.offense_class or "", ""))

    @property
    def status_label(self) -> str:
        return str(dict(law.SentenceStatus.choices).get(self.status, ""))


class ConvictionOutcome(CasePart):
    """The Governor's decision on one conviction for one kind of relief (law.Result). The result
    is plain (DESIGN.md §5: outcome); the new sentence and any conditions are encrypted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="outcomes")
    conviction = models.ForeignKey(Conviction, on_delete=models.CASCADE, related_name="outcomes")
    relief = models.CharField(_("relief"), max_length=12, choices=law.Relief.choices)
    result = models.CharField(_("result"), max_length=20, choices=law.Result.choices)
    new_sentence = EncryptedTextField(_("new sentence"), null=True)
    conditions = EncryptedTextField(_("conditions"), null=True)

    class Meta:
        verbose_name = _("decision on a conviction")
        verbose_name_plural = _("decisions on convictions")
        constraints = [
            models.UniqueConstraint(fields=["conviction", "relief"], name="one_result_per_relief")
        ]

    def __str__(self) -> str:
        return f"{self.relief} {self.result}"

    @property
    def is_conditional(self) -> bool:
        return self.result == law.Result.CONDITIONAL_PARDON


class Screening(CasePart):
    """The screening record (DESIGN.md §6, cases/screening.py): the relief sought and the
    screener's notes, encrypted; the grounds at stake are on each conviction."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="screening")
    answers = EncryptedJSONField(_("screening"))  # {"relief": law.Relief, "notes": str}
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("screening")
        verbose_name_plural = _("screenings")

    def __str__(self) -> str:
        return f"screening {self.pk}"


class Note(CasePart):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = EncryptedTextField(_("note"))
    # Written by the applicant on the status page (cases/replies.py), not by staff.
    from_applicant = models.BooleanField(_("from the applicant"), default=False)
    created_at = models.DateTimeField(_("written"), auto_now_add=True)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"note {self.pk}"


class Deadline(CasePart):
    """A date that matters to the case: what it is, where it came from, whether it is met.
    The kind and the date are plain (metadata, like the case's state); what staff write about
    it is encrypted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="deadlines")
    kind = models.CharField(_("what"), max_length=12, choices=DeadlineKind.choices)
    due_on = models.DateField(_("date"))
    source = models.CharField(_("from"), max_length=12, choices=DeadlineSource.choices)
    note = EncryptedTextField(_("note"), null=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=DeadlineOutcome.choices, blank=True
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        ordering = ["due_on", "created_at"]
        indexes = [
            # Open deadlines by date: the calendar, "due within", overdue, reminders.
            models.Index(
                fields=["due_on", "case"],
                name="open_deadline_by_date",
                condition=models.Q(closed_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.due_on}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_on < timezone.localdate()


class CaseEvent(CasePart):
    """Every transition and assignment: who, from, to, why, when. The reason is typed by people
    and may name someone, so it is encrypted; the codes in ``data`` are not personal."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(_("action"), max_length=30)
    from_state = models.CharField(_("from"), max_length=20, choices=State.choices)
    to_state = models.CharField(_("to"), max_length=20, choices=State.choices)
    reason = EncryptedTextField(_("reason"), null=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.action} {self.from_state}->{self.to_state}"


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
