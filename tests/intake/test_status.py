"""The applicant's status page reads a projection of the case, never the case itself."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from cases import workflow
from cases.models import Case, State
from cases.publication import PUBLIC_STAGES, publish_status
from clemency.common.status import InfoItem, PublicStage
from intake.models import Draft
from intake.services import SENTENCES, draft_save_step, draft_start, draft_submit, status_lookup
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

EXPECTED_STAGES = {
    State.INTAKE: PublicStage.RECEIVED,
    State.REVIEW: PublicStage.REVIEWING,
    State.NEEDS_INFO: PublicStage.REVIEWING,
    State.ACCEPTED: PublicStage.PREPARING,
    State.DRAFTING: PublicStage.PREPARING,
    State.QA_REVIEW: PublicStage.PREPARING,
    State.SUBMITTED: PublicStage.FILED,
    State.DECIDED: PublicStage.DECIDED,
    State.CLOSED: PublicStage.CLOSED,
}
ASKED = [InfoItem.DISPOSITION, InfoItem.CALL]


@pytest.fixture
def opened(django_capture_on_commit_callbacks):
    """A submitted application, opened into its case by the worker: (case, reference, code)."""
    draft, dek, _code = draft_start(language="en")
    draft_save_step(draft=draft, dek=dek, step="story", data={"text": "Private story."})
    with django_capture_on_commit_callbacks(execute=True):
        reference, status_code = draft_submit(draft=draft, dek=dek)
    return Case.objects.get(pk=draft.pk), reference, status_code


def test_every_state_has_a_public_stage():
    assert set(PUBLIC_STAGES) == set(State)
    assert PUBLIC_STAGES == EXPECTED_STAGES


def test_every_stage_has_one_sentence_naming_the_reference():
    assert set(SENTENCES) == set(PublicStage)
    for sentence in SENTENCES.values():
        assert str(sentence).count("%(reference)s") == 1


@pytest.mark.parametrize("state", list(State))
def test_publish_status_writes_the_stage_and_only_then_what_was_asked(opened, state):
    case, _reference, _code = opened
    Case.objects.filter(pk=case.pk).update(state=state, info_requested=[*ASKED, "not-an-item"])
    publish_status(Case.objects.get(pk=case.pk))
    draft = Draft.objects.get(pk=case.pk)
    assert draft.stage == EXPECTED_STAGES[state]
    assert draft.requested == (ASKED if state == State.NEEDS_INFO else [])


def test_publish_status_ignores_cases_without_a_submission(opened):
    case, _reference, _code = opened
    other = CaseFactory(state=State.CLOSED)
    publish_status(other)
    assert Draft.objects.get(pk=case.pk).stage == PublicStage.RECEIVED


def test_the_status_follows_the_workflow(opened, staff):
    case, reference, code = opened
    assert (
        status_lookup(reference=reference, status_code=code, client="192.0.2.1").stage
        == PublicStage.RECEIVED
    )
    workflow.case_start_review(case=case, actor=staff, expected_state=State.INTAKE)
    workflow.case_request_info(
        case=case, actor=staff, expected_state=State.REVIEW, items=list(ASKED)
    )
    status = status_lookup(reference=reference, status_code=code, client="192.0.2.1")
    assert status.stage == PublicStage.REVIEWING
    assert status.requested == tuple(str(item.label) for item in ASKED)
    workflow.case_resume_review(case=case, actor=staff, expected_state=State.NEEDS_INFO)
    assert status_lookup(reference=reference, status_code=code, client="192.0.2.1").requested == ()


def test_status_lookup_and_page_never_touch_a_case_table(client, opened):
    case, reference, code = opened
    Case.objects.filter(pk=case.pk).update(state=State.NEEDS_INFO, info_requested=ASKED)
    publish_status(Case.objects.get(pk=case.pk))
    with CaptureQueriesContext(connection) as queries:
        status = status_lookup(reference=reference, status_code=code, client="192.0.2.1")
        response = client.post(
            reverse("intake:status"), {"reference": reference, "status_code": code}, follow=True
        )
    assert status.stage == PublicStage.REVIEWING
    assert response.status_code == 200
    assert str(InfoItem.DISPOSITION.label) in response.text
    assert queries.captured_queries
    assert [q["sql"] for q in queries.captured_queries if "cases_" in q["sql"]] == []


@pytest.mark.parametrize("stage", list(PublicStage))
@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_each_stage_reads_as_one_sentence_with_the_reference(client, opened, stage, language):
    case, reference, code = opened
    Draft.objects.filter(pk=case.pk).update(stage=stage)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.post(
        reverse("intake:status"), {"reference": reference, "status_code": code}, follow=True
    )
    with translation.override(language):
        sentence = SENTENCES[stage] % {"reference": reference}
    assert f"<p>{escape(sentence)}</p>" in response.text
    with translation.override("en"):
        english = SENTENCES[stage] % {"reference": reference}
    assert (sentence == english) == (language == "en")  # every language has its own


def test_only_known_requests_are_listed(client, opened):
    case, reference, code = opened
    Draft.objects.filter(pk=case.pk).update(
        stage=PublicStage.REVIEWING, requested=["rap_sheet", "<b>free text</b>"]
    )
    status = status_lookup(reference=reference, status_code=code, client="192.0.2.1")
    assert status.requested == (str(InfoItem.RAP_SHEET.label),)


def test_a_shredded_case_asks_nothing_of_the_applicant_any_more(opened, staff):
    from cases.services import case_shred

    case, reference, code = opened
    workflow.case_start_review(case=case, actor=staff, expected_state=State.INTAKE)
    workflow.case_request_info(
        case=case, actor=staff, expected_state=State.REVIEW, items=[InfoItem.CALL]
    )
    assert status_lookup(reference=reference, status_code=code, client="192.0.2.1").requested
    case_shred(case=case, actor=None, reason="request")
    assert status_lookup(reference=reference, status_code=code, client="192.0.2.1").requested == ()


def test_the_case_page_shows_a_request_code_it_does_not_know(client_for, opened):
    case, _reference, _code = opened
    Case.objects.filter(pk=case.pk).update(
        state=State.NEEDS_INFO, info_requested=[InfoItem.CALL, "retired_item"]
    )
    response = client_for("staff").get(reverse("cases:case", kwargs={"case_id": case.pk}))
    assert response.status_code == 200
    assert "retired_item" in response.text
