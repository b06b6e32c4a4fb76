"""Urgency follows the facts: recomputed when a deadline changes and every day, shown with its
reason; a staff override is kept, with its reason, beside the computed value."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import workflow
from cases.deadlines import recompute_urgencies
from cases.models import Case, State
from tests.cases.conftest import make_case

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def resident(staff):
    """A permanent resident (P2 on the facts) with an ICE check-in 20 days away."""
    case = make_case(State.REVIEW)
    Case.objects.filter(pk=case.pk).update(
        urgency_basis="P2", urgency_basis_reason="permanent_resident"
    )
    case.refresh_from_db()
    workflow.case_add_deadline(
        case=case, actor=staff, kind="check_in", due_on=TODAY + timedelta(days=20)
    )
    return Case.objects.get(pk=case.pk)


def test_a_check_in_coming_within_14_days_makes_the_case_p0_once(resident):
    assert (resident.urgency, resident.urgency_reason) == ("P2", "permanent_resident")
    assert recompute_urgencies(today=TODAY + timedelta(days=5)) == 0  # 15 days away
    assert recompute_urgencies(today=TODAY + timedelta(days=6)) == 1  # 14 days away
    resident.refresh_from_db()
    assert (resident.urgency, resident.urgency_reason) == ("P0", "check_in_soon")
    assert recompute_urgencies(today=TODAY + timedelta(days=6)) == 0  # the same day again
    assert recompute_urgencies(today=TODAY + timedelta(days=21)) == 1  # it has passed
    resident.refresh_from_db()
    assert resident.urgency == "P2"


def test_a_hearing_added_within_14_days_raises_it_at_once(client_for, resident):
    client_for("staff").post(
        reverse("cases:deadline-add", kwargs={"case_id": resident.pk}),
        {"deadline-kind": "hearing", "deadline-due_on": (TODAY + timedelta(days=3)).isoformat()},
    )
    resident.refresh_from_db()
    assert (resident.urgency, resident.urgency_reason) == ("P0", "hearing_soon")
    page = client_for("staff").get(reverse("cases:case", kwargs={"case_id": resident.pk}))
    assert "a hearing within 14 days" in page.text


def test_an_override_is_kept_and_shown_beside_the_computed_value(client_for, staff, resident):
    workflow.case_set_urgency(case=resident, actor=staff, urgency="P4", reason="Checked: moved.")
    recompute_urgencies(today=TODAY + timedelta(days=10))
    resident.refresh_from_db()
    assert (resident.urgency, resident.urgency_computed) == ("P4", "P0")
    page = client_for("staff").get(reverse("cases:case", kwargs={"case_id": resident.pk})).text
    assert "set by staff; computed from the facts: P0, an ICE check-in within 14 days" in page
    workflow.case_set_urgency(case=resident, actor=staff, urgency="", reason="Back to the facts.")
    resident.refresh_from_db()
    assert (resident.urgency, resident.urgency_override) == ("P0", "")


def test_the_daily_recompute_makes_the_same_queries_for_3_or_30_cases(
    staff, django_assert_num_queries
):
    for count in (3, 27):
        for _ in range(count):
            case = make_case(State.REVIEW)
            workflow.case_add_deadline(
                case=case, actor=staff, kind="hearing", due_on=TODAY + timedelta(days=2)
            )
        Case.objects.update(urgency="P4", urgency_computed="P4")
        total = Case.objects.count()
        with django_assert_num_queries(3):  # cases, their deadlines, the update: a batch, short
            assert recompute_urgencies(today=TODAY) == total
