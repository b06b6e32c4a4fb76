"""Screening that knows the law (DESIGN.md §6, ADR 0020): convictions' facts, the screening
record and its guidance, declining with a referral, the fingerprint warning, consent before
filing, outcomes per conviction and what follows them, applying again."""

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cases import decisions, screening, workflow
from cases.models import (
    Applicant,
    Case,
    CaseEvent,
    Conviction,
    ConvictionOutcome,
    Deadline,
    Document,
    Note,
    Screening,
    State,
)
from cases.services import CaseError, case_set_identity_indexes
from clemency.audit.models import AuditEvent
from intake.models import Draft
from intake.services import draft_save_step, draft_start, draft_submit
from tests.cases.conftest import decision_data, make_case, screen

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def url(name: str, case: Case, **kwargs) -> str:
    return reverse(f"cases:{name}", kwargs={"case_id": case.pk, **kwargs})


def events(case: Case, action: str) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case=case, action=action))


# --- Accepting needs a completed screening --------------------------------------------------------


def test_accept_is_refused_without_a_completed_screening(staff):
    case = make_case(State.REVIEW, screened=False)
    conviction = Conviction.objects.create(case=case, county="Queens", charge="Burglary")
    with pytest.raises(CaseError, match="Complete the screening first"):
        workflow.case_accept(case=case, actor=staff, expected_state=State.REVIEW)
    assert screening.screening_problems(case) == [
        "Choose the relief sought.",
        "Conviction 1: give its offense category, whether the sentence is complete, "
        "the grounds for deportation at stake.",
    ]
    conviction.category, conviction.sentence_status = "theft_fraud", "complete"
    conviction.save()
    screening.case_save_screening(
        case=case, actor=staff, relief="pardon", grounds={str(conviction.pk): ["cimt"]}
    )
    workflow.case_accept(case=case, actor=staff, expected_state=State.REVIEW)
    assert Case.objects.get(pk=case.pk).state == State.ACCEPTED


def test_a_case_without_convictions_cannot_be_accepted(staff):
    case = make_case(State.REVIEW, screened=False)
    screening.case_save_screening(case=case, actor=staff, relief="pardon", grounds={})
    assert "Add at least one New York conviction." in screening.screening_problems(case)
    with pytest.raises(CaseError, match="Complete the screening first"):
        workflow.case_accept(case=case, actor=staff, expected_state=State.REVIEW)


def test_accept_over_http_says_what_screening_lacks_then_works(client_for):
    case = make_case(State.REVIEW, screened=False)
    conviction = Conviction.objects.create(case=case, county="Kings", charge="Sale of heroin")
    client = client_for("staff")
    page = client.get(url("case", case)).text
    assert "The screening is not complete:" in page
    assert "Accept: Complete the screening first" in page  # the button is held back, with why
    response = client.post(url("case-accept", case), {"expected_state": State.REVIEW})
    assert response.status_code == 400
    assert "Complete the screening first" in response.text
    assert Case.objects.get(pk=case.pk).state == State.REVIEW

    facts = {
        "county": "Kings (Brooklyn)",
        "charge": "Sale of heroin",
        "statute": "PL 220.39(1)",
        "offense_class": "felony_b",
        "category": "controlled_substance",
        "plea": "plea",
        "sentence_kind": "prison",
        "sentence_days": "1095",
        "sentence_status": "parole",
    }
    assert (
        client.post(url("conviction", case, conviction_id=conviction.pk), facts).status_code == 302
    )
    screened = {"relief": "both", f"grounds_{conviction.pk}": ["controlled_substance"]}
    response = client.post(url("case-screening", case), screened, follow=True)
    assert "The screening is saved." in response.text
    assert "The screening is complete." in response.text
    assert client.post(url("case-accept", case), {"expected_state": "review"}).status_code == 302
    assert Case.objects.get(pk=case.pk).state == State.ACCEPTED


