"""The staff and attorney pages over HTTP: pipeline, case page, documents, notes, checklist,
urgency, action pages, asking the applicant for more, coordination and "My cases"."""

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import views, workflow
from cases.models import Case, CaseEvent, Conviction, Document, Note, State
from cases.services import case_set_identity_indexes, case_shred
from clemency.audit.models import AuditEvent
from tests.cases.conftest import add_document, make_case
from tests.documents import pdf
from tests.intake.test_views import fill_all, started

pytestmark = pytest.mark.django_db
MARKER = "-".join(["Marker", "Rosa", "Quispe"])
PDF = pdf(f"petition for {MARKER}", lines=5000)
ROW_REFERENCE = re.compile(r'dir="ltr">(PP-[0-9A-Z]{4}-[0-9A-Z]{4})</a></th>')


def url(name: str, case: Case, **kwargs) -> str:
    return reverse(f"cases:{name}", kwargs={"case_id": case.pk, **kwargs})


def case_page(client: Client, case: Case):
    response = client.get(url("case", case))
    assert response.status_code == 200
    return response


def listed(response) -> list[str]:
    """The references of the table rows, in order."""
    return ROW_REFERENCE.findall(response.text)


def pipeline(client: Client, **query):
    response = client.get(reverse("cases:pipeline"), query)
    assert response.status_code == 200
    return response


def stored_files(settings) -> list[Path]:
    root = Path(settings.STORAGES["documents"]["OPTIONS"]["location"])
    return [p for p in root.rglob("*") if p.is_file()]


def upload(client: Client, case: Case, kind: str | None, name: str, content: bytes):
    data = {"file": SimpleUploadedFile(name, content)}
    if kind is not None:
        data["kind"] = kind
    return client.post(url("document-upload", case), data, follow=True)


def events(case: Case, action: str) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case=case, action=action))


def audited(action: str, case: Case) -> int:
    return AuditEvent.objects.filter(action=action, case_id=case.pk).count()


# --- Pipeline -------------------------------------------------------------------------------------


def test_pipeline_counts_each_state_leaving_out_shredded_cases(client_for, staff):
    for state in (State.REVIEW, State.REVIEW, State.ACCEPTED, State.CLOSED, State.DECIDED):
        make_case(state)
    case_shred(case=make_case(State.REVIEW), actor=None, reason="test")
    text = pipeline(client_for("staff")).text
    assert '<a href="?state=review">screening: 2</a>' in text
    assert '<a href="?state=accepted">accepted, to match: 1</a>' in text
    assert '<a href="?state=closed">closed: 1</a>' in text
    assert '<a href="?state=decided">decided: 1</a>' in text
    assert '<a href="?state=intake">new: 0</a>' in text


def test_the_default_queue_is_open_cases_most_urgent_then_oldest(client_for):
    now = timezone.now()
    ages = {"p2_old": (State.REVIEW, "P2", 30), "p0_new": (State.ACCEPTED, "P0", 1)}
    ages |= {"p0_old": (State.DRAFTING, "P0", 20), "p4": (State.INTAKE, "P4", 40)}
    ages |= {"closed": (State.CLOSED, "P0", 50), "decided": (State.DECIDED, "P0", 50)}
    cases = {}
    for name, (state, urgency, days) in ages.items():
        cases[name] = make_case(state, urgency=urgency)
        Case.objects.filter(pk=cases[name].pk).update(created_at=now - timedelta(days=days))
    order = ["p0_old", "p0_new", "p2_old", "p4"]
    assert listed(pipeline(client_for("staff"))) == [cases[n].reference for n in order]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"state": "closed"}, ["closed"]),
        ({"urgency": "P1"}, ["urgent"]),
        ({"county": "Queens"}, ["queens"]),
        ({"language": "es"}, ["spanish"]),
        ({"overdue": "on"}, ["overdue"]),
        ({"q": "pp-abcd"}, ["urgent"]),
        ({"q": "wxyz"}, ["spanish"]),
    ],
)
def test_each_filter_and_the_search(client_for, query, expected):
    today = timezone.localdate()
    cases = {
        "urgent": make_case(State.REVIEW, urgency="P1", reference="PP-ABCD-1234"),
        "queens": make_case(State.REVIEW, reference="PP-2345-6789"),
        "spanish": make_case(State.REVIEW, language="es", reference="PP-WXYZ-5678"),
        "overdue": make_case(State.NEEDS_INFO, next_deadline=today - timedelta(days=1)),
        "due_today": make_case(State.NEEDS_INFO, next_deadline=today),
        "closed": make_case(State.CLOSED),
    }
    Conviction.objects.create(case=cases["queens"], county="Queens", charge="Petit larceny")
    Conviction.objects.create(case=cases["queens"], county="Queens", charge="Assault 3")
    Conviction.objects.create(case=cases["urgent"], county="Bronx", charge="Assault 3")
    found = listed(pipeline(client_for("staff"), **query))
    assert found == [cases[name].reference for name in expected]


