"""The intake over HTTP: start, steps, save and resume, review, submit, status; bad input."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from cases.models import Case
from intake.models import Draft
from intake.steps import STEPS
from tests.documents import pdf, png
from tests.intake.answers import MARKER, VALID

pytestmark = pytest.mark.django_db


def started(client: Client) -> str:
    response = client.post(reverse("intake:start"))
    assert response.status_code == 200
    code = re.search(r'<p class="code"[^>]*>([0-9A-Z-]+)</p>', response.text).group(1)
    return code


def step_url(identifier: str) -> str:
    return reverse("intake:step", kwargs={"identifier": identifier})


def fill_all(client: Client) -> None:
    for step in STEPS:
        response = client.post(
            step_url(step.identifier), VALID[step.identifier] | {"action": "next"}
        )
        assert response.status_code == 302, (step.identifier, response.text[:2000])


def test_start_shows_the_code_once_and_sets_the_browser_half(client):
    code = started(client)
    assert len(code) == 19
    assert "draft" in client.cookies
    cookie = client.cookies["draft"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Strict"
    assert client.get(step_url("filer")).status_code == 200
    assert code not in client.get(step_url("filer")).text


def test_the_whole_journey(client, django_capture_on_commit_callbacks):
    started(client)
    fill_all(client)
    review = client.get(reverse("intake:review"))
    assert f"{MARKER} Garcia" in review.text
    assert "Orange County" in review.text
    with django_capture_on_commit_callbacks(execute=True):
        confirmation = client.post(reverse("intake:review"))
    reference = re.search(r"PP-[0-9A-Z]{4}-[0-9A-Z]{4}", confirmation.text).group(0)
    status_code = re.search(
        r'<dd class="code"[^>]*>([0-9A-Z]{4}-[0-9A-Z]{4})</dd>', confirmation.text
    ).group(1)
    case = Case.objects.get(reference=reference)
    assert case.urgency == "P0"  # in ICE detention
    assert client.get(reverse("intake:review")).status_code == 302  # the draft is gone here
    status = client.post(
        reverse("intake:status"), {"reference": reference, "status_code": status_code}, follow=True
    )
    assert status.status_code == 200
    assert "received" in status.text
    assert MARKER not in status.text


def test_errors_keep_what_was_typed_and_say_what_to_fix(client):
    started(client)
    response = client.post(
        step_url("applicant"),
        {"legal_name": f"{MARKER} Garcia", "surname": "", "date_of_birth": "17/05/1990"},
    )
    assert response.status_code == 200
    assert f'value="{MARKER} Garcia"' in response.text
    assert 'role="alert"' in response.text
    assert "Please answer this question." in response.text
    assert "Enter the whole date: day, month and year." in response.text
    assert 'aria-invalid="true"' in response.text


def test_filing_for_someone_else_needs_their_consent(client):
    started(client)
    client.post(
        step_url("filer"),
        {"who": "family", "relationship": "son", "filer_name": "Ali", "action": "next"},
    )
    page = client.get(step_url("consent")).text
    assert "You are applying for someone else. They must know about it and agree." in page
    assert "The person knows about this application and agrees to it." in page
    response = client.post(step_url("consent"), {"understood": "on", "action": "next"})
    assert response.status_code == 200
    assert "Please tick this box to go on." in response.text


def test_a_bad_a_number_is_refused_with_the_reason(client):
    started(client)
    response = client.post(step_url("immigration"), {"status": "none", "a_number": "A12"})
    assert "An A-number has 8 or 9 digits" in response.text


def test_save_and_finish_later_then_resume_on_another_device(client):
    code = started(client)
    client.post(step_url("filer"), VALID["filer"] | {"action": "next"})
    later = client.post(step_url("applicant"), VALID["applicant"] | {"action": "later"})
    assert later.status_code == 200
    assert client.get(step_url("contact")).status_code == 302  # this browser forgot it

    other_device = Client()
    response = other_device.post(reverse("intake:resume"), {"code": code.lower().replace("-", " ")})
    assert response.status_code == 302
    assert response.url == step_url("contact")
    page = other_device.get(step_url("applicant"))
    assert f"{MARKER} Garcia" in page.text
    assert "Maria Lopes\nMaria G. Lopez" in page.text


def test_a_wrong_code_is_refused_without_saying_whether_a_draft_exists(client):
    code = started(client)
    wrong = Client().post(
        reverse("intake:resume"), {"code": code[:-1] + ("0" if code[-1] != "0" else "1")}
    )
    unknown = Client().post(reverse("intake:resume"), {"code": "AAAA-BBBB-CCCC-DDDD"})
    assert wrong.status_code == unknown.status_code == 400
    message = "This code does not open an application."
    assert message in wrong.text
    assert message in unknown.text


def test_steps_without_a_draft_send_to_resume(client):
    response = client.get(step_url("applicant"))
    assert response.url == reverse("intake:resume")
    assert client.get(step_url("no-such-step")).status_code == 404


def test_a_stolen_session_cookie_alone_opens_nothing(client):
    started(client)
    client.post(step_url("filer"), VALID["filer"] | {"action": "next"})
    thief = Client()
    thief.cookies["sessionid"] = client.cookies["sessionid"].value  # without the browser key
    assert thief.get(step_url("applicant")).url == reverse("intake:resume")
    thief.cookies["draft"] = "A" * 44  # a made-up browser key
    assert thief.get(step_url("applicant")).url == reverse("intake:resume")


def test_no_plaintext_in_the_database_or_session_while_filling(client):
    from django.contrib.sessions.models import Session
    from django.db import connection

    started(client)
    fill_all(client)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM intake_draft")
        rows = b"|".join(
            bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
            for row in cursor.fetchall()
            for value in row
        )
    assert len(rows) > 1000  # the encrypted answers are there
    sessions = repr([s.get_decoded() for s in Session.objects.all()]).encode()
    for haystack in (rows, sessions):
        assert MARKER.encode() not in haystack
        assert b"718 555" not in haystack
    assert Draft.objects.count() == 1


def test_convictions_are_added_one_by_one_and_can_be_removed(client):
    started(client)
    url = step_url("convictions")
    first = {"conviction-county": "Kings (Brooklyn)", "conviction-charge": "Assault 3"}
    assert client.post(url, first | {"action": "add"}).status_code == 302
    second = {"conviction-county": "Bronx", "conviction-charge": "Petit larceny"}
    assert client.post(url, second | {"action": "add"}).status_code == 302
    page = client.get(url)
    assert "Assault 3" in page.text
    assert "Petit larceny" in page.text
    assert client.post(url, {"action": "remove-0"}).status_code == 302
    page = client.get(url)
    assert "Assault 3" not in page.text
    assert "Petit larceny" in page.text


def test_typed_conviction_is_not_lost_when_continuing(client):
    started(client)
    url = step_url("convictions")
    half_filled = {"conviction-charge": "Burglary 2", "outside_ny": "no", "action": "next"}
    response = client.post(url, half_filled)
    assert response.status_code == 200
    assert 'value="Burglary 2"' in response.text
    assert "Please answer this question." in response.text  # the county


def test_at_least_one_conviction_is_needed(client):
    started(client)
    response = client.post(step_url("convictions"), {"outside_ny": "no", "action": "next"})
    assert response.status_code == 200
    assert "Please add at least one New York conviction." in response.text


def test_convictions_outside_new_york_get_a_kind_word(client):
    started(client)
    response = client.post(
        step_url("convictions"),
        {"conviction-county": "Erie", "conviction-charge": "DWI", "outside_ny": "yes"},
        follow=True,
    )
    assert "can only pardon New York convictions" in response.text
    assert response.redirect_chain[-1][0] == step_url("story")


PDF = pdf(f"certificate of disposition for {MARKER}", lines=20000)


def upload(client, name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        step_url("documents"),
        {"file": SimpleUploadedFile(name, content), "action": "upload"},
        follow=True,
    )


def stored_files(settings) -> list:
    from pathlib import Path

    root = Path(settings.STORAGES["documents"]["OPTIONS"]["location"])
    return [p for p in root.rglob("*") if p.is_file()]


def test_documents_are_encrypted_as_they_arrive_and_listed(client, settings):
    started(client)
    response = upload(client, f"{MARKER}.pdf", PDF)
    assert "The file is added." in response.text
    assert f"{MARKER}.pdf" in response.text  # the name, decrypted for this applicant only
    (stored,) = stored_files(settings)
    raw = stored.read_bytes()
    assert MARKER.encode() not in raw
    assert b"%PDF" not in raw
    assert MARKER not in stored.name


def test_disallowed_content_is_refused_whatever_the_name(client, settings):
    started(client)
    response = upload(client, "letter.pdf", b"MZ\x90\x00 this is a Windows program")
    assert "This file type is not accepted." in response.text
    assert stored_files(settings) == []


def test_oversize_files_are_refused_with_the_limit(client, settings):
    settings.INTAKE_MAX_UPLOAD_MB = 1
    started(client)
    response = upload(client, "big.pdf", b"%PDF-1.7\n" + b"x" * (2 * 1024 * 1024))
    assert "Each file can be up to 1 MB." in response.text
    assert stored_files(settings) == []


def test_no_file_chosen_is_explained(client):
    started(client)
    response = client.post(step_url("documents"), {"action": "upload"}, follow=True)
    assert "Choose a file first." in response.text


def test_a_document_can_be_removed(client, settings):
    started(client)
    upload(client, "photo.png", png())
    page = client.get(step_url("documents"))
    document_id = re.search(r'value="remove-([0-9a-f-]{36})"', page.text).group(1)
    client.post(step_url("documents"), {"action": f"remove-{document_id}"})
    assert "photo.png" not in client.get(step_url("documents")).text
    assert stored_files(settings) == []


def test_uploads_still_need_the_csrf_token(settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("intake:start"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    client.post(reverse("intake:start"), {"csrfmiddlewaretoken": token})
    response = client.post(step_url("documents"), {"file": SimpleUploadedFile("a.pdf", PDF)})
    assert response.status_code == 403
    assert stored_files(settings) == []


def test_documents_go_to_the_case_and_stay_readable(
    client, staff, django_capture_on_commit_callbacks
):
    from cases.models import Document
    from cases.services import document_read

    started(client)
    upload(client, f"{MARKER}.pdf", PDF)
    fill_all(client)
    with django_capture_on_commit_callbacks(execute=True):
        confirmation = client.post(reverse("intake:review"))
    reference = re.search(r"PP-[0-9A-Z]{4}-[0-9A-Z]{4}", confirmation.text).group(0)
    document = Document.objects.select_related("case").get(case__reference=reference)
    assert document.original_name == f"{MARKER}.pdf"
    assert document.content_type == "application/pdf"
    assert b"".join(document_read(document=document, actor=staff)) == PDF


def test_expired_drafts_take_their_files_with_them(client, settings):
    from datetime import timedelta

    from django.utils import timezone

    from intake.services import drafts_delete_expired

    started(client)
    upload(client, "a.pdf", PDF)
    assert len(stored_files(settings)) == 1
    Draft.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert drafts_delete_expired() == 1
    assert stored_files(settings) == []


def test_robots_filling_the_hidden_field_get_no_draft(client):
    response = client.post(reverse("intake:start"), {"website": "http://spam.example"})
    assert response.status_code == 429
    assert Draft.objects.count() == 0


def test_new_applications_are_limited_per_client(client, settings):
    settings.INTAKE_START_LIMIT = 2
    for _ in range(2):
        assert Client().post(reverse("intake:start")).status_code == 200
    assert Client().post(reverse("intake:start")).status_code == 429
    assert Draft.objects.count() == 2


def test_the_custody_step_applies_only_to_people_held(client):
    started(client)
    for identifier in ("filer", "applicant"):
        client.post(step_url(identifier), VALID[identifier] | {"action": "next"})
    at_home = VALID["contact"] | {"where_now": "home", "action": "next"}
    response = client.post(step_url("contact"), at_home)
    assert response.headers["Location"] == step_url("person_contact")
    assert client.get(step_url("custody")).headers["Location"] == step_url("person_contact")
    assert "Step 4 of 8" in client.get(step_url("immigration")).text

    held = VALID["contact"] | {"action": "next"}
    assert client.post(step_url("contact"), held).headers["Location"] == step_url("custody")
    page = client.get(step_url("custody"))
    assert "Step 3 of 8" in page.text  # a follow-up of "safe contact": the count holds
    assert f'href="{step_url("contact")}"' in page.text  # back goes to the step before
    client.post(step_url("custody"), VALID["custody"] | {"action": "next"})
    assert "Orange County Jail" in client.get(reverse("intake:review")).text

    # Back home: the answers about custody no longer apply, and are not kept or sent.
    client.post(step_url("contact"), at_home)
    review = client.get(reverse("intake:review"))
    assert "Orange County Jail" not in review.text
    assert "Where the person is held" not in review.text
    client.post(step_url("contact"), held)
    assert 'value="Orange County Jail"' not in client.get(step_url("custody")).text


def test_a_din_is_checked_and_tidied(client):
    started(client)
    client.post(step_url("contact"), VALID["contact"] | {"where_now": "state_prison"})
    bad = client.post(step_url("custody"), {"facility": "Sing Sing", "din": "12345"})
    assert "A DIN has two digits, a letter and four digits" in bad.text
    assert 'value="Sing Sing"' in bad.text
    good = client.post(step_url("custody"), {"facility": "Sing Sing", "din": "21 a-1234"})
    assert good.status_code == 302
    assert "21A1234" in client.get(reverse("intake:review")).text


@pytest.mark.parametrize(
    ("language", "birth", "conviction"),
    [
        ("en", "May 17, 1990", "March 2, 2014"),
        ("es", "17 de mayo de 1990", "2 de marzo de 2014"),
        ("fr", "17 mai 1990", "2 mars 2014"),
        ("ht", "17/05/1990", "02/03/2014"),
        ("ar", "17 مايو، 1990", "2 مارس، 2014"),
        ("bn", "17 মে, 1990", "2 মার্চ, 2014"),
    ],
)
def test_the_review_writes_dates_the_readers_way(client, language, birth, conviction):
    client.cookies["django_language"] = language
    started(client)
    fill_all(client)
    review = client.get(reverse("intake:review")).text
    assert birth in review
    assert conviction in review
    assert "1990-05-17" not in review


def test_deportation_details_and_imminent_removal(client, django_capture_on_commit_callbacks):
    started(client)
    future = client.post(step_url("immigration"), {"status": "none", "deported_on": "2999-01-01"})
    assert "Please check the date." in future.text
    valid_home = {
        **VALID,
        "contact": VALID["contact"] | {"where_now": "home"},
        "person_contact": {"reach": "through_filer"},
    }
    for step in STEPS:
        data = valid_home[step.identifier]
        if step.identifier == "immigration":
            data = {
                "status": "none",
                "removal_imminent": "yes",
                "deported_before": "yes",
                "deported_on": "2012-04-01",
                "deported_to": "Jamaica",
            }
        client.post(step_url(step.identifier), data | {"action": "next"})
    review = client.get(reverse("intake:review")).text
    assert "April 1, 2012" in review
    assert "Jamaica" in review
    with django_capture_on_commit_callbacks(execute=True):
        confirmation = client.post(reverse("intake:review"))
    reference = re.search(r"PP-[0-9A-Z]{4}-[0-9A-Z]{4}", confirmation.text).group(0)
    assert Case.objects.get(reference=reference).urgency == "P0"  # removal may be imminent