def test_no_ground_and_some_grounds_cannot_both_be_chosen(client_for):
    case = make_case(State.REVIEW)
    conviction = case.convictions.get()
    data = {"relief": "pardon", f"grounds_{conviction.pk}": ["none", "cimt"]}
    response = client_for("staff").post(url("case-screening", case), data)
    assert response.status_code == 400
    assert "either some grounds for deportation or none" in response.text
    assert Conviction.objects.get(pk=conviction.pk).removal_grounds == ["cimt"]  # unchanged


# --- The guidance differs with the facts ----------------------------------------------------------


def test_the_screening_page_shows_guidance_with_reasons_and_sources(client_for):
    drugs = make_case(State.REVIEW, screened=False)
    screen(drugs, category="controlled_substance", removal_grounds=["controlled_substance"])
    theft = make_case(State.REVIEW, screened=False)
    screen(theft, category="theft_fraud", removal_grounds=["cimt"])
    client = client_for("staff")
    drug_page = client.get(url("case-screening", drugs)).text
    theft_page = client.get(url("case-screening", theft)).text
    assert (
        "A pardon would not waive this ground for deportation: controlled substance." in drug_page
    )
    assert "Consider vacatur (CPL 440.10)" in drug_page
    assert "could waive this ground" not in drug_page
    assert (
        "A full and unconditional pardon could waive this ground for deportation: crime "
        "involving moral turpitude." in theft_page
    )
    assert "INA § 237(a)(2)(A)(vi)" in theft_page
    assert "Matter of Suh" in drug_page
    assert "It is guidance, not a legal decision" in theft_page
    viewed = AuditEvent.objects.filter(action="case.viewed", case_id=drugs.pk)
    assert viewed.filter(data__page="screening").exists()  # the decrypted facts were read


def test_the_guidance_reads_the_application(client_for):
    case = make_case(State.REVIEW)
    Applicant.objects.filter(case=case).delete()
    Applicant.objects.create(
        case=case,
        legal_name="Person",
        answers={
            "immigration": {"deported_before": True},
            "convictions": {"outside_ny": True},
        },
    )
    page = client_for("staff").get(url("case-screening", case)).text
    assert "the Governor of New York cannot pardon them" in page
    assert "not grounds of inadmissibility" in page


# --- A conviction's facts ------------------------------------------------------------------------


def test_conviction_facts_are_edited_encrypted_and_audited_without_values(client_for, attorney):
    case = make_case(State.DRAFTING, attorney=attorney)
    conviction = case.convictions.get()
    data = {
        "county": "Bronx",
        "court": "Bronx Supreme Court",
        "charge": "Robbery in the second degree",
        "statute": "PL 160.10-Marker",
        "offense_class": "felony_c",
        "category": "violence",
        "plea": "jury",
        "docket": "IND-1234-2015",
        "convicted_on": "2015-06-01",
        "sentence": "3 years",
        "sentence_kind": "prison",
        "sentence_days": "1095",
        "sentence_status": "complete",
        "sentence_completed_on": "2019-06-01",
        "youthful_offender": "no",
        "sealed": "yes",
    }
    response = client_for("attorney").post(
        url("conviction", case, conviction_id=conviction.pk), data
    )
    assert response.status_code == 302
    saved = Conviction.objects.get(pk=conviction.pk)
    assert (saved.statute, saved.sentence_days, saved.sealed) == ("PL 160.10-Marker", 1095, True)
    assert (saved.category, saved.county, saved.status) == ("violence", "Bronx", "complete")
    (event,) = events(case, "conviction_changed")
    assert "statute" in event.data["fields"]
    assert event.actor == attorney
    audit = AuditEvent.objects.get(action="case.conviction_changed", case_id=case.pk)
    assert "Marker" not in str(audit.data)
    assert "1095" not in str(audit.data)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statute, sentence_days FROM cases_conviction")
        for column in cursor.fetchone():
            assert b"Marker" not in bytes(column)
            assert b"1095" not in bytes(column)