def test_the_attorney_filter(client_for, attorney, other_attorney):
    mine = make_case(State.DRAFTING, attorney=attorney)
    make_case(State.DRAFTING, attorney=other_attorney)
    make_case(State.ACCEPTED)
    assert listed(pipeline(client_for("staff"), attorney=attorney.pk)) == [mine.reference]


def test_invalid_filter_values_show_the_open_queue(client_for):
    case = make_case(State.REVIEW)
    make_case(State.CLOSED)
    bad = {"state": "bogus", "urgency": "P9", "attorney": "abc", "county": "Atlantis"}
    response = pipeline(client_for("staff"), **bad, page="xyz")
    assert listed(response) == [case.reference]


def test_pagination_keeps_the_filters(client_for, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    now = timezone.now()
    cases = [make_case(State.REVIEW, language="es") for _ in range(5)]
    make_case(State.REVIEW, language="fr")
    for days, case in enumerate(cases):
        Case.objects.filter(pk=case.pk).update(created_at=now - timedelta(days=10 - days))
    client = client_for("staff")
    second = pipeline(client, language="es", page=2)
    assert listed(second) == [cases[2].reference, cases[3].reference]
    assert "Page 2 of 3" in second.text
    assert 'href="?language=es&amp;page=3"' in second.text
    assert 'href="?language=es&amp;page=1"' in second.text
    assert listed(pipeline(client, language="es", page=3)) == [cases[4].reference]


def test_pipeline_queries_do_not_grow_with_the_rows(client_for, attorney):
    client = client_for("staff")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            pipeline(client)
        return len(captured.captured_queries)

    for _ in range(3):
        make_case(State.DRAFTING, attorney=attorney, next_deadline=timezone.localdate())
    pipeline(client)  # warm the caches
    few = queries()
    for _ in range(27):
        make_case(State.DRAFTING, attorney=attorney, next_deadline=timezone.localdate())
    assert len(listed(pipeline(client))) == 30
    assert queries() == few


def test_the_pipeline_shows_no_personal_data(client_for):
    case = make_case(State.REVIEW)
    applicant = case.applicant
    applicant.legal_name, applicant.a_number = f"{MARKER} Mamani", "A987654321"
    applicant.save()
    Conviction.objects.create(case=case, county="Kings", charge=f"{MARKER} charge")
    text = pipeline(client_for("staff")).text
    assert case.reference in text
    assert MARKER not in text
    assert "987654321" not in text


# --- The case page --------------------------------------------------------------------------------


ANSWERS = {
    "applicant": {
        "legal_name": f"{MARKER} Mamani",
        "surname": "Mamani",
        "date_of_birth": "1990-05-17",
        "country_of_birth": "Peru",
        "language": "es",
        "interpreter": True,
    },
    "contact": {"where_now": "home", "method": "phone", "phone": "+1 718 555 0199"},
}


def test_staff_see_the_decrypted_case(client_for):
    case = make_case(State.REVIEW)
    applicant = case.applicant
    applicant.legal_name, applicant.a_number = f"{MARKER} Mamani", "A987654321"
    applicant.answers = ANSWERS
    applicant.save()
    Conviction.objects.create(
        case=case,
        county="Queens",
        court="Queens Criminal Court",
        charge="Criminal possession of stolen property",
        docket="2014QN012345",
        convicted_on=date(2014, 3, 2),
        sentence="Conditional discharge",
        sentence_complete=True,
    )
    text = case_page(client_for("staff"), case).text
    assert f'<dd dir="ltr">{MARKER} Mamani</dd>' in text
    assert '<dd dir="ltr">A987654321</dd>' in text
    for value in ("Criminal possession of stolen property", "2014QN012345", "03/02/2014"):
        assert value in text
    assert "Conditional discharge" in text
    # The application, with the intake's questions as labels, dates written the reader's way.
    assert '<dt>Country of birth</dt><dd dir="ltr">Peru</dd>' in text
    assert '<dt>Date of birth</dt><dd dir="ltr">May 17, 1990</dd>' in text
    assert '<dt>How can we contact you safely?</dt><dd dir="ltr">Phone call</dd>' in text
    assert '<dt>Phone number</dt><dd dir="ltr">+1 718 555 0199</dd>' in text
    assert '<dt>Does the person need an interpreter?</dt><dd dir="ltr">Yes</dd>' in text


def test_each_view_of_a_case_is_audited(client_for):
    case = make_case(State.REVIEW)
    client = client_for("staff")
    case_page(client, case)
    assert audited("case.viewed", case) == 1
    case_page(client, case)
    assert audited("case.viewed", case) == 2


def test_staff_on_a_case_in_screening_may_accept_or_close(client_for):
    case = make_case(State.REVIEW)
    text = case_page(client_for("staff"), case).text
    assert ">Accept</button>" in text
    assert f'href="{url("case-close", case)}">Close or decline…</a>' in text
    assert f'href="{url("case-request-info", case)}"' in text
    assert "Match a volunteer attorney" not in text
    assert "Ask for review of the draft" not in text


def test_a_coordinator_sees_how_to_match_an_accepted_case(client_for):
    case = make_case(State.ACCEPTED)
    text = case_page(client_for("coordinator"), case).text
    assert f'href="{url("case-assign", case)}">Match a volunteer attorney…</a>' in text
    assert "Choose a volunteer attorney first." not in text  # the form chooses one


def test_a_coordinator_records_the_filing_once_the_documents_are_in(client_for, attorney):
    case = make_case(State.QA_REVIEW, attorney=attorney)
    add_document(case, Document.Kind.FINAL_PETITION)
    client = client_for("coordinator")
    missing = "Before recording the filing, upload the final petition and the proof of filing."
    text = case_page(client, case).text
    assert missing in text
    assert f'href="{url("case-submit", case)}"' not in text
    add_document(case, Document.Kind.FILING_PROOF)  # the client's sign-off comes with the form
    text = case_page(client, case).text
    assert f'href="{url("case-submit", case)}"' in text
    assert missing not in text


def test_the_assigned_attorney_asks_for_review_once_a_draft_is_in(client_for, attorney):
    case = make_case(State.DRAFTING, attorney=attorney)
    client = client_for("attorney")
    text = case_page(client, case).text
    assert "Ask for review of the draft: Upload a draft petition first." in text
    assert "Ask for review of the draft</button>" not in text
    add_document(case, Document.Kind.DRAFT_PETITION)
    text = case_page(client, case).text
    assert "Ask for review of the draft</button>" in text
    assert "Upload a draft petition first." not in text
    for other in ("Release the attorney", "Close or decline", "Give to another attorney"):
        assert other not in text


def test_possible_duplicates_are_shown_to_staff_only(client_for, attorney):
    case = make_case(State.DRAFTING, attorney=attorney)
    twin = make_case(State.REVIEW)
    unrelated = make_case(State.REVIEW)
    for each in (case, twin):
        case_set_identity_indexes(
            case=each, a_number="A-123-456-789", surname=None, date_of_birth=None
        )
    case_set_identity_indexes(
        case=unrelated, a_number="A-999-888-777", surname=None, date_of_birth=None
    )
    staff_text = case_page(client_for("staff"), case).text
    assert "Possible duplicate" in staff_text
    assert twin.reference in staff_text
    assert unrelated.reference not in staff_text
    attorney_text = case_page(client_for("attorney"), case).text
    assert "Possible duplicate" not in attorney_text
    assert twin.reference not in attorney_text


# --- Documents ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "state", "kind"),
    [("attorney", State.DRAFTING, "draft_petition"), ("staff", State.REVIEW, "rap_sheet")],
)
def test_uploads_are_encrypted_and_download_as_they_came(
    client_for, attorney, settings, persona, state, kind
):
    case = make_case(state, attorney=attorney if persona == "attorney" else None)
    client = client_for(persona)
    response = upload(client, case, kind, f"{MARKER}.pdf", PDF)
    assert "The file is added." in response.text
    assert f"{MARKER}.pdf" in response.text  # listed on the case page
    document = Document.objects.get(case=case)
    assert (document.kind, document.size, document.content_type) == (
        kind,
        len(PDF),
        "application/pdf",
    )
    (stored,) = stored_files(settings)
    raw = stored.read_bytes()
    assert MARKER.encode() not in raw
    assert b"%PDF" not in raw
    assert audited("document.downloaded", case) == 0

    download = client.get(url("document-download", case, document_id=document.pk))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"] == f'attachment; filename="{MARKER}.pdf"'
    assert download["Content-Type"] == "application/pdf"
    assert audited("document.downloaded", case) == 1


