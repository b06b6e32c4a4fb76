"""Two people acting on the same case at once, from two database connections (PostgreSQL).

One wins; the other is told the case changed and to reload; nothing is lost or half-written, and
the events agree with the final state.
"""

import threading
import time

import pytest
from django.db import connection, transaction
from django.urls import reverse

from cases import workflow
from cases.models import Case, CaseEvent, State
from tests.cases.conftest import make_case
from tests.sql import in_thread, waiting_on_a_lock

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks across connections: PostgreSQL"
    ),
]


@pytest.fixture(autouse=True)
def _restore_migrated_rows(migrated_rows):
    """Each test here empties the database (real transactions); put the role groups back."""


def test_two_transitions_from_two_connections_one_wins(staff, coordinator):
    case = make_case(State.REVIEW)
    first_saved, let_first_commit = threading.Event(), threading.Event()
    results = {}

    def accept():
        stale = Case.objects.get(pk=case.pk)
        with transaction.atomic():
            event = workflow.case_accept(case=stale, actor=staff, expected_state=State.REVIEW)
            first_saved.set()
            assert let_first_commit.wait(30)
        return event

    def close():
        stale = Case.objects.get(pk=case.pk)  # loaded while the case is still in review
        assert first_saved.wait(30)
        return workflow.case_close(
            case=stale,
            actor=coordinator,
            expected_state=State.REVIEW,
            closure_reason="declined",
            reason="Capacity.",
            referrals=["other"],
        )

    first = in_thread(accept, results, "accept")
    assert first_saved.wait(30)
    second = in_thread(close, results, "close")
    # The second UPDATE waits for the first transaction's row lock...
    for _ in range(300):
        if waiting_on_a_lock():
            break
        time.sleep(0.01)
    else:
        pytest.fail("the second transition never waited for the first")
    let_first_commit.set()  # ...and finds the state changed once it commits.
    first.join(30)
    second.join(30)

    assert isinstance(results["accept"], CaseEvent)
    assert isinstance(results["close"], workflow.CaseConflict)
    assert "changed by someone else" in str(results["close"])
    case.refresh_from_db()
    assert case.state == State.ACCEPTED
    assert case.closure_reason == ""
    events = list(CaseEvent.objects.filter(case=case))
    assert [(e.action, e.from_state, e.to_state) for e in events] == [
        ("accept", State.REVIEW, State.ACCEPTED)
    ]


def test_the_same_transition_twice_at_once_happens_once(staff, coordinator):
    case = make_case(State.REVIEW)
    barrier = threading.Barrier(2)
    results = {}

    def accept(actor):
        def run():
            stale = Case.objects.get(pk=case.pk)
            barrier.wait(30)
            return workflow.case_accept(case=stale, actor=actor, expected_state=State.REVIEW)

        return run

    threads = [
        in_thread(accept(staff), results, "staff"),
        in_thread(accept(coordinator), results, "coordinator"),
    ]
    for thread in threads:
        thread.join(30)
    outcomes = sorted(type(result).__name__ for result in results.values())
    assert outcomes == ["CaseConflict", "CaseEvent"]
    assert CaseEvent.objects.filter(case=case).count() == 1
    case.refresh_from_db()
    assert case.state == State.ACCEPTED


def test_a_stale_page_is_told_to_reload_and_keeps_what_was_typed(client_for, staff):
    case = make_case(State.REVIEW)
    workflow.case_accept(case=case, actor=staff, expected_state=State.REVIEW)
    response = client_for("coordinator").post(
        reverse("cases:case-close", kwargs={"case_id": case.pk}),
        {
            "expected_state": State.REVIEW,
            "closure_reason": "declined",
            "reason": "Typed reason",
            "referrals": ["other"],
        },
    )
    assert response.status_code == 409
    assert "Someone else acted on this case" in response.text
    assert "Typed reason" in response.text
    case.refresh_from_db()
    assert case.state == State.ACCEPTED
    assert CaseEvent.objects.filter(case=case).count() == 1
