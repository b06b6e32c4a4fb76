"""Deadlines as data: what the application brings, what each step opens and closes, what staff
and the assigned attorney add, move and close (audited), and the case's next deadline."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cases import workflow
from cases.models import Case, Deadline, DeadlineKind, Document, State
from cases.opening import case_open_submission
from clemency.audit.models import AuditEvent
from intake.services import draft_save_step, draft_start, draft_submit
from tests.cases.conftest import add_document, make_case
from tests.sql import uid

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
SECRET_NOTE = "-".join(["Courtroom", "12", "Judge", "Marker"])


def open_deadlines(case) -> list[tuple[str, date]]:
    return list(
        case.deadlines.filter(closed_at__isnull=True)
        .values_list("kind", "due_on")
        .order_by("due_on")
    )


def test_an_application_s_hearing_and_check_in_become_deadlines(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    draft, dek, _code = draft_start(language="en")
    hearing, check_in = TODAY + timedelta(days=40), TODAY + timedelta(days=9)
    draft_save_step(
        draft=draft,
        dek=dek,
        step="immigration",
        data={
            "status": "permanent_resident",
            "removal_pending": "yes",
            "next_hearing": hearing.isoformat(),
            "ice_check_in": check_in.isoformat(),
        },
    )
    draft_submit(draft=draft, dek=dek)
    case = case_open_submission(draft_id=draft.pk)
    assert open_deadlines(case) == [("check_in", check_in), ("hearing", hearing)]
    case.refresh_from_db()
    assert (case.next_deadline, case.next_deadline_kind) == (check_in, DeadlineKind.CHECK_IN)
    assert set(case.deadlines.values_list("source", flat=True)) == {"application"}


def test_asking_for_information_opens_a_deadline_and_the_answer_closes_it(staff):
    case = make_case(State.REVIEW)
    workflow.case_request_info(
        case=case, actor=staff, expected_state=State.REVIEW, items=["disposition"]
    )
    assert open_deadlines(case) == [("info_due", TODAY + timedelta(days=30))]
    case.refresh_from_db()
    assert case.next_deadline_kind == DeadlineKind.INFO_DUE
    workflow.case_resume_review(case=case, actor=staff, expected_state=State.NEEDS_INFO)
    assert open_deadlines(case) == []
    assert case.deadlines.get().outcome == "met"
    case.refresh_from_db()
    assert (case.next_deadline, case.next_deadline_kind) == (None, "")


def test_the_draft_due_date_opens_with_the_match_and_closes_with_the_review(coordinator, attorney):
    case = make_case(State.ACCEPTED)
    due = TODAY + timedelta(days=21)
    workflow.case_assign(
        case=case, actor=coordinator, expected_state=State.ACCEPTED, attorney=attorney, deadline=due
    )
    assert open_deadlines(case) == [("draft_due", due)]
    add_document(case, Document.Kind.DRAFT_PETITION)
    workflow.case_request_review(case=case, actor=attorney, expected_state=State.DRAFTING)
    assert open_deadlines(case) == []


def test_closing_a_case_closes_every_deadline(staff):
    case = make_case(State.REVIEW)
    workflow.case_add_deadline(case=case, actor=staff, kind="hearing", due_on=TODAY)
    workflow.case_close(
        case=case,
        actor=staff,
        expected_state=State.REVIEW,
        closure_reason="withdrawn",
        reason="Asked to stop.",
    )
    assert open_deadlines(case) == []
    assert Case.objects.get(pk=case.pk).next_deadline is None


def test_staff_add_move_and_close_a_deadline_over_http(client_for, staff):
    case = make_case(State.REVIEW)
    client = client_for("staff")
    hearing = TODAY + timedelta(days=12)
    response = client.post(
        reverse("cases:deadline-add", kwargs={"case_id": case.pk}),
        {
            "deadline-kind": "hearing",
            "deadline-due_on": hearing.isoformat(),
            "deadline-note": SECRET_NOTE,
        },
    )
    assert response.status_code == 302
    deadline = case.deadlines.get()
    page = client.get(reverse("cases:case", kwargs={"case_id": case.pk})).text
    assert SECRET_NOTE in page
    assert Case.objects.get(pk=case.pk).next_deadline == hearing
    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM cases_deadline WHERE id = %s", [uid(deadline.pk)])
        assert SECRET_NOTE.encode() not in bytes(cursor.fetchone()[0])  # encrypted
    event = AuditEvent.objects.get(action="case.deadline_added")
    assert SECRET_NOTE not in str(event.data)

    url = reverse("cases:deadline", kwargs={"case_id": case.pk, "deadline_id": deadline.pk})
    moved = hearing + timedelta(days=30)
    response = client.post(url, {"due_on": moved.isoformat(), "reason": ""})
    assert response.status_code == 400  # a move needs a reason; nothing changed
    assert Case.objects.get(pk=case.pk).next_deadline == hearing
    response = client.post(url, {"due_on": moved.isoformat(), "reason": "Adjourned."})
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).next_deadline == moved
    response = client.post(url, {"outcome": "met", "reason": ""})
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).next_deadline is None
    assert client.get(url).status_code == 404  # closed: no more changes
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="case.deadline")] == [
        "case.deadline_added",
        "case.deadline_changed",
        "case.deadline_closed",
    ]


def test_a_bad_date_keeps_what_was_typed(client_for):
    case = make_case(State.REVIEW)
    response = client_for("staff").post(
        reverse("cases:deadline-add", kwargs={"case_id": case.pk}),
        {"deadline-kind": "custom", "deadline-due_on": "31/31/2027", "deadline-note": "Parole"},
    )
    assert response.status_code == 400
    assert "Enter the whole date: day, month and year." in response.text
    assert ">Parole</textarea>" in response.text or 'value="Parole"' in response.text
    assert not Deadline.objects.exists()


def test_the_assigned_attorney_manages_deadlines_and_no_other(client_for, attorney):
    case = make_case(State.DRAFTING, attorney=attorney)
    data = {"deadline-kind": "filing", "deadline-due_on": (TODAY + timedelta(days=5)).isoformat()}
    url = reverse("cases:deadline-add", kwargs={"case_id": case.pk})
    assert client_for("attorney").post(url, data).status_code == 302
    client_for("attorney").logout()
    assert client_for("other_attorney").post(url, data).status_code == 404
    assert case.deadlines.count() == 1


def test_shredding_erases_the_deadlines(staff):
    from cases.services import case_shred

    case = make_case(State.CLOSED)
    workflow.case_add_deadline(case=case, actor=staff, kind="hearing", due_on=TODAY, note="x")
    case_shred(case=case, actor=None, reason="retention")
    assert not Deadline.objects.filter(case=case).exists()


def test_the_lists_show_the_next_deadline_and_its_kind_and_filter_by_it(client_for, staff):
    soon, later = make_case(State.REVIEW), make_case(State.REVIEW)
    workflow.case_add_deadline(
        case=soon, actor=staff, kind="check_in", due_on=TODAY + timedelta(days=3)
    )
    workflow.case_add_deadline(
        case=later, actor=staff, kind="hearing", due_on=TODAY + timedelta(days=25)
    )
    client = client_for("staff")
    page = client.get(reverse("cases:pipeline")).text
    assert "(ICE check-in)" in page
    assert "(immigration hearing)" in page
    within_a_week = client.get(reverse("cases:pipeline"), {"due_within": "7"}).text
    assert soon.reference in within_a_week
    assert later.reference not in within_a_week


@pytest.mark.parametrize(
    ("persona", "listing", "state"),
    [
        ("coordinator", "cases:coordination", State.ACCEPTED),
        ("coordinator", "cases:coordination", State.QA_REVIEW),
        ("attorney", "cases:my-cases", State.DRAFTING),
    ],
)
def test_coordination_and_my_cases_filter_by_deadline(
    client_for, staff, attorney, persona, listing, state
):
    with_attorney = state != State.ACCEPTED
    cases = {
        name: make_case(state, attorney=attorney if with_attorney else None)
        for name in ("soon", "later", "overdue", "none")
    }
    for name, days in (("soon", 3), ("later", 25), ("overdue", -2)):
        workflow.case_add_deadline(
            case=cases[name], actor=staff, kind="custom", due_on=TODAY + timedelta(days=days)
        )
    client = client_for(persona)

    def shown(**query) -> set[str]:
        text = client.get(reverse(listing), query).text
        return {name for name, case in cases.items() if case.reference in text}

    assert shown() == set(cases)
    assert shown(due_within="7") == {"soon"}
    assert shown(due_within="30") == {"soon", "later"}
    assert shown(overdue="on") == {"overdue"}
    left_out = client.get(reverse(listing), {"due_within": "9999"}).text
    assert "could not be used and are left out" in left_out


def test_the_coordinator_s_calendar_lists_deadlines_by_week_and_reference(
    client_for, staff, attorney
):
    case = make_case(State.DRAFTING, attorney=attorney)
    workflow.case_add_deadline(
        case=case, actor=staff, kind="hearing", due_on=TODAY - timedelta(days=2)
    )
    workflow.case_add_deadline(
        case=case, actor=staff, kind="filing", due_on=TODAY + timedelta(days=10)
    )
    workflow.case_add_deadline(
        case=case, actor=staff, kind="custom", due_on=TODAY + timedelta(weeks=20)
    )
    page = client_for("coordinator").get(reverse("cases:calendar"))
    assert page.status_code == 200
    text = page.text
    assert text.count(case.reference) == 2  # overdue and within the weeks; not 20 weeks on
    assert "Overdue" in text
    assert "filing target" in text
    assert case.applicant.legal_name not in text
    client_for("coordinator").logout()
    assert client_for("staff").get(reverse("cases:calendar")).status_code == 403


def test_a_case_is_closed_as_unresponsive_30_days_after_the_information_was_due(staff):
    asked, extended = make_case(State.REVIEW), make_case(State.REVIEW)
    for case in (asked, extended):
        workflow.case_request_info(
            case=case, actor=staff, expected_state=State.REVIEW, items=["disposition"]
        )
    due = TODAY + timedelta(days=30)
    info = extended.deadlines.get()
    workflow.case_change_deadline(
        case=extended,
        actor=staff,
        deadline_id=info.pk,
        due_on=due + timedelta(days=20),
        reason="Family asked for more time.",
    )
    assert workflow.cases_close_unresponsive(today=due + timedelta(days=30)) == 0  # not yet
    assert workflow.cases_close_unresponsive(today=due + timedelta(days=31)) == 1
    asked.refresh_from_db()
    assert (asked.state, asked.closure_reason) == (State.CLOSED, "unresponsive")
    assert asked.deadlines.filter(closed_at__isnull=True).count() == 0
    event = asked.events.get(action="close")
    assert (event.actor, event.data["automatic"]) == (None, True)
    assert Case.objects.get(pk=extended.pk).state == State.NEEDS_INFO  # staff extended it
    assert workflow.cases_close_unresponsive(today=due + timedelta(days=31)) == 0  # once


def test_the_calendar_is_the_same_queries_for_3_or_30_deadlines(
    client_for, staff, django_assert_max_num_queries
):
    client = client_for("coordinator")
    client.get(reverse("cases:calendar"))  # the session and the role, loaded once
    for count in (3, 27):
        for _ in range(count):
            workflow.case_add_deadline(
                case=make_case(State.REVIEW), actor=staff, kind="hearing", due_on=TODAY
            )
        with django_assert_max_num_queries(12):
            assert client.get(reverse("cases:calendar")).status_code == 200