@pytest.mark.parametrize(
    ("name", "content"),
    [("notes.txt", b"just some plain text\n" * 10), ("letter.pdf", b"MZ\x90\x00 a program")],
)
def test_disallowed_file_types_are_refused(client_for, settings, name, content):
    case = make_case(State.REVIEW)
    response = upload(client_for("staff"), case, "rap_sheet", name, content)
    assert "This file type is not accepted: PDF, JPEG, PNG, HEIC or Word only." in response.text
    assert not Document.objects.filter(case=case).exists()
    assert stored_files(settings) == []


def test_staff_may_not_upload_petitions(client_for, settings):
    case = make_case(State.REVIEW)
    client = client_for("staff")
    text = case_page(client, case).text
    assert 'value="rap_sheet"' in text
    assert 'value="draft_petition"' not in text
    assert 'value="final_petition"' not in text
    response = upload(client, case, "draft_petition", "draft.pdf", PDF)
    assert "Choose the kind of document." in response.text
    assert not Document.objects.filter(case=case).exists()
    assert stored_files(settings) == []


def test_an_upload_without_a_file_is_explained(client_for, settings):
    case = make_case(State.REVIEW)
    response = client_for("staff").post(
        url("document-upload", case), {"kind": "rap_sheet"}, follow=True
    )
    assert "Choose a file first." in response.text
    assert not Document.objects.filter(case=case).exists()