def test_bad_conviction_facts_are_refused_keeping_what_was_typed(client_for):
    case = make_case(State.REVIEW)
    conviction = case.convictions.get()
    data = {
        "county": "Queens",
        "charge": "Assault-Typed",
        "sentence_days": "a year",
        "sentence_status": "in_custody",
        "sentence_completed_on": "2020-01-01",
    }
    response = client_for("staff").post(url("conviction", case, conviction_id=conviction.pk), data)
    assert response.status_code == 400
    assert "Give a whole number of days." in response.text
    assert "A sentence still being served has no completion date yet." in response.text
    assert 'value="Assault-Typed"' in response.text
    assert Conviction.objects.get(pk=conviction.pk).charge == "Petit larceny"


def test_staff_add_a_conviction_and_another_attorney_cannot(client_for, attorney):
    case = make_case(State.REVIEW)
    data = {"county": "Queens", "charge": "Petit larceny", "category": "theft_fraud"}
    assert client_for("staff").post(url("conviction-add", case), data).status_code == 302
    assert case.convictions.count() == 2
    assert events(case, "conviction_added")
    drafting = make_case(State.DRAFTING, attorney=attorney)
    other = client_for("other_attorney")
    assert other.post(url("conviction-add", drafting), data).status_code == 404


# --- Declining: a reason and a referral, shown to the applicant ----------------------------------


def opened_application(django_capture_on_commit_callbacks, *, language="en", answers=None):
    """A submitted application opened into its case: (case, reference, status code)."""
    draft, dek, _code = draft_start(language=language)
    for step, data in (answers or {"story": {"text": "Private story."}}).items():
        draft_save_step(draft=draft, dek=dek, step=step, data=data)
    with django_capture_on_commit_callbacks(execute=True):
        reference, status_code = draft_submit(draft=draft, dek=dek)
    return Case.objects.get(pk=draft.pk), reference, status_code


def test_declining_needs_a_referral_and_the_status_page_shows_it(
    client_for, staff, coordinator, django_capture_on_commit_callbacks
):
    case, reference, code = opened_application(django_capture_on_commit_callbacks, language="ht")
    workflow.case_start_review(case=case, actor=staff, expected_state=State.INTAKE)
    with pytest.raises(CaseError, match="say where the person can turn instead"):
        workflow.case_close(
            case=case,
            actor=staff,
            expected_state=State.REVIEW,
            closure_reason="ineligible",
            reason="Drug conviction only.",
        )
    client = client_for("staff")
    data = {"expected_state": "review", "closure_reason": "ineligible", "reason": "Drugs."}
    refused = client.post(url("case-close", case), data)
    assert refused.status_code == 400
    assert "When you decline, say where the person can turn instead." in refused.text
    assert ">\nDrugs.</textarea>" in refused.text  # what was typed is kept
    data["referrals"] = ["vacatur", "immigration_counsel"]
    assert client.post(url("case-close", case), data).status_code == 302
    case.refresh_from_db()
    assert case.referrals == ["immigration_counsel", "vacatur"]
    assert Draft.objects.get(pk=case.pk).referrals == ["immigration_counsel", "vacatur"]

    applicant = client_for("anonymous")
    applicant.cookies["django_language"] = "ht"
    page = applicant.post(
        reverse("intake:status"), {"reference": reference, "status_code": code}, follow=True
    ).text
    from django.utils import translation

    from clemency.common.status import REFERRAL_SENTENCES

    with translation.override("ht"):
        for code_ in ("vacatur", "immigration_counsel"):
            assert str(REFERRAL_SENTENCES[code_]) in page
        assert str(REFERRAL_SENTENCES["sealing"]) not in page
    assert "Drugs." not in page  # what staff wrote stays on the staff side

    # Reopened: the referral is no longer shown.
    case.refresh_from_db()
    workflow.case_reopen(case=case, actor=coordinator, expected_state="closed", reason="New.")
    assert Case.objects.get(pk=case.pk).referrals == []
    assert Draft.objects.get(pk=case.pk).referrals == []


