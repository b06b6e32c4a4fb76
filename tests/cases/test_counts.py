"""The numbers of live cases per state that the database keeps (ADR 0019) are the numbers the
cases give, after every kind of write: one at a time, in bulk, by query, deleted, shredded,
truncated, folded and rebuilt."""

import pytest
from django.db import connection
from django.db.models import Count

from cases import workflow
from cases.counts import compact, counts_by_state, live_counts, recount
from cases.models import Case, CaseEvent, LiveCount, State
from cases.services import case_shred
from tests.cases.conftest import make_case
from tests.factories import CaseFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="kept by PostgreSQL triggers"),
]


def truth() -> dict[str, int]:
    rows = Case.objects.live().values_list("state").annotate(n=Count("*")).order_by()
    return {state: n for state, n in rows if n}


def test_every_kind_of_write_keeps_the_numbers_true(staff, coordinator):
    cases = [make_case(State.REVIEW) for _ in range(3)] + [make_case(State.ACCEPTED)]
    assert live_counts() == truth() == {"review": 3, "accepted": 1}
    workflow.case_accept(case=cases[0], actor=staff, expected_state=State.REVIEW)  # save()
    assert live_counts() == truth() == {"review": 2, "accepted": 2}
    Case.objects.bulk_create([Case(state=State.CLOSED) for _ in range(5)])
    Case.objects.filter(state=State.CLOSED).update(state=State.DECIDED)  # by query
    for case in Case.objects.filter(state=State.REVIEW):
        case.urgency = "P0"
    Case.objects.bulk_update(list(Case.objects.filter(state=State.REVIEW)), ["urgency"])
    assert live_counts() == truth() == {"review": 2, "accepted": 2, "decided": 5}
    closed = cases[1]
    workflow.case_close(
        case=closed,
        actor=staff,
        expected_state=State.REVIEW,
        closure_reason="ineligible",
        reason="Not eligible.",
        referrals=["vacatur"],
    )
    case_shred(case=Case.objects.get(pk=closed.pk), actor=None, reason="test")  # shredded
    CaseEvent.objects.filter(case=cases[3]).delete()
    Case.objects.filter(pk=cases[3].pk).delete()  # deleted
    assert live_counts() == truth() == {"review": 1, "accepted": 1, "decided": 5}


def test_folding_keeps_the_numbers_and_rebuilding_mends_them():
    for state in (State.REVIEW, State.REVIEW, State.DRAFTING):
        CaseFactory(state=state)
    before = live_counts()
    assert LiveCount.objects.count() == 3  # one row per statement and state
    assert compact() == 2  # one per state
    assert live_counts() == before == truth()
    LiveCount.objects.create(state=State.REVIEW, delta=40)  # drift: a writer without triggers
    recount()
    assert live_counts() == truth()


@pytest.mark.django_db(transaction=True)  # TRUNCATE, outside a test's transaction
@pytest.mark.usefixtures("migrated_rows")
def test_truncating_the_cases_empties_the_numbers():
    CaseFactory(state=State.REVIEW)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE cases_case CASCADE")
    assert live_counts() == {}
    assert not LiveCount.objects.exists()


def test_someone_who_sees_only_some_cases_gets_only_their_numbers(attorney, coordinator):
    make_case(State.DRAFTING, attorney=attorney)
    make_case(State.DRAFTING)
    make_case(State.REVIEW)
    assert counts_by_state(attorney) == {"drafting": 1}
    assert counts_by_state(coordinator) == {"drafting": 2, "review": 1}
