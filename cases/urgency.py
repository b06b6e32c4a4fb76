"""Urgency follows the facts (DESIGN.md §6), and is recomputed when they change.

Two kinds of facts decide it. Those of the application that no date changes (its *basis*, kept on
the case when it is opened): P0 detained or removal imminent; P1 a final order of removal; P2 a
permanent resident (blocked from naturalising or travelling); P3 already deported, seeking
return; P4 anything else. And the case's open deadlines, as the days pass: an ICE check-in, a
hearing or a removal date within 14 days is P0; a hearing date at all is P1. The case's urgency
is the most urgent of the two, with the reason; a staff override, kept with its reason, wins,
and the computed value is shown beside it.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models import DeadlineKind, Urgency

SOON = timedelta(days=14)


class UrgencyReason(models.TextChoices):
    DETAINED = "detained", _("detained")
    REMOVAL_IMMINENT = "removal_imminent", _("removal is imminent")
    CHECK_IN_SOON = "check_in_soon", _("an ICE check-in within 14 days")
    HEARING_SOON = "hearing_soon", _("a hearing within 14 days")
    REMOVAL_SOON = "removal_soon", _("a removal date within 14 days")
    FINAL_ORDER = "final_order", _("a final order of removal")
    HEARING = "hearing", _("a removal case with a hearing date")
    PERMANENT_RESIDENT = "permanent_resident", _("a permanent resident")
    DEPORTED = "deported", _("already deported, seeking return")
    OTHER = "other", _("nothing more urgent is known")


@dataclass(frozen=True, order=True)
class Assessment:
    """An urgency with its reason; the smaller (P0 < P4) is the more urgent."""

    urgency: str
    reason: str


SOON_REASONS = {
    DeadlineKind.CHECK_IN: UrgencyReason.CHECK_IN_SOON,
    DeadlineKind.HEARING: UrgencyReason.HEARING_SOON,
    DeadlineKind.REMOVAL: UrgencyReason.REMOVAL_SOON,
}


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def basis_from_answers(answers: dict[str, Any]) -> Assessment:
    """What the application says that no date changes."""
    immigration = answers.get("immigration") or {}
    contact = answers.get("contact") or {}
    if contact.get("where_now") == "ice_detention":
        return Assessment(Urgency.P0, UrgencyReason.DETAINED)
    if immigration.get("removal_imminent"):
        return Assessment(Urgency.P0, UrgencyReason.REMOVAL_IMMINENT)
    if immigration.get("final_order"):
        return Assessment(Urgency.P1, UrgencyReason.FINAL_ORDER)
    if immigration.get("status") == "permanent_resident":
        return Assessment(Urgency.P2, UrgencyReason.PERMANENT_RESIDENT)
    if immigration.get("deported_before") or contact.get("where_now") == "outside_us":
        return Assessment(Urgency.P3, UrgencyReason.DEPORTED)
    return Assessment(Urgency.P4, UrgencyReason.OTHER)


def from_deadlines(deadlines: Iterable[tuple[str, date]], *, today: date) -> Assessment | None:
    """What the open deadlines (kind, date) say today, or None."""
    found = []
    for kind, due in deadlines:
        if kind in SOON_REASONS and today <= due <= today + SOON:
            found.append(Assessment(Urgency.P0, SOON_REASONS[kind]))
        elif kind == DeadlineKind.HEARING:
            found.append(Assessment(Urgency.P1, UrgencyReason.HEARING))
    return min(found) if found else None


def assess(basis: Assessment, deadlines: Iterable[tuple[str, date]], *, today: date) -> Assessment:
    dated = from_deadlines(deadlines, today=today)
    return min(basis, dated) if dated else basis


# Which answers of the application are dates that become deadlines.
ANSWER_DATES = {"ice_check_in": DeadlineKind.CHECK_IN, "next_hearing": DeadlineKind.HEARING}


def dates_from_answers(answers: dict[str, Any]) -> list[tuple[str, date]]:
    """The application's dates (an ICE check-in, a hearing) as (deadline kind, date)."""
    immigration = answers.get("immigration") or {}
    return [
        (kind, due)
        for field, kind in ANSWER_DATES.items()
        if (due := _date(immigration.get(field)))
    ]
