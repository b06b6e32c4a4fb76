"""Urgency at opening (DESIGN.md §6), from the applicant's immigration answers.

P0 detained, removal imminent, or an ICE check-in within 14 days; P1 a final order of removal, or
a removal case with a hearing date; P2 a permanent resident (blocked from naturalising or
travelling); P3 already deported, seeking return; P4 anything else. Staff can override it.
"""

from datetime import date, timedelta
from typing import Any

from cases.models import Urgency

SOON = timedelta(days=14)


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def urgency_from_answers(answers: dict[str, Any], *, today: date) -> Urgency:
    immigration = answers.get("immigration") or {}
    contact = answers.get("contact") or {}
    check_in = _date(immigration.get("ice_check_in"))
    hearing = _date(immigration.get("next_hearing"))
    if (
        contact.get("where_now") == "ice_detention"
        or immigration.get("removal_imminent")
        or (check_in is not None and today <= check_in <= today + SOON)
    ):
        return Urgency.P0
    if immigration.get("final_order") or (immigration.get("removal_pending") and hearing):
        return Urgency.P1
    if immigration.get("status") == "permanent_resident":
        return Urgency.P2
    if immigration.get("deported_before") or contact.get("where_now") == "outside_us":
        return Urgency.P3
    return Urgency.P4
