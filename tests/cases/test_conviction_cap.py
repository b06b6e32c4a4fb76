"""At most MAX_CONVICTIONS convictions per application and per case."""

import pytest
from django.urls import reverse

from cases.models import Case, Conviction, State
from cases.opening import case_open_submission
from cases.services import CaseError, CaseForbidden, case_add_conviction
from intake import services as intake_services
from tests.cases.conftest import make_case
from tests.intake.test_views import VALID, started, step_url

pytestmark = pytest.mark.django_db


def conviction(number: int) -> dict:
    return {"conviction-county": "Queens", "conviction-charge": f"Charge number {number}"}


def test_the_intake_refuses_one_conviction_too_many_and_keeps_what_was_typed(client, settings):
    settings.MAX_CONVICTIONS = 2
    started(client)
    url = step_url("convictions")
    for number in (1, 2):
        assert client.post(url, conviction(number) | {"action": "add"}).status_code == 302
    page = client.get(url).text
    assert "This is the most convictions an application can list (2)." in page
    response = client.post(url, conviction(3) | {"action": "add"})
    assert response.status_code == 200
    assert "An application can list up to 2 convictions." in response.text
    assert 'value="Charge number 3"' in response.text  # what was typed is not lost
    # Continuing with the third still typed is refused the same way; without it, it goes on.
    response = client.post(url, conviction(3) | {"outside_ny": "no", "action": "next"})
    assert response.status_code == 200
    assert "An application can list up to 2 convictions." in response.text
    assert client.post(url, {"outside_ny": "no", "action": "next"}).status_code == 302
    review = client.get(reverse("intake:review")).text
    assert "Charge number 2" in review
    assert "Charge number 3" not in review


def test_a_case_refuses_one_conviction_too_many(settings, staff, attorney):
    settings.MAX_CONVICTIONS = 2
    case = make_case(State.REVIEW, screened=False)
    for number in (1, 2):
        case_add_conviction(case=case, actor=staff, county="Queens", charge=f"Charge {number}")
    with pytest.raises(CaseError, match="A case can list up to 2 convictions"):
        case_add_conviction(case=case, actor=staff, county="Queens", charge="Charge 3")
    with pytest.raises(CaseForbidden):  # not assigned to this case
        case_add_conviction(case=case, actor=attorney, county="Queens", charge="Charge 4")
    assert Conviction.objects.filter(case=case).count() == 2


def test_opening_a_submission_keeps_the_cap_and_the_whole_answers(
    client, settings, django_capture_on_commit_callbacks
):
    settings.MAX_CONVICTIONS = 3
    started(client)
    for step, data in VALID.items():
        if step == "convictions":
            for number in (1, 2, 3):
                client.post(step_url(step), conviction(number) | {"action": "add"})
            data = {"outside_ny": "no"}
        client.post(step_url(step), data | {"action": "next"})
    # A submission that lists more (sent before the cap was lowered) is opened with the cap.
    settings.MAX_CONVICTIONS = 2
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("intake:review"))
    draft = intake_services.Draft.objects.get()
    case = case_open_submission(draft_id=draft.pk)
    assert isinstance(case, Case)
    assert Conviction.objects.filter(case=case).count() == 2
    listed = case.applicant.answers["convictions"]["list"]
    assert [item["charge"] for item in listed] == [f"Charge number {n}" for n in (1, 2, 3)]
