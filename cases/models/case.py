"""The case: its state machine (DESIGN.md §6) and the conditions of its transitions."""

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from cases import rules
from cases.models.choices import (
    OPEN_STATES,
    ClosureReason,
    ConsentBy,
    ConsentHow,
    DeadlineKind,
    FilingChannel,
    Outcome,
    State,
    Urgency,
)
from clemency.references import new_reference

# Written only by the key services (named in update_fields), never by an ordinary save().
KEY_COLUMNS = frozenset({"kek_version", "wrapped_key", "data_key_version", "shredded_at"})


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
    from cases.models.parts import Document

    kinds = (Document.Kind.DRAFT_PETITION, Document.Kind.FINAL_PETITION)
    return case.documents.filter(kind__in=kinds).exists()


@condition(_("Before recording the filing, upload the final petition and the proof of filing."))
def has_filing_documents(case: "Case") -> bool:
    """The final petition and a proof of filing are uploaded."""
    from cases.models.parts import Document

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
