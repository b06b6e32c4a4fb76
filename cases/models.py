"""Cases and their parts. Personal data lives only in encrypted fields (DESIGN.md §5)."""

import uuid
from datetime import date

from django.conf import settings
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from cases import law, rules
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


class DeadlineKind(models.TextChoices):
    HEARING = "hearing", pgettext_lazy("deadline", "immigration hearing")
    CHECK_IN = "check_in", pgettext_lazy("deadline", "ICE check-in")
    REMOVAL = "removal", pgettext_lazy("deadline", "removal date")
    INFO_DUE = "info_due", pgettext_lazy("deadline", "information due")
    DRAFT_DUE = "draft_due", pgettext_lazy("deadline", "draft due")
    FILING = "filing", pgettext_lazy("deadline", "filing target")
    CUSTOM = "custom", pgettext_lazy("deadline", "other")
    # After a grant (cases/law.py FollowUp): the steps that make it count.
    COUNSEL = (
        law.FollowUp.NOTIFY_COUNSEL.value,
        pgettext_lazy("deadline", "grant sent to immigration counsel"),
    )
    MOTION = (
        law.FollowUp.MOTION.value,
        pgettext_lazy("deadline", "motion to reopen or terminate removal proceedings"),
    )
    RETURN = law.FollowUp.RETURN.value, pgettext_lazy("deadline", "return from abroad")
    NATURALISE = law.FollowUp.NATURALISE.value, pgettext_lazy("deadline", "naturalisation")


FOLLOW_UP_KINDS = frozenset(law.FollowUp.values)


class DeadlineSource(models.TextChoices):
    APPLICATION = "application", pgettext_lazy("deadline source", "from the application")
    WORKFLOW = "workflow", pgettext_lazy("deadline source", "set by the workflow")
    STAFF = "staff", pgettext_lazy("deadline source", "added by hand")


class DeadlineOutcome(models.TextChoices):
    MET = "met", pgettext_lazy("deadline", "met")
    CANCELLED = "cancelled", pgettext_lazy("deadline", "no longer applies")
    MISSED = "missed", pgettext_lazy("deadline", "missed")


class State(models.TextChoices):
    """DESIGN.md §6."""

    INTAKE = "intake", pgettext_lazy("case state", "new")
    REVIEW = "review", pgettext_lazy("case state", "screening")
    NEEDS_INFO = "needs_info", pgettext_lazy("case state", "waiting for the applicant")
    ACCEPTED = "accepted", pgettext_lazy("case state", "accepted, to match")
    DRAFTING = "drafting", pgettext_lazy("case state", "drafting")
    QA_REVIEW = "qa_review", pgettext_lazy("case state", "draft in review")
    SUBMITTED = "submitted", pgettext_lazy("case state", "filed")
    DECIDED = "decided", pgettext_lazy("case state", "decided")
    CLOSED = "closed", pgettext_lazy("case state", "closed")


OPEN_STATES = [s for s in State if s not in (State.DECIDED, State.CLOSED)]

NEXT_STEP = {
    State.DRAFTING: _("Draft the petition, upload it, then ask for review."),
    State.QA_REVIEW: _("The coordinator is reviewing your draft."),
    State.SUBMITTED: _("Filed with the Governor; waiting for the decision."),
    State.DECIDED: _("Decided. Follow-up notes are still welcome."),
}


class Outcome(models.TextChoices):
    """The case's outcome for lists and statistics: the result of every conviction, when they
    agree (cases/law.py Result), or "mixed" (each conviction's is a ConvictionOutcome)."""

    FULL_PARDON = "full_pardon", _("full and unconditional pardon")
    CONDITIONAL_PARDON = "conditional_pardon", _("conditional pardon")
    COMMUTATION = "commutation", _("commutation")
    DENIED = "denied", _("denied")
    NO_DECISION = "no_decision", _("no decision")
    MIXED = "mixed", _("different for each conviction or relief")


# A closure that turns the person away: it needs a referral, shown on their status page.
DECLINES = frozenset({"ineligible", "declined"})


class ConsentBy(models.TextChoices):
    """Who agreed to the application in the intake."""

    PERSON = "person", _("the person")
    ON_BEHALF = "on_behalf", _("the filer, who confirmed the person knows and agrees")


class ConsentHow(models.TextChoices):
    """How staff took the person's own consent."""

    APPLICATION = "application", _("in the application, by the person")
    SIGNED = "signed", _("signed consent form")
    CALL = "call", _("phone or video call")
    IN_PERSON = "in_person", _("in person")
    VISIT = "visit", _("legal visit in detention or prison")


