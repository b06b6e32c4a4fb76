"""Every page that lists, searches or counts cases reaches them through the visibility rule.

The walk: cases that everyone, some or nobody may see (one shredded), all sharing a blind index
so that each shows up as a possible duplicate of the others; then every list page, filter and
case page as every persona. Whatever reference a page shows must be one the persona may see.
"""

import ast
import re
from pathlib import Path

import pytest
from django.urls import reverse

from cases.models import Case, State
from cases.services import case_set_identity_indexes, case_shred
from tests.cases.conftest import make_case

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
REFERENCE = re.compile(r"PP-[0-9A-Z]{4}-[0-9A-Z]{4}")
PERSONAS = ["staff", "coordinator", "attorney", "other_attorney", "administrator"]


@pytest.fixture
def world(attorney, other_attorney, coordinator):
    cases = {
        "mine": make_case(State.DRAFTING, attorney=attorney),
        "theirs": make_case(State.QA_REVIEW, attorney=other_attorney),
        "unassigned": make_case(State.ACCEPTED),
        "filed": make_case(State.SUBMITTED, attorney=attorney),
        "closed": make_case(State.CLOSED),
        "shredded": make_case(State.REVIEW),
    }
    for case in cases.values():
        case_set_identity_indexes(
            case=case, a_number="A123456789", surname=None, date_of_birth=None
        )
    case_shred(case=cases["shredded"], actor=None, reason="test")
    return cases


def pages(world) -> list[str]:
    pipeline = reverse("cases:pipeline")
    return [
        pipeline,
        f"{pipeline}?state=closed",
        f"{pipeline}?state=review",
        f"{pipeline}?q=PP-",
        f"{pipeline}?urgency=P4&language=en",
        reverse("cases:coordination"),
        reverse("cases:my-cases"),
        *(reverse("cases:case", kwargs={"case_id": case.pk}) for case in world.values()),
        *(reverse("cases:case-assign", kwargs={"case_id": case.pk}) for case in world.values()),
    ]


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_page_shows_a_case_the_persona_may_not_see(request, client_for, world, persona):
    user = request.getfixturevalue(persona)
    allowed = set(Case.objects.visible_to(user).live().values_list("reference", flat=True))
    everything = {case.reference for case in world.values()}
    assert allowed < everything  # someone is always kept out: the walk can fail
    client = client_for(persona)
    shown = set()
    for page in pages(world):
        response = client.get(page)
        assert response.status_code in (200, 403, 404), page
        if response.status_code == 200:
            shown |= set(REFERENCE.findall(response.text)) & everything
    assert shown <= allowed
    assert shown == allowed  # and every case the persona may see is reachable from a page
    assert world["shredded"].reference not in shown


def test_a_shredded_case_is_in_no_list_or_count(client_for, world):
    response = client_for("coordinator").get(reverse("cases:pipeline"), {"state": "review"})
    assert world["shredded"].reference not in response.text
    assert "screening: 0" in response.text


def test_cases_are_reached_only_through_the_visibility_rule():
    """In the modules that serve pages, every ``Case.objects`` starts with ``visible_to``; the
    services may also lock a case they were handed (``select_for_update``), nothing else."""
    allowed = {
        "views.py": {"visible_to"},
        "filters.py": {"visible_to"},
        "forms.py": {"visible_to"},
        "services.py": {"visible_to", "select_for_update", "none"},
        "workflow.py": {"visible_to", "select_for_update"},
    }
    for name, methods in allowed.items():
        tree = ast.parse((ROOT / "cases" / name).read_text())
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Attribute)
                and node.value.attr == "objects"
                and isinstance(node.value.value, ast.Name)
                and node.value.value.id == "Case"
            ):
                assert node.attr in methods, f"cases/{name}:{node.lineno} Case.objects.{node.attr}"