# --- Notes, checklist, urgency --------------------------------------------------------------------


def test_notes_are_stored_encrypted_and_shown(client_for):
    case = make_case(State.REVIEW)
    text = f"{MARKER} called back; her lawyer is in Queens."
    response = client_for("staff").post(url("case-note", case), {"text": text}, follow=True)
    assert "The note is added." in response.text
    assert f'<p dir="auto">{MARKER} called back; her lawyer is in Queens.</p>' in response.text
    assert Note.objects.get(case=case).text == text
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM cases_note")
        (raw,) = (row[0] for row in cursor.fetchall())
    raw = bytes(raw) if isinstance(raw, bytes | memoryview) else str(raw).encode()
    assert len(raw) > len(text)
    assert MARKER.encode() not in raw
    assert b"Queens" not in raw


def test_an_empty_note_is_explained(client_for):
    case = make_case(State.REVIEW)
    response = client_for("staff").post(url("case-note", case), {"text": "   "}, follow=True)
    assert "Write the note first." in response.text
    assert not Note.objects.filter(case=case).exists()


def test_changing_the_urgency_needs_a_reason(client_for):
    case = make_case(State.REVIEW, urgency="P3")
    client = client_for("staff")
    refused = client.post(url("case-urgency", case), {"urgency": "P0"})
    assert refused.status_code == 400
    assert "Please give a reason." in refused.text
    assert '<option value="P0" selected>' in refused.text  # what was chosen is kept
    case.refresh_from_db()
    assert case.urgency == "P3"
    assert events(case, "urgency_set") == []

    reason = "ICE check-in moved to next week"
    response = client.post(url("case-urgency", case), {"urgency": "P0", "reason": reason})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.urgency == "P0"
    (event,) = events(case, "urgency_set")
    assert (event.reason, event.data) == (reason, {"from": "P3", "to": "P0", "override": True})
    text = case_page(client, case).text
    assert "<strong>Urgency changed</strong>" in text
    assert f'<p dir="auto">{reason}</p>' in text