class ClosureReason(models.TextChoices):
    INELIGIBLE = "ineligible", _("not eligible")
    DECLINED = "declined", _("declined (capacity)")
    WITHDRAWN = "withdrawn", _("withdrawn by the applicant")
    UNRESPONSIVE = "unresponsive", _("applicant not responding")
    NO_DECISION = "no_decision", _("no decision from the Governor")
    DUPLICATE = "duplicate", _("duplicate of another case")


class FilingChannel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    MAIL = "mail", _("post")
    PORTAL = "portal", _("online portal")
    HAND = "hand", _("by hand")


def condition(unmet):
    """A condition of a transition, with what to do when it is not met (rules.why_blocked)."""

    def decorate(check):
        check.unmet = unmet
        return check

    return decorate


@condition(_("Choose a volunteer attorney first."))
def has_attorney(case: "Case") -> bool:
    return case.assigned_attorney_id is not None


@condition(_("Upload a draft petition first."))
def has_draft_petition(case: "Case") -> bool:
    kinds = (Document.Kind.DRAFT_PETITION, Document.Kind.FINAL_PETITION)
    return case.documents.filter(kind__in=kinds).exists()


@condition(_("Before recording the filing, upload the final petition and the proof of filing."))
def has_filing_documents(case: "Case") -> bool:
    """The final petition and a proof of filing are uploaded."""
    kinds = {Document.Kind.FINAL_PETITION.value, Document.Kind.FILING_PROOF.value}
    return set(case.documents.filter(kind__in=kinds).values_list("kind", flat=True)) == kinds


@condition(
    _(
        "Complete the screening first: the relief sought and, for each conviction, its offense "
        "category, whether the sentence is complete and the grounds for deportation at stake."
    )
)
def has_completed_screening(case: "Case") -> bool:
    from cases.screening import screening_complete

    return screening_complete(case)


@condition(_("Record the person's own consent first (a family member's word is not enough)."))
def has_person_consent(case: "Case") -> bool:
    return case.person_consent_on is not None


@condition(_("The client must sign off the petition first."))
def has_client_sign_off(case: "Case") -> bool:
    return case.client_signed_off_on is not None


class CaseQuerySet(models.QuerySet):
    def visible_to(self, user) -> "CaseQuerySet":
        """The cases this user may see, in one query: the only way any list, search or count
        reaches cases (cases/rules.py decides)."""
        return rules.visible(self, user)

    def live(self) -> "CaseQuerySet":
        """Not shredded: a shredded case is a tombstone, for statistics only."""
        return self.filter(shredded_at__isnull=True)

    def open(self) -> "CaseQuerySet":
        return self.filter(state__in=OPEN_STATES)