def test_closing_for_other_reasons_needs_no_referral_and_keeps_none(staff):
    case = make_case(State.REVIEW)
    workflow.case_close(
        case=case,
        actor=staff,
        expected_state=State.REVIEW,
        closure_reason="withdrawn",
        reason="The person withdrew.",
        referrals=["sealing"],
    )
    assert Case.objects.get(pk=case.pk).referrals == []


# --- The rap-sheet warning -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "warned"),
    [
        ({"immigration": {"deported_before": True}}, True),
        ({"contact": {"where_now": "outside_us"}}, True),
        ({"immigration": {"deported_before": False}, "contact": {"where_now": "home"}}, False),
        ({"immigration": {"deported_before": None}}, False),
        ({}, False),
    ],
)
def test_the_rap_sheet_warning_appears_exactly_for_people_deported_before(
    client_for, staff, answers, warned
):
    case = make_case(State.REVIEW)
    Applicant.objects.filter(case=case).update(answers=None)
    applicant = case.applicant
    applicant.answers = answers
    applicant.save()
    client = client_for("staff")
    page = client.get(url("case-request-info", case)).text
    warning = "a fingerprint-based record request can alert immigration"
    assert (warning in page) is warned
    assert ('name="fingerprint_risk_confirmed"' in page) is warned
    data = {"expected_state": "review", "items": ["rap_sheet"]}
    response = client.post(url("case-request-info", case), data)
    if warned:
        assert response.status_code == 400
        assert warning in response.text
        assert Case.objects.get(pk=case.pk).state == State.REVIEW
        with pytest.raises(CaseError, match="fingerprint"):
            workflow.case_request_info(
                case=case, actor=staff, expected_state="review", items=["rap_sheet"]
            )
        data["fingerprint_risk_confirmed"] = "on"
        response = client.post(url("case-request-info", case), data)
    assert response.status_code == 302
    (event,) = events(case, "request_info")
    assert event.data.get("fingerprint_risk_confirmed", False) is warned


def test_the_status_page_never_asks_a_deported_person_for_a_rap_sheet_unconfirmed(
    client_for, django_capture_on_commit_callbacks
):
    case, reference, code = opened_application(
        django_capture_on_commit_callbacks,
        answers={"immigration": {"deported_before": True}},
    )
    client = client_for("staff")
    client.post(url("case-start-review", case), {"expected_state": "intake"})
    data = {"expected_state": "review", "items": ["rap_sheet", "call"]}
    assert client.post(url("case-request-info", case), data).status_code == 400
    assert Draft.objects.get(pk=case.pk).requested == []
    page = client_for("anonymous").post(
        reverse("intake:status"), {"reference": reference, "status_code": code}, follow=True
    )
    assert "rap sheet" not in page.text


# --- Consent: the person's own, before filing -----------------------------------------------------


def test_a_family_members_word_is_not_enough_to_file(client_for, coordinator, attorney):
    case = make_case(State.QA_REVIEW, attorney=attorney, ready=True, consented=False)
    Case.objects.filter(pk=case.pk).update(consent_by="on_behalf")
    client = client_for("coordinator")
    page = client.get(url("case", case)).text
    assert "The person's own consent still needs to be taken." in page
    data = {"expected_state": "qa_review", "filed_on": TODAY, "channel": "mail"}
    data["signed_off_on"] = TODAY
    response = client.post(url("case-submit", case), data)
    assert response.status_code == 400
    assert "Record the person&#x27;s own consent first" in response.text
    bad = client.post(
        url("case-consent", case), {"consent-on": "2999-01-01", "consent-how": "call"}
    )
    assert bad.status_code == 400
    assert "This date is in the future." in bad.text
    consent = {"consent-on": TODAY.isoformat(), "consent-how": "visit"}
    assert client.post(url("case-consent", case), consent).status_code == 302
    (event,) = events(case, "consent_recorded")
    assert event.data == {"how": "visit"}  # codes only; the date is on the case
    again = client.post(
        url("case-consent", case), {"consent-on": "2001-01-01", "consent-how": "call"}
    )
    assert again.status_code == 400
    assert "recorded already" in again.text
    assert Case.objects.get(pk=case.pk).person_consent_how == "visit"
    assert client.post(url("case-submit", case), data).status_code == 302
    assert Case.objects.get(pk=case.pk).state == State.SUBMITTED


