"""The state machine (DESIGN.md §6) over HTTP: every transition x every persona.

Allowed ones succeed and write a CaseEvent (and an audit entry); the rest change nothing: the
other attorney gets 404 (the case does not exist for them), a persona who may see the case but
not act gets 403, anonymous visitors are sent to sign in.
"""

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseEvent, State
from cases.views import ACTIONS
from clemency.audit.models import AuditEvent
from tests.cases.conftest import add_document, decision_data, make_case

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate().isoformat()

# slug -> (source state, target state, form data, who may fire it)
SCREENERS = {"staff", "coordinator"}
COORDINATOR = {"coordinator"}
MATRIX = {
    "start-review": (State.INTAKE, State.REVIEW, {}, SCREENERS),
    "request-info": (State.REVIEW, State.NEEDS_INFO, {"items": ["rap_sheet"]}, SCREENERS),
    "resume-review": (State.NEEDS_INFO, State.REVIEW, {}, SCREENERS),
    "accept": (State.REVIEW, State.ACCEPTED, {}, SCREENERS),
    "close": (
        State.REVIEW,
        State.CLOSED,
        {
            "closure_reason": "ineligible",
            "reason": "No New York conviction.",
            "referrals": ["immigration_counsel"],
        },
        SCREENERS,
    ),
    "reopen": (State.CLOSED, State.REVIEW, {"reason": "New facts."}, COORDINATOR),
    "assign": (State.ACCEPTED, State.DRAFTING, {"attorney": "volunteer"}, COORDINATOR),
    "reassign": (
        State.DRAFTING,
        State.DRAFTING,
        {"attorney": "volunteer", "reason": "Capacity."},
        COORDINATOR,
    ),
    "release": (State.DRAFTING, State.ACCEPTED, {"reason": "Capacity."}, COORDINATOR),
    "request-review": (State.DRAFTING, State.QA_REVIEW, {}, {"coordinator", "attorney"}),
    "ask-changes": (State.QA_REVIEW, State.DRAFTING, {"reason": "Add letters."}, COORDINATOR),
    "submit": (
        State.QA_REVIEW,
        State.SUBMITTED,
        {"filed_on": TODAY, "channel": "email", "signed_off_on": TODAY},
        COORDINATOR,
    ),
    "decide": (
        State.SUBMITTED,
        State.DECIDED,
        {"decision": "full_pardon", "decided_on": TODAY},
        COORDINATOR,
    ),
}
PERSONAS = ["staff", "coordinator", "attorney", "other_attorney", "anonymous"]


def test_the_matrix_covers_every_transition_and_every_action():
    assert {ACTIONS[slug].name for slug in MATRIX} == {
        item.name for item in Case().get_all_state_transitions()
    }
    assert set(MATRIX) == set(ACTIONS)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("slug", list(MATRIX))
def test_every_transition_for_every_persona(
    request, client_for, attorney, volunteer, slug, persona
):
    source, target, data, allowed = MATRIX[slug]
    # The attorney persona is assigned to every case here, so that refusals come from the rules
    # of each transition, not from not seeing the case.
    case = make_case(source, attorney=attorney, ready=True)
    data = {**data, "expected_state": source}
    if data.get("attorney") == "volunteer":
        data["attorney"] = volunteer.pk
    if "decision" in data:
        data = decision_data(case, data.pop("decision"), **data)
    client = client_for(persona)
    response = client.post(reverse(f"cases:case-{slug}", kwargs={"case_id": case.pk}), data)

    case.refresh_from_db()
    events = CaseEvent.objects.filter(case=case)
    if persona in allowed:
        assert response.status_code == 302, response.content[:3000]
        assert case.state == target
        event = events.get()
        assert (event.action, event.from_state, event.to_state) == (
            ACTIONS[slug].name,
            source,
            target,
        )
        assert event.actor == request.getfixturevalue(persona)
        assert AuditEvent.objects.filter(action=f"case.{event.action}", case_id=case.pk).exists()
        return
    expected = {"anonymous": 302, "other_attorney": 404}.get(persona, 403)
    assert response.status_code == expected
    if persona == "anonymous":
        assert response.url.startswith(reverse("accounts:login"))
    assert case.state == source
    assert not events.exists()


@pytest.mark.parametrize("slug", list(MATRIX))
def test_no_transition_fires_from_a_wrong_state(client_for, attorney, volunteer, slug):
    source, _target, data, _allowed = MATRIX[slug]
    wrong = State.DECIDED if source != State.DECIDED else State.CLOSED
    case = make_case(wrong, attorney=attorney, ready=True)
    data = {**data, "expected_state": wrong}
    if data.get("attorney") == "volunteer":
        data["attorney"] = volunteer.pk
    if "decision" in data:
        data = decision_data(case, data.pop("decision"), **data)
    response = client_for("coordinator").post(
        reverse(f"cases:case-{slug}", kwargs={"case_id": case.pk}), data
    )
    assert response.status_code == 400
    assert "This cannot be done at this stage of the case." in response.text
    case.refresh_from_db()
    assert case.state == wrong
    assert not CaseEvent.objects.filter(case=case).exists()