class Case(ConcurrentTransitionMixin, models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(_("reference"), max_length=16, unique=True, default=new_reference)
    state = FSMField(
        _("state"), max_length=20, choices=State.choices, default=State.INTAKE, protected=True
    )
    state_changed_at = models.DateTimeField(_("in this state since"), default=timezone.now)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    closure_reason = models.CharField(
        _("reason for closing"), max_length=20, choices=ClosureReason.choices, blank=True
    )
    # The urgency in force: the override if staff set one, else the computed one
    # (cases/urgency.py: the application's basis and the open deadlines, recomputed when they
    # change and every day), with the reason it was computed.
    urgency = models.CharField(
        _("urgency"), max_length=2, choices=Urgency.choices, default=Urgency.P4, db_index=True
    )
    urgency_computed = models.CharField(
        _("computed urgency"), max_length=2, choices=Urgency.choices, default=Urgency.P4
    )
    urgency_reason = models.CharField(_("why"), max_length=20, blank=True)
    urgency_override = models.CharField(
        _("urgency set by staff"), max_length=2, choices=Urgency.choices, blank=True
    )
    urgency_basis = models.CharField(
        _("urgency from the application"),
        max_length=2,
        choices=Urgency.choices,
        default=Urgency.P4,
    )
    urgency_basis_reason = models.CharField(max_length=20, blank=True)
    # The earliest open Deadline (cases/deadlines.py keeps these two in step with them).
    next_deadline = models.DateField(_("next deadline"), null=True, blank=True)
    next_deadline_kind = models.CharField(
        _("next deadline is"), max_length=12, choices=DeadlineKind.choices, blank=True
    )
    language = models.CharField(_("language"), max_length=8, default="en")
    assigned_attorney = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("volunteer attorney"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
    )
    info_requested = models.JSONField(_("information asked for"), default=list, blank=True)
    # When what the applicant sent from the status page reached the case, while it waits for
    # them (cleared when staff ask again, go on or close the case): the request is answered.
    info_answered_at = models.DateTimeField(_("the applicant answered"), null=True, blank=True)
    client_signed_off_on = models.DateField(_("client signed off on"), null=True, blank=True)
    # Consent (cases/screening.py): who agreed in the intake, and when and how the person's own
    # consent was taken (needed before filing).
    consent_by = models.CharField(
        _("consent given by"), max_length=10, choices=ConsentBy.choices, blank=True
    )
    person_consent_on = models.DateField(_("the person consented on"), null=True, blank=True)
    person_consent_how = models.CharField(
        _("how the person consented"), max_length=12, choices=ConsentHow.choices, blank=True
    )
    # Where a person turned away was referred (cases/law.py Referral codes; shown to them as
    # fixed sentences on the status page).
    referrals = models.JSONField(_("referred to"), default=list, blank=True)
    # The earlier application this one follows, after a denial ("apply again").
    previous_case = models.OneToOneField(
        "self",
        verbose_name=_("earlier application"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="next_case",
    )
    filed_on = models.DateField(_("filed on"), null=True, blank=True)
    filing_channel = models.CharField(
        _("filed by"), max_length=10, choices=FilingChannel.choices, blank=True
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # The case's data key, wrapped under a key-encryption key (clemency.security.casekeys).
    # Shredding sets wrapped_key to NULL: every encrypted value and document is then unreadable.
    kek_version = models.PositiveIntegerField(null=True, editable=False)
    wrapped_key = models.BinaryField(null=True, editable=False)
    data_key_version = models.PositiveSmallIntegerField(default=1, editable=False)
    shredded_at = models.DateTimeField(_("shredded"), null=True, blank=True, editable=False)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at"]
        permissions = [
            ("view_all_cases", "Can see every case"),
            ("screen_case", "Can screen, accept, ask for information and close cases"),
            ("coordinate_case", "Can match attorneys, review drafts, record filing and decision"),
            ("work_on_case", "Can draft the petition of the case"),
        ]
        indexes = [
            models.Index(fields=["state", "urgency", "created_at"]),
            # The pipeline's counts per state and the queue's length, from the index alone.
            models.Index(
                fields=["state"],
                name="live_case_state",
                condition=models.Q(shredded_at__isnull=True),
            ),
            # The queue's order (most urgent, then oldest) over live cases: a page is read in
            # index order and stops after its rows, however many cases there are.
            models.Index(
                fields=["urgency", "created_at", "id"],
                name="case_queue",
                condition=models.Q(shredded_at__isnull=True),
            ),
        ]
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

    def get_absolute_url(self) -> str:
        return reverse("cases:case", kwargs={"case_id": self.pk})

    @property
    def is_shredded(self) -> bool:
        return self.shredded_at is not None

    @property
    def days_in_state(self) -> int:
        return (timezone.now() - self.state_changed_at).days

    @property
    def is_overdue(self) -> bool:
        return self.next_deadline is not None and self.next_deadline < timezone.localdate()

    @property
    def language_name(self) -> str:
        return str(dict(settings.LANGUAGES).get(self.language, self.language))

    # --- Transitions (DESIGN.md §6). They only set fields; cases/workflow.py saves, records
    # the CaseEvent and the audit entry, grants or revokes attorneys' permissions, and opens or
    # closes the deadlines that come with the step (cases/deadlines.py).

    def _entered(self) -> None:
        self.state_changed_at = timezone.now()

    @transition(state, source=State.INTAKE, target=State.REVIEW, permission=rules.may_screen)
    def start_review(self) -> None:
        self._entered()

    @transition(state, source=State.REVIEW, target=State.NEEDS_INFO, permission=rules.may_screen)
    def request_info(self, *, items: list[str]) -> None:
        self._entered()
        self.info_requested = list(items)
        self.info_answered_at = None

    @transition(state, source=State.NEEDS_INFO, target=State.REVIEW, permission=rules.may_screen)
    def resume_review(self) -> None:
        self._entered()
        self.info_requested = []
        self.info_answered_at = None

    @transition(
        state,
        source=State.REVIEW,
        target=State.ACCEPTED,
        permission=rules.may_screen,
        conditions=[has_completed_screening],
    )
    def accept(self) -> None:
        self._entered()

    @transition(
        state,
        source=[
            State.INTAKE,
            State.REVIEW,
            State.NEEDS_INFO,
            State.ACCEPTED,
            State.DRAFTING,
            State.SUBMITTED,
        ],
        target=State.CLOSED,
        permission=rules.may_screen,
    )
    def close(self, *, closure_reason: str, referrals: list[str] | None = None) -> None:
        self._entered()
        self.referrals = list(referrals or [])
        self.closure_reason, self.info_requested = closure_reason, []
        self.info_answered_at = None
        self.assigned_attorney = None

    @transition(state, source=State.CLOSED, target=State.REVIEW, permission=rules.may_coordinate)
    def reopen(self) -> None:
        """Back to screening as a fresh start: what the closed round recorded is cleared."""
        self._entered()
        self.closure_reason, self.referrals = "", []
        self.client_signed_off_on = self.filed_on = self.decided_on = None
        self.filing_channel = ""

    @transition(
        state,
        source=State.ACCEPTED,
        target=State.DRAFTING,
        permission=rules.may_coordinate,
        conditions=[has_attorney],
    )
    def assign(self) -> None:
        self._entered()

    @transition(
        state,
        source=State.DRAFTING,
        target=State.DRAFTING,
        permission=rules.may_coordinate,
        conditions=[has_attorney],
    )
    def reassign(self) -> None:
        """The attorney is set by the service; the state and its clock stay as they were."""

    @transition(
        state, source=State.DRAFTING, target=State.ACCEPTED, permission=rules.may_coordinate
    )
    def release(self) -> None:
        self._entered()
        self.assigned_attorney = None

    @transition(
        state,
        source=State.DRAFTING,
        target=State.QA_REVIEW,
        permission=rules.may_draft,
        conditions=[has_draft_petition],
    )
    def request_review(self) -> None:
        self._entered()

    @transition(
        state, source=State.QA_REVIEW, target=State.DRAFTING, permission=rules.may_coordinate
    )
    def ask_changes(self) -> None:
        self._entered()

    @transition(
        state,
        source=State.QA_REVIEW,
        target=State.SUBMITTED,
        permission=rules.may_coordinate,
        conditions=[has_person_consent, has_filing_documents, has_client_sign_off],
    )
    def submit(self, *, filed_on: date, channel: str) -> None:
        self._entered()
        self.filed_on, self.filing_channel = filed_on, channel

    @transition(
        state, source=State.SUBMITTED, target=State.DECIDED, permission=rules.may_coordinate
    )
    def decide(self, *, outcome: str, decided_on: date) -> None:
        self._entered()
        self.outcome, self.decided_on = outcome, decided_on


class CaseUserObjectPermission(UserObjectPermissionBase):
    """django-guardian's per-case permissions, with a real foreign key (joins, cascades)."""

    content_object = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="user_permissions"
    )


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="group_permissions"
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


class NotificationKind(models.TextChoices):
    P0_ARRIVED = "p0_arrived", _("An urgent (P0) application arrived")
    ASSIGNED = "assigned", _("A case was given to you")
    REVIEW_WAITING = "review_waiting", _("A draft waits for review")
    CHANGES_ASKED = "changes_asked", _("Changes were asked on your draft")
    DEADLINE_NEAR = "deadline_near", _("A deadline is near")
    DEADLINE_PAST = "deadline_past", _("A deadline has passed")
    STUCK = "stuck", _("A case has not moved for a long time")
    APPLICANT_ANSWERED = "answered", _("The applicant sent what was asked")


class Notification(models.Model):
    """A message to one person about one case: its kind and the case's reference, nothing
    personal (cases/notifications.py). Sent by the worker after the change commits."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("what"), max_length=20, choices=NotificationKind.choices)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notifications")
    # What makes a repeat the same message (a day, for daily reminders); "" for one-off events.
    occasion = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Seen: the person opened the case, or marked it done in their "waiting for you" list.
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "case", "occasion"], name="notification_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"],
                name="notification_waiting",
                condition=models.Q(read_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.case_id}"


class NotificationChoice(models.Model):
    """How one person wants one kind of notification: at once (the default) or in a daily
    digest."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_choices"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    digest = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_choice_per_kind")]

    def __str__(self) -> str:
        return f"{self.kind}: {'digest' if self.digest else 'at once'}"


class ApplicantMessage(models.Model):
    """One "there is news, please check your status" message to an applicant (cases/outreach.py):
    which case and on what occasion, so that nothing is sent twice; never where it went."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="applicant_messages")
    occasion = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "occasion"], name="applicant_message_once")
        ]

    def __str__(self) -> str:
        return f"applicant message {self.pk}"


class LiveCount(models.Model):
    """How a statement changed the number of live cases in a state: rows appended by the
    database's triggers on cases_case (PostgreSQL), summed by cases/counts.py (ADR 0019)."""

    state = models.CharField(max_length=20, choices=State.choices)
    delta = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.state} {self.delta:+d}"