def test_an_attorney_cannot_record_consent(client_for, attorney):
    case = make_case(State.DRAFTING, attorney=attorney, consented=False)
    consent = {"consent-on": TODAY.isoformat(), "consent-how": "call"}
    assert client_for("attorney").post(url("case-consent", case), consent).status_code == 403
    assert Case.objects.get(pk=case.pk).person_consent_on is None


@pytest.mark.parametrize(
    ("who", "consent_by", "taken"),
    [
        ("applicant", "person", True),
        ("family", "on_behalf", False),
        ("attorney", "on_behalf", False),
    ],
)
def test_opening_records_who_consented(django_capture_on_commit_callbacks, who, consent_by, taken):
    case, _reference, _code = opened_application(
        django_capture_on_commit_callbacks,
        answers={"filer": {"who": who}, "consent": {"understood": True, "agrees": True}},
    )
    assert case.consent_by == consent_by
    assert (case.person_consent_on is not None) is taken
    assert case.person_consent_how == ("application" if taken else "")


# --- Outcomes per conviction and relief -----------------------------------------------------------


def test_a_decision_per_conviction_and_relief_with_the_conditional_warning(client_for):
    case = make_case(State.SUBMITTED, ready=True, screened=False)
    theft = screen(case, relief="both", sentence_status="parole")
    drugs = screen(
        case,
        relief="both",
        category="controlled_substance",
        removal_grounds=["controlled_substance"],
        sentence_status="parole",
    )
    client = client_for("coordinator")
    form = client.get(url("case-decide", case)).text
    assert form.count('type="radio"') == 2 * (4 + 3)  # pardon: 4 results, commutation: 3
    assert "A conditional pardon may not protect against deportation" in form
    viewed = AuditEvent.objects.filter(action="case.viewed", case_id=case.pk)
    assert viewed.filter(data__page="decide").exists()  # it names each conviction's charge
    data = {
        "expected_state": "submitted",
        "decided_on": TODAY.isoformat(),
        f"result_{theft.pk}_pardon": "conditional_pardon",
        f"conditions_{theft.pk}": "No new arrest for five years.",
        f"result_{theft.pk}_commutation": "denied",
        f"result_{drugs.pk}_pardon": "denied",
        f"result_{drugs.pk}_commutation": "commutation",
    }
    missing = client.post(url("case-decide", case), data)
    assert missing.status_code == 400
    assert "Give the new sentence." in missing.text
    data[f"sentence_{drugs.pk}"] = "364 days"
    assert client.post(url("case-decide", case), data).status_code == 302
    case.refresh_from_db()
    assert (case.state, case.outcome) == (State.DECIDED, "mixed")
    results = {
        (o.conviction_id, o.relief): o.result for o in ConvictionOutcome.objects.filter(case=case)
    }
    assert results[(theft.pk, "pardon")] == "conditional_pardon"
    assert results[(drugs.pk, "commutation")] == "commutation"
    outcome = ConvictionOutcome.objects.get(conviction=drugs, relief="commutation")
    assert outcome.new_sentence == "364 days"
    page = client.get(url("case", case)).text
    section = page[page.index("Decision, conviction by conviction") :]
    assert "conditional pardon" in section
    assert "A conditional pardon may not protect against deportation" in section
    assert "waives this ground" not in section
    assert "No new arrest for five years." in section
    # Any grant goes to immigration counsel; no full pardon, so nothing else follows.
    kinds = list(Deadline.objects.filter(case=case).values_list("kind", flat=True))
    assert "counsel" in kinds
    assert "motion" not in kinds
    assert "After the grant: follow-up" in page