# --- Action pages ---------------------------------------------------------------------------------


def test_the_close_page_carries_the_state_seen(client_for):
    case = make_case(State.REVIEW)
    response = client_for("staff").get(url("case-close", case))
    assert response.status_code == 200
    assert re.search(r'<input type="hidden" name="expected_state" value="review"', response.text)
    assert "Why is the case closed?" in response.text


def test_closing_without_a_reason_keeps_what_was_typed(client_for):
    case = make_case(State.REVIEW)
    data = {"expected_state": "review", "closure_reason": "ineligible", "reason": ""}
    response = client_for("staff").post(url("case-close", case), data)
    assert response.status_code == 400
    assert "Please give a reason." in response.text
    assert '<option value="ineligible" selected>' in response.text
    case.refresh_from_db()
    assert case.state == State.REVIEW


def test_closing_a_case_that_moved_on_is_a_conflict(client_for, staff):
    case = make_case(State.REVIEW)
    client = client_for("staff")
    assert client.get(url("case-close", case)).status_code == 200
    workflow.case_accept(case=Case.objects.get(pk=case.pk), actor=staff, expected_state="review")
    reason = "Referred to the Bronx Defenders"
    data = {
        "expected_state": "review",
        "closure_reason": "declined",
        "reason": reason,
        "referrals": ["other"],
    }
    response = client.post(url("case-close", case), data)
    assert response.status_code == 409
    assert "Someone else acted on this case" in response.text
    assert "The case has changed" in response.text
    assert f">\n{reason}</textarea>" in response.text
    # Closing still applies to the accepted case: sending again decides on the case as it is now.
    assert re.search(r'<input type="hidden" name="expected_state" value="accepted"', response.text)
    assert '<option value="declined" selected>' in response.text
    case.refresh_from_db()
    assert (case.state, case.closure_reason) == (State.ACCEPTED, "")
    assert events(case, "close") == []


# --- Asking the applicant for more ----------------------------------------------------------------


