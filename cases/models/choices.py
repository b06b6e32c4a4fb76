"""The codes of cases (states, urgency, deadlines, outcomes, consent, notifications): plain
choices, stored as they are and shown translated."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases import law


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


class NotificationKind(models.TextChoices):
    P0_ARRIVED = "p0_arrived", _("An urgent (P0) application arrived")
    ASSIGNED = "assigned", _("A case was given to you")
    REVIEW_WAITING = "review_waiting", _("A draft waits for review")
    CHANGES_ASKED = "changes_asked", _("Changes were asked on your draft")
    DEADLINE_NEAR = "deadline_near", _("A deadline is near")
    DEADLINE_PAST = "deadline_past", _("A deadline has passed")
    STUCK = "stuck", _("A case has not moved for a long time")
    APPLICANT_ANSWERED = "answered", _("The applicant sent what was asked")