def test_a_full_pardon_opens_the_follow_up_checklist(client_for, coordinator):
    case = make_case(State.SUBMITTED, ready=True)
    applicant = case.applicant
    applicant.answers = {
        "immigration": {"status": "permanent_resident", "removal_pending": True},
        "contact": {"where_now": "home"},
    }
    applicant.save()
    decisions.case_decide(
        case=case,
        actor=coordinator,
        expected_state="submitted",
        decided_on=TODAY,
        decisions=[
            decisions.Decision(str(case.convictions.get().pk), "pardon", "full_pardon"),
        ],
    )
    follow = Deadline.objects.filter(case=case, closed_at__isnull=True).order_by("due_on")
    assert [(d.kind, (d.due_on - TODAY).days) for d in follow] == [
        ("counsel", 7),
        ("motion", 30),
        ("naturalise", 90),
    ]
    page = client_for("coordinator").get(url("case", case)).text
    assert "waives this ground for deportation: crime involving moral turpitude" in page
    assert "motion to reopen or terminate removal proceedings" in page
    # Done: marked met through the deadline page, as any deadline.
    counsel = follow[0]
    response = client_for("coordinator").post(
        url("deadline", case, deadline_id=counsel.pk), {"outcome": "met", "reason": ""}
    )
    assert response.status_code == 302
    assert Deadline.objects.get(pk=counsel.pk).outcome == "met"


def test_every_conviction_needs_its_result(coordinator):
    case = make_case(State.SUBMITTED, ready=True)
    screen(case, county="Queens")
    with pytest.raises(CaseError, match="Give the result for every conviction"):
        decisions.case_decide(
            case=case,
            actor=coordinator,
            expected_state="submitted",
            decided_on=TODAY,
            decisions=[decisions.Decision(str(case.convictions.first().pk), "pardon", "denied")],
        )
    assert Case.objects.get(pk=case.pk).state == State.SUBMITTED


# --- Applying again -----------------------------------------------------------------------------