def test_the_state_field_cannot_be_set_directly():
    case = make_case(State.REVIEW)
    with pytest.raises(AttributeError):
        case.state = State.DECIDED


def test_conditions_hold_back_transitions_with_the_reason(client_for, attorney):
    drafting = make_case(State.DRAFTING, attorney=attorney)
    response = client_for("attorney").post(
        reverse("cases:case-request-review", kwargs={"case_id": drafting.pk}),
        {"expected_state": State.DRAFTING},
    )
    assert response.status_code == 400
    assert "Upload a draft petition first." in response.text

    review = make_case(State.QA_REVIEW, attorney=attorney)
    add_document(review, "final_petition")
    response = client_for("coordinator").post(
        reverse("cases:case-submit", kwargs={"case_id": review.pk}),
        {
            "expected_state": State.QA_REVIEW,
            "filed_on": TODAY,
            "channel": "mail",
            "signed_off_on": TODAY,
        },
    )
    assert response.status_code == 400
    assert "upload the final petition and the proof of filing" in response.text
    review.refresh_from_db()
    assert review.state == State.QA_REVIEW
    assert review.client_signed_off_on is None  # nothing half-recorded


def test_reasons_are_required_and_stored_encrypted(client_for, attorney):
    from django.db import connection

    case = make_case(State.QA_REVIEW, attorney=attorney)
    url = reverse("cases:case-ask-changes", kwargs={"case_id": case.pk})
    client = client_for("coordinator")
    missing = client.post(url, {"expected_state": State.QA_REVIEW, "reason": "  "})
    assert missing.status_code == 400
    assert "Please give a reason." in missing.text
    reason = "Add the letter from Marker-Pastor-Ruiz."
    assert (
        client.post(url, {"expected_state": State.QA_REVIEW, "reason": reason}).status_code == 302
    )
    event = CaseEvent.objects.get(case=case)
    assert event.reason == reason
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM cases_caseevent")
        raw = bytes(cursor.fetchone()[0])
    assert b"Marker-Pastor-Ruiz" not in raw


def test_the_whole_path_from_intake_to_decision(client_for, coordinator, attorney):
    case = make_case(State.INTAKE)
    staff = client_for("staff")

    def act(client, slug, **data):
        response = client.post(
            reverse(f"cases:case-{slug}", kwargs={"case_id": case.pk}),
            {"expected_state": Case.objects.get(pk=case.pk).state, **data},
        )
        assert response.status_code == 302, response.content[:2000]

    act(staff, "start-review")
    act(staff, "request-info", items=["disposition", "call"])
    act(staff, "resume-review")
    act(staff, "accept")
    staff.logout()
    coordinator_client = client_for("coordinator")
    act(coordinator_client, "assign", attorney=attorney.pk, deadline=TODAY)
    coordinator_client.logout()
    add_document(case, "draft_petition")
    act(client_for("attorney"), "request-review")
    coordinator_client = client_for("coordinator")
    act(coordinator_client, "ask-changes", reason="Tighten the equities section.")
    add_document(case, "final_petition")
    add_document(case, "filing_proof")
    coordinator_client.logout()
    act(client_for("attorney"), "request-review")
    coordinator_client = client_for("coordinator")
    act(coordinator_client, "submit", filed_on=TODAY, channel="portal", signed_off_on=TODAY)
    act(coordinator_client, "decide", **decision_data(case, "conditional_pardon", decided_on=TODAY))

    case.refresh_from_db()
    assert case.state == State.DECIDED
    assert case.outcome == "conditional_pardon"
    assert case.filing_channel == "portal"
    trail = list(CaseEvent.objects.filter(case=case).values_list("from_state", "to_state"))
    assert trail == [
        ("intake", "review"),
        ("review", "needs_info"),
        ("needs_info", "review"),
        ("review", "accepted"),
        ("accepted", "drafting"),
        ("drafting", "qa_review"),
        ("qa_review", "drafting"),
        ("drafting", "qa_review"),
        ("qa_review", "submitted"),
        ("submitted", "decided"),
    ]


# --- What the review of the workflow asked for ------------------------------------------------


