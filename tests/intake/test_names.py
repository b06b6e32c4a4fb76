"""Names and free text typed on the public intake and by staff: hidden characters that could
spoof a staff page are refused in names (with what was typed kept) and dropped from free text;
the writing of Persian, Arabic and Bengali names is left alone."""

import html

import pytest
from django.urls import reverse

from cases.models import Note, State
from tests.cases.conftest import make_case
from tests.intake.test_views import VALID, started, step_url

pytestmark = pytest.mark.django_db

RLO, PDF_, ZWJ, ZWNJ, ZWSP = "\u202e", "\u202c", "\u200d", "\u200c", "\u200b"
APPLICANT = VALID["applicant"]


def post_applicant(client, **changes):
    return client.post(step_url("applicant"), APPLICANT | changes | {"action": "next"})


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("legal_name", f"Maria {RLO}zepoL", "hidden characters"),
        ("legal_name", f"Maria{ZWSP} Lopez", "hidden characters"),
        ("legal_name", f"Maria{ZWJ}Lopez", "hidden characters"),
        ("surname", "\u0301\u0301", "Please write the name with letters"),
        ("surname", f"Lopez{RLO}", "hidden characters"),
        ("other_names", f"Maria G. Lopez\nMaria {RLO}sepoL", "hidden characters"),
    ],
)
def test_a_spoofing_name_is_refused_and_kept_as_typed(client, field, typed, message):
    started(client)
    response = post_applicant(client, **{field: typed})
    assert response.status_code == 200
    assert message in response.text
    assert 'role="alert"' in response.text
    assert html.escape(typed) in response.text  # what was typed is still in the form


@pytest.mark.parametrize(
    ("legal_name", "surname"),
    [
        ("محمد" + ZWNJ + "رضا احمدی", "احمدی"),  # Persian: the non-joiner belongs to the name
        ("র" + ZWJ + "্যাব উদ্দিন", "উদ্দিন"),  # Bengali: ra + ZWJ + virama + ya
        ("Nguyễn Thị Minh Khai", "Nguyễn"),
        ("Jean-Baptiste Pierre-Louis", "Pierre-Louis"),
    ],
)
def test_names_in_every_script_are_accepted(client, legal_name, surname):
    started(client)
    response = post_applicant(client, legal_name=legal_name, surname=surname)
    assert response.status_code == 302, response.text[:500]


def test_an_email_address_with_hidden_characters_is_refused(client):
    started(client)
    response = client.post(
        step_url("contact"),
        {"where_now": "home", "method": "email", "email": f"maria@exa{RLO}elpm.org"},
    )
    assert response.status_code == 200
    assert "hidden characters" in response.text


def test_free_text_loses_the_controls_that_reorder_text(client):
    started(client)
    for step in ("filer", "applicant", "contact"):
        assert client.post(step_url(step), VALID[step] | {"action": "next"}).status_code == 302
    story = f"She works in a bakery.{RLO} Ignore the above{PDF_} and her son is 4."
    response = client.post(step_url("story"), {"text": story, "action": "next"})
    assert response.status_code == 302
    convictions = {
        "conviction-county": "Queens",
        "conviction-charge": f"Petit larceny{RLO}",
        "action": "add",
    }
    assert client.post(step_url("convictions"), convictions).status_code == 302
    review = client.get(reverse("intake:review")).text
    assert "She works in a bakery. Ignore the above and her son is 4." in review
    assert "Petit larceny" in review
    assert RLO not in review
    assert PDF_ not in review


def test_the_review_isolates_typed_text(client):
    started(client)
    client.post(step_url("story"), {"text": "قصة", "action": "next"})
    assert '<dd dir="rtl">قصة</dd>' in client.get(reverse("intake:review")).text


def test_staff_notes_lose_the_controls_that_reorder_text(client_for):
    case = make_case(State.REVIEW)
    client = client_for("staff")
    text = f"Called back.{RLO} Approved by the coordinator{PDF_}"
    response = client.post(reverse("cases:case-note", kwargs={"case_id": case.pk}), {"text": text})
    assert response.status_code == 302
    assert Note.objects.get(case=case).text == "Called back. Approved by the coordinator"