def test_apply_again_links_the_cases_and_copies_only_what_is_still_true(
    client_for, coordinator, staff, attorney
):
    case = make_case(State.SUBMITTED, ready=True, attorney=attorney)
    applicant = case.applicant
    applicant.story, applicant.answers = "Old story.", {"story": {"text": "Old story."}}
    applicant.news_contact = {"email": "wife@example.org"}
    applicant.save()
    conviction = case.convictions.get()
    conviction.statute, conviction.sentence_days = "PL 155.25", 90
    conviction.save()
    workflow.case_add_note(case=case, actor=staff, text="Old note.")
    case_set_identity_indexes(
        case=case, a_number=old_number(case), surname="López Pérez", date_of_birth=TODAY
    )
    decisions.case_decide(
        case=case,
        actor=coordinator,
        expected_state="submitted",
        decided_on=TODAY,
        decisions=[decisions.Decision(str(conviction.pk), "pardon", "denied")],
    )
    client = client_for("staff")
    page = client.get(url("case", case)).text
    assert "Apply again" in page
    assert "Copied: the person" in client.get(url("apply-again", case)).text
    response = client.post(url("apply-again", case))
    assert response.status_code == 302
    new = Case.objects.get(previous_case=case)
    assert response.url == url("case", new)
    assert (new.state, new.outcome, new.reference != case.reference) == (State.INTAKE, "", True)
    assert new.wrapped_key != case.wrapped_key  # its own key
    person = new.applicant
    old = Applicant.objects.get(case=case)
    assert (person.legal_name, person.date_of_birth, person.a_number) == (
        old.legal_name,
        old.date_of_birth,
        old.a_number,
    )
    assert (person.story, person.answers, person.news_contact) == (None, None, None)
    (copy,) = new.convictions.all()
    assert (copy.charge, copy.statute, copy.sentence_days, copy.category) == (
        conviction.charge,
        "PL 155.25",
        90,
        conviction.category,
    )
    assert copy.removal_grounds is None  # screen afresh
    # The immigration facts carry over; relief and grounds are screened afresh.
    (carried,) = Screening.objects.filter(case=new)
    assert carried.answers == {"facts": screening.facts_of(case)}
    assert screening.screening_problems(new)[0] == "Choose the relief sought."
    assert not Note.objects.filter(case=new).exists()
    assert not Document.objects.filter(case=new).exists()
    assert not ConvictionOutcome.objects.filter(case=new).exists()
    assert not Deadline.objects.filter(case=new).exists()
    assert (new.consent_by, new.person_consent_on, new.assigned_attorney_id) == ("", None, None)
    assert len(set(new.blind_indexes.values_list("kind", "value"))) == 2
    assert set(new.blind_indexes.values_list("kind", "value")) == set(
        case.blind_indexes.values_list("kind", "value")
    )  # the same person: the same indexes, as the application computed them
    # Both cases say so, and link to each other.
    assert events(new, "applied_again")[0].data == {"previous": str(case.pk)}
    assert events(case, "applied_again")[0].data == {"next": str(new.pk)}
    assert new.reference in client.get(url("case", case)).text
    assert case.reference in client.get(url("case", new)).text
    # Once only.
    again = client.post(url("apply-again", case))
    assert again.status_code == 400
    assert "did not grant everything, once" in again.text
    assert Case.objects.filter(previous_case=case).count() == 1
    # The attorney of the old case does not see the new one.
    assert client_for("attorney").get(url("case", new)).status_code == 404


def old_number(case: Case) -> str:
    return Applicant.objects.get(case=case).a_number


def test_a_full_grant_cannot_be_applied_for_again(client_for, coordinator):
    case = make_case(State.SUBMITTED, ready=True)
    decisions.case_decide(
        case=case,
        actor=coordinator,
        expected_state="submitted",
        decided_on=TODAY,
        decisions=[decisions.Decision(str(case.convictions.get().pk), "pardon", "full_pardon")],
    )
    with pytest.raises(CaseError, match="did not grant everything"):
        decisions.case_apply_again(case=case, actor=coordinator)
    client = client_for("coordinator")
    assert "Apply again" not in client.get(url("case", case)).text
    assert client.post(url("apply-again", case)).status_code == 400
    assert not Case.objects.filter(previous_case=case).exists()
    assert client_for("attorney").get(url("apply-again", case)).status_code == 404  # not theirs


# --- What a second review found -------------------------------------------------------------------


def test_a_decision_without_its_date_is_refused_not_a_crash(client_for):
    case = make_case(State.SUBMITTED, ready=True)
    data = decision_data(case, "denied", expected_state="submitted")
    response = client_for("coordinator").post(url("case-decide", case), data)
    assert response.status_code == 400
    assert Case.objects.get(pk=case.pk).state == State.SUBMITTED


def test_conditions_typed_with_a_full_pardon_are_not_lost_nor_called_unconditional(client_for):
    case = make_case(State.SUBMITTED, ready=True)
    conviction = case.convictions.get()
    data = decision_data(
        case,
        "full_pardon",
        expected_state="submitted",
        decided_on=TODAY.isoformat(),
        **{f"conditions_{conviction.pk}": "Must not leave the state."},
    )
    response = client_for("coordinator").post(url("case-decide", case), data)
    assert response.status_code == 400
    assert "A pardon with conditions is a conditional pardon" in response.text
    assert "Must not leave the state." in response.text
    assert Case.objects.get(pk=case.pk).state == State.SUBMITTED