def test_a_stale_page_cannot_act_on_a_case_that_changed_hands(attorney, volunteer, coordinator):
    from cases import workflow

    case = make_case(State.DRAFTING, attorney=attorney)
    add_document(case, "draft_petition")
    seen_by_coordinator = Case.objects.get(pk=case.pk)  # loaded before the reassignment
    seen_by_attorney = Case.objects.get(pk=case.pk)
    workflow.case_reassign(
        case=Case.objects.get(pk=case.pk),
        actor=coordinator,
        expected_state=State.DRAFTING,
        attorney=volunteer,
        reason="Capacity.",
    )
    # Still allowed to ask for review, but the case is not the one on their page any more.
    with pytest.raises(workflow.CaseConflict):
        workflow.case_request_review(
            case=seen_by_coordinator, actor=coordinator, expected_state=State.DRAFTING
        )
    # The attorney who lost the case may not act on it at all, whatever their page says.
    with pytest.raises(workflow.CaseForbidden):
        workflow.case_request_review(
            case=seen_by_attorney, actor=attorney, expected_state=State.DRAFTING
        )
    case.refresh_from_db()
    assert (case.state, case.assigned_attorney) == (State.DRAFTING, volunteer)
    assert not CaseEvent.objects.filter(case=case, action="request_review").exists()


def test_a_transition_writes_only_its_own_columns(staff):
    from cases import workflow

    case = make_case(State.REVIEW, urgency="P3")
    stale = Case.objects.get(pk=case.pk)
    workflow.case_set_urgency(
        case=Case.objects.get(pk=case.pk), actor=staff, urgency="P0", reason="Detained today."
    )
    workflow.case_accept(case=stale, actor=staff, expected_state=State.REVIEW)
    case.refresh_from_db()
    assert (case.state, case.urgency) == (State.ACCEPTED, "P0")


def test_reopening_starts_a_fresh_round(coordinator, attorney):
    from cases import workflow

    case = make_case(State.SUBMITTED, attorney=attorney, ready=True)
    Case.objects.filter(pk=case.pk).update(filed_on=timezone.localdate(), filing_channel="mail")
    case.refresh_from_db()
    workflow.case_close(
        case=case,
        actor=coordinator,
        expected_state=State.SUBMITTED,
        closure_reason="no_decision",
        reason="No answer after three years.",
    )
    assert CaseEvent.objects.get(case=case, action="close").data["previous_attorney"] == (
        attorney.pk
    )
    workflow.case_reopen(
        case=case, actor=coordinator, expected_state=State.CLOSED, reason="New facts."
    )
    case.refresh_from_db()
    assert case.state == State.REVIEW
    assert (case.filed_on, case.filing_channel, case.client_signed_off_on) == (None, "", None)
    assert case.closure_reason == ""


def test_a_decision_cannot_predate_the_filing_or_be_in_the_future(client_for, attorney):
    case = make_case(State.SUBMITTED, attorney=attorney)
    Case.objects.filter(pk=case.pk).update(filed_on="2026-01-10")
    path = reverse("cases:case-decide", kwargs={"case_id": case.pk})
    client = client_for("coordinator")
    for day in ("2026-01-09", "2999-01-01"):
        response = client.post(
            path,
            decision_data(case, "denied", expected_state=State.SUBMITTED, decided_on=day),
        )
        assert response.status_code == 400
    case.refresh_from_db()
    assert case.state == State.SUBMITTED


def test_an_action_that_no_longer_applies_says_so(client_for, coordinator):
    from cases import workflow

    case = make_case(State.REVIEW)
    workflow.case_close(
        case=Case.objects.get(pk=case.pk),
        actor=coordinator,
        expected_state=State.REVIEW,
        closure_reason="duplicate",
        reason="Same person as another case.",
    )
    response = client_for("staff").post(
        reverse("cases:case-request-info", kwargs={"case_id": case.pk}),
        {"expected_state": State.REVIEW, "items": ["call"]},
    )
    assert response.status_code == 409
    assert "This action does not apply to the case any more." in response.text
    assert 'name="items"' not in response.text


def test_shredding_leaves_only_the_tombstone(staff, attorney):
    from cases import screening, workflow
    from cases.models import Conviction, ConvictionOutcome, Note, Screening
    from cases.services import case_shred

    case = make_case(State.DRAFTING, attorney=attorney)
    Conviction.objects.create(case=case, county="Queens", court="Queens Criminal", charge="x")
    workflow.case_add_note(case=case, actor=staff, text="A note.")
    screening.case_save_screening(case=case, actor=staff, relief="pardon", grounds={})
    workflow.case_set_urgency(case=case, actor=staff, urgency="P1", reason="Hearing.")
    ConvictionOutcome.objects.create(
        case=case, conviction=case.convictions.first(), relief="pardon", result="denied"
    )
    case_shred(case=case, actor=None, reason="retention")
    for part in (Conviction, ConvictionOutcome, Note, CaseEvent, Screening):
        assert not part.objects.filter(case=case).exists(), part
    assert not Case.objects.visible_to(attorney).filter(pk=case.pk).exists()
    case.refresh_from_db()
    assert case.state == State.DRAFTING
    assert case.reference