def test_asking_for_more_shows_on_the_applicants_status_page(
    client_for, staff, django_capture_on_commit_callbacks
):
    applicant = Client()
    started(applicant)
    fill_all(applicant)
    with django_capture_on_commit_callbacks(execute=True):
        confirmation = applicant.post(reverse("intake:review"))
    reference = re.search(r"PP-[0-9A-Z]{4}-[0-9A-Z]{4}", confirmation.text).group(0)
    status_code = re.search(
        r'<dd class="code"[^>]*>([0-9A-Z]{4}-[0-9A-Z]{4})</dd>', confirmation.text
    ).group(1)
    case = Case.objects.get(reference=reference)
    workflow.case_start_review(case=case, actor=staff, expected_state="intake")

    data = {"expected_state": "review", "items": ["rap_sheet", "call"]}
    response = client_for("staff").post(url("case-request-info", case), data, follow=True)
    assert "Done: Ask the applicant for more." in response.text
    assert "a New York rap sheet, a phone call with our team" in response.text
    case.refresh_from_db()
    assert case.state == State.NEEDS_INFO
    assert case.info_requested == ["rap_sheet", "call"]
    assert case.next_deadline == timezone.localdate() + timedelta(days=30)

    status = applicant.post(
        reverse("intake:status"), {"reference": reference, "status_code": status_code}, follow=True
    )
    assert status.status_code == 200
    assert "To go on, we need from you:" in status.text
    assert "<li>a New York rap sheet</li>" in status.text
    assert "<li>a phone call with our team</li>" in status.text
    assert "immigration papers" not in status.text


# --- Coordination and "My cases" ------------------------------------------------------------------


def table(text: str, caption: str) -> str:
    start = text.index(f"<caption>{caption}</caption>")
    return text[start : text.index("</table>", start)]


def test_coordination_lists_the_cases_to_act_on_and_each_attorneys_load(
    client_for, attorney, other_attorney, volunteer
):
    accepted = make_case(State.ACCEPTED)
    in_review = make_case(State.QA_REVIEW, attorney=attorney)
    filed = make_case(State.SUBMITTED, attorney=attorney)
    drafting = make_case(State.DRAFTING, attorney=attorney)
    decided = make_case(State.DECIDED, attorney=attorney)
    drafting_other = make_case(State.DRAFTING, attorney=other_attorney)
    screening = make_case(State.REVIEW)
    response = client_for("coordinator").get(reverse("cases:coordination"))
    assert response.status_code == 200
    text = response.text
    sections = {
        "Accepted, waiting for a volunteer attorney": accepted,
        "Drafts waiting for your review": in_review,
        "Filed, waiting for the decision": filed,
    }
    for caption, case in sections.items():
        assert ROW_REFERENCE.findall(table(text, caption)) == [case.reference]
    for absent in (drafting, decided, drafting_other, screening):
        assert absent.reference not in text
    attorneys = re.findall(
        r"<tr><td>([^<]+)</td><td>(\d+)</td></tr>", table(text, "Volunteer attorneys")
    )
    assert attorneys == [
        ("attorney1@example.org", "3"),
        ("attorney2@example.org", "1"),
        ("attorney3@example.org", "0"),
    ]


def test_my_cases_lists_only_the_attorneys_cases_with_the_next_step(
    client_for, attorney, other_attorney
):
    drafting = make_case(State.DRAFTING, attorney=attorney, urgency="P0")
    in_review = make_case(State.QA_REVIEW, attorney=attorney, urgency="P1")
    others = make_case(State.DRAFTING, attorney=other_attorney)
    unassigned = make_case(State.ACCEPTED)
    response = client_for("attorney").get(reverse("cases:my-cases"))
    assert response.status_code == 200
    assert listed(response) == [drafting.reference, in_review.reference]
    rows = response.text.split("<tr>")
    (drafting_row,) = [row for row in rows if drafting.reference in row]
    (review_row,) = [row for row in rows if in_review.reference in row]
    assert "Draft the petition, upload it, then ask for review." in drafting_row
    assert "The coordinator is reviewing your draft." in review_row
    assert others.reference not in response.text
    assert unassigned.reference not in response.text


def test_a_filter_that_cannot_be_used_is_named_and_the_others_still_apply(client_for):
    make_case(State.REVIEW, urgency="P0")
    make_case(State.REVIEW, urgency="P3")
    response = client_for("staff").get(
        reverse("cases:pipeline"), {"urgency": "P0", "attorney": "999999"}
    )
    assert response.status_code == 200
    assert "These filters could not be used and are left out: Volunteer attorney" in response.text
    assert response.text.count('<span class="tag P0">') == 1
    assert '<span class="tag P3">' not in response.text