def test_the_relief_is_fixed_once_accepted(staff):
    case = make_case(State.ACCEPTED)
    conviction = case.convictions.get()
    with pytest.raises(CaseError, match="fixed once the case is accepted"):
        screening.case_save_screening(
            case=case, actor=staff, relief="commutation", grounds={str(conviction.pk): ["cimt"]}
        )
    with pytest.raises(CaseError, match="fixed once the case is accepted"):
        screening.case_save_screening(case=case, actor=staff, relief="", grounds={})
    screening.case_save_screening(  # grounds can still be refined
        case=case, actor=staff, relief="pardon", grounds={str(conviction.pk): ["cimt", "other"]}
    )
    assert Conviction.objects.get(pk=conviction.pk).removal_grounds == ["cimt", "other"]


def test_a_case_without_convictions_cannot_be_decided(client_for, coordinator):
    case = make_case(State.SUBMITTED, ready=True, screened=False)
    with pytest.raises(CaseError, match="Add the convictions first"):
        decisions.case_decide(
            case=case,
            actor=coordinator,
            expected_state="submitted",
            decided_on=TODAY,
            decisions=[],
        )
    data = {"expected_state": "submitted", "decided_on": TODAY.isoformat()}
    response = client_for("coordinator").post(url("case-decide", case), data)
    assert response.status_code == 400
    assert "Add the convictions first" in response.text
    assert Case.objects.get(pk=case.pk).state == State.SUBMITTED


def test_staff_record_that_a_person_was_deported_and_it_follows_the_person(
    client_for, coordinator, staff
):
    case = make_case(State.REVIEW)  # made by staff: no application says it
    conviction = case.convictions.get()
    client = client_for("staff")
    assert "fingerprint" not in client.get(url("case-request-info", case)).text
    data = {
        "relief": "pardon",
        f"grounds_{conviction.pk}": ["cimt"],
        "deported_or_abroad": "on",
    }
    assert client.post(url("case-screening", case), data).status_code == 302
    assert "fingerprint-based record request" in client.get(url("case-request-info", case)).text
    viewed = AuditEvent.objects.filter(action="case.viewed", case_id=case.pk)
    assert viewed.filter(data__page="request_info").exists()  # the warning tells a fact
    # Decided, denied, applied again: the new case still warns.
    Case.objects.filter(pk=case.pk).update(state=State.SUBMITTED, filed_on=TODAY)
    case.refresh_from_db()
    decisions.case_decide(
        case=case,
        actor=coordinator,
        expected_state="submitted",
        decided_on=TODAY,
        decisions=[decisions.Decision(str(conviction.pk), "pardon", "denied")],
    )
    new = decisions.case_apply_again(case=case, actor=staff)
    assert screening.deported_before(Case.objects.get(pk=new.pk))
    workflow.case_start_review(case=new, actor=staff, expected_state="intake")
    with pytest.raises(CaseError, match="fingerprint"):
        workflow.case_request_info(
            case=new, actor=staff, expected_state="review", items=["rap_sheet"]
        )


def test_a_commuted_sentence_is_not_carried_as_the_old_one(coordinator, staff):
    case = make_case(State.SUBMITTED, ready=True, screened=False)
    conviction = screen(
        case, relief="both", sentence="3 years", sentence_days=1095, sentence_status="parole"
    )
    decisions.case_decide(
        case=case,
        actor=coordinator,
        expected_state="submitted",
        decided_on=TODAY,
        decisions=[
            decisions.Decision(str(conviction.pk), "pardon", "denied"),
            decisions.Decision(str(conviction.pk), "commutation", "commutation", "364 days"),
        ],
    )
    new = decisions.case_apply_again(case=case, actor=staff)
    copy = new.convictions.get()
    assert (copy.sentence, copy.sentence_days, copy.status) == ("364 days", None, "")
