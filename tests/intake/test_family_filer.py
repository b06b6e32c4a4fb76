"""What a family member filing on a phone met in the intake, item by item (each test failed
before its fix)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from intake.models import Draft, DraftDocument
from tests.documents import pdf
from tests.intake.test_views import VALID, started, step_url

pytestmark = pytest.mark.django_db


def fill_until(client, last: str) -> None:
    for identifier, data in VALID.items():
        if identifier == last:
            return
        if identifier == "convictions":
            client.post(step_url(identifier), data | {"action": "add"})
            data = {"outside_ny": "no"}
        client.post(step_url(identifier), data | {"action": "next"})


# --- 2. A file chosen but not "added" is not dropped by "Save and continue" -----------------------


def test_save_and_continue_adds_the_chosen_file_first(client):
    started(client)
    fill_until(client, "documents")
    chosen = SimpleUploadedFile("certificate.pdf", pdf("certificate"))
    response = client.post(step_url("documents"), {"file": chosen, "action": "next"})
    assert response.status_code == 302
    assert response.url == step_url("consent")
    assert DraftDocument.objects.count() == 1
    page = client.get(response.url).text
    assert "The file is added." in page


def test_a_refused_file_on_save_and_continue_stays_on_the_page_saying_why(client):
    started(client)
    fill_until(client, "documents")
    program = SimpleUploadedFile("photo.pdf", b"MZ\x90\x00 not a document")
    response = client.post(step_url("documents"), {"file": program, "action": "next"})
    assert response.status_code == 302
    assert response.url == step_url("documents")
    assert "This file type is not accepted" in client.get(response.url).text
    assert not DraftDocument.objects.exists()


# --- 1. The background upload keeps its message for the page the person sees --------------------


def test_a_background_upload_is_told_where_to_go_and_keeps_its_message(client):
    started(client)
    fill_until(client, "documents")
    refused = SimpleUploadedFile("photo.pdf", b"MZ\x90\x00 not a document")
    response = client.post(
        step_url("documents"),
        {"file": refused, "action": "upload"},
        headers={"X-Upload-Progress": "1"},
    )
    assert response.status_code == 204
    assert response.headers["X-Location"] == step_url("documents")
    assert "This file type is not accepted" in client.get(step_url("documents")).text
    added = SimpleUploadedFile("certificate.pdf", pdf("certificate"))
    response = client.post(
        step_url("documents"),
        {"file": added, "action": "upload"},
        headers={"X-Upload-Progress": "1"},
    )
    assert response.status_code == 204
    assert "The file is added." in client.get(step_url("documents")).text
    assert Draft.objects.get().documents.count() == 1


def test_the_documents_page_is_one_form_for_files_and_going_on(client):
    started(client)
    fill_until(client, "documents")
    page = client.get(step_url("documents")).text
    form = page[page.index("data-upload") : page.index("</form>", page.index("data-upload"))]
    assert 'name="file"' in form
    assert 'value="next"' in form  # "Save and continue" sends the chosen file with it
    assert reverse("intake:step", kwargs={"identifier": "documents"}) in page


# --- 7. Reloading the code page gives the same application a new code, not a second one --------


def test_reloading_the_code_page_keeps_one_application_and_the_new_code_opens_it(client):
    from django.test import Client

    first = started(client)
    reloaded = client.post(reverse("intake:start"), {})  # the browser sends the form again
    assert reloaded.status_code == 200
    assert "this is a new code for the same application" in reloaded.text
    assert Draft.objects.count() == 1
    import re

    second = re.search(r'<p class="code"[^>]*>([^<]+)</p>', reloaded.text).group(1).strip()
    assert second != first
    other = Client()
    assert other.post(reverse("intake:resume"), {"code": first}).status_code == 400
    opened = other.post(reverse("intake:resume"), {"code": second})
    assert opened.url == step_url("filer")


def test_someone_finding_the_phone_later_gets_no_new_code(client):
    """Once the application has answers (or minutes have passed), sending the start form again
    offers to continue it or start another: no lasting code for someone else's application."""
    import re

    first = started(client)
    client.post(step_url("filer"), VALID["filer"] | {"action": "next"})
    again = client.post(reverse("intake:start"), {})
    assert again.status_code == 200
    assert "An application is already open on this phone." in again.text
    assert not re.search(r'<p class="code"', again.text)
    from django.test import Client

    assert Client().post(reverse("intake:resume"), {"code": first}).status_code == 302


def test_starting_another_application_is_a_choice(client):
    started(client)
    page = client.get(reverse("intake:start")).text
    assert "An application is already open on this phone." in page
    assert 'name="another"' in page
    client.post(reverse("intake:start"), {"another": "1"})
    assert Draft.objects.count() == 2


# --- 8. Back after sending says the application went through ------------------------------------


def test_back_after_sending_says_it_was_sent(client, django_capture_on_commit_callbacks):
    started(client)
    fill_until(client, "__end__")
    with django_capture_on_commit_callbacks(execute=False):
        sent = client.post(reverse("intake:review"))
    assert sent.status_code == 200
    reference = Draft.objects.get().reference
    for back in (reverse("intake:review"), step_url("consent"), step_url("documents")):
        response = client.get(back, follow=True)
        assert response.redirect_chain[-1][0] == reverse("intake:sent")
        assert "Your application is sent" in response.text
        assert reference not in response.text  # not shown again on a shared phone
        assert "To continue an application, enter its code." not in response.text
    # A new application in this browser is not "sent".
    started(client)
    client.post(step_url("filer"), VALID["filer"] | {"action": "later"})
    response = client.get(step_url("applicant"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("intake:resume")


# --- 11. Dates: no past "next" date, no ISO example, the same dates everywhere, the whole line ---


def test_a_next_hearing_or_check_in_in_the_past_is_refused(client):
    started(client)
    fill_until(client, "immigration")
    data = VALID["immigration"] | {"next_hearing": "2020-01-10", "ice_check_in": "2020-02-01"}
    response = client.post(step_url("immigration"), data | {"action": "next"})
    assert response.status_code == 200
    assert response.text.count("This date has passed. Give the next date, or leave it empty.") >= 2
    assert 'value="A-123-456-789"' in response.text  # nothing typed is lost


def test_a_date_error_gives_no_example_in_a_format_the_picker_does_not_show(client):
    started(client)
    fill_until(client, "applicant")
    data = VALID["applicant"] | {"date_of_birth": "17/05/1990", "action": "next"}
    response = client.post(step_url("applicant"), data)
    assert "Enter the whole date: day, month and year." in response.text
    assert "2024-05-17" not in response.text


@pytest.mark.parametrize(("language", "written"), [("en", "March 2, 2014"), ("es", "2 de marzo")])
def test_the_conviction_list_and_review_show_the_whole_conviction_the_readers_way(
    client, language, written
):
    client.cookies["django_language"] = language
    started(client)
    fill_until(client, "convictions")
    conviction = {
        "conviction-county": "Queens",
        "conviction-charge": "Petit larceny",
        "conviction-date": "2014-03-02",
        "conviction-court": "Queens Criminal Court",
        "conviction-docket": "2014QN012345",
        "conviction-sentence": "Probation, 3 years",
        "conviction-sentence_status": "supervision",
        "action": "add",
    }
    client.post(step_url("convictions"), conviction)
    listed = client.get(step_url("convictions")).text
    assert written in listed
    assert "2014-03-02" not in listed
    client.post(step_url("convictions"), {"outside_ny": "no", "action": "next"})
    for identifier in ("story", "documents", "consent"):
        client.post(step_url(identifier), VALID[identifier] | {"action": "next"})
    review = client.get(reverse("intake:review")).text
    for part in (written, "Queens Criminal Court", "2014QN012345", "Probation, 3 years"):
        assert part in review
    assert "<bdi>Petit larceny</bdi>" in review  # typed text isolated from the page's direction


# --- 12. Phones: a number keyboard, no silent cut, a count that does not jump ---------------------


def test_the_phone_field_opens_a_number_keyboard_and_keeps_its_order(client):
    started(client)
    page = client.get(step_url("contact")).text
    import re

    phone = re.search(r'<input[^>]*name="phone"[^>]*>', page).group(0)
    assert 'type="tel"' in phone
    assert 'inputmode="tel"' in phone
    assert 'dir="ltr"' in phone


def test_a_long_name_is_refused_with_a_word_not_cut(client):
    started(client)
    client.post(step_url("filer"), VALID["filer"] | {"action": "next"})
    page = client.get(step_url("applicant")).text
    assert 'maxlength="200"' not in page
    long_name = "Maria " + "Lopez-Garcia " * 20
    data = VALID["applicant"] | {"legal_name": long_name, "action": "next"}
    response = client.post(step_url("applicant"), data)
    assert response.status_code == 200
    assert "This is too long: at most 200 characters" in response.text
    assert long_name.strip() in response.text  # shown back whole, to shorten


def test_the_step_count_is_the_same_for_people_held_and_at_home(client):
    started(client)
    fill_until(client, "contact")
    at_home = client.post(
        step_url("contact"), VALID["contact"] | {"where_now": "home", "action": "next"}
    )
    assert at_home.url == step_url("person_contact")
    assert "Step 3 of 8" in client.get(at_home.url).text
    reach = {"reach": "through_filer", "action": "next"}
    assert client.post(at_home.url, reach).url == step_url("immigration")
    assert "Step 4 of 8" in client.get(step_url("immigration")).text
    held = client.post(step_url("contact"), VALID["contact"] | {"action": "next"})
    assert held.url == step_url("custody")
    assert "Step 3 of 8" in client.get(step_url("custody")).text
    client.post(step_url("custody"), VALID["custody"] | {"action": "next"})
    assert "Step 3 of 8" in client.get(step_url("person_contact")).text
    client.post(step_url("person_contact"), VALID["person_contact"] | {"action": "next"})
    assert "Step 4 of 8" in client.get(step_url("immigration")).text


def test_reloading_the_code_page_is_counted_as_a_start(client, settings):
    settings.INTAKE_START_LIMIT = 2
    started(client)
    assert client.post(reverse("intake:start"), {}).status_code == 200
    refused = client.post(reverse("intake:start"), {})
    assert refused.status_code == 429  # each new code costs the slow hash
    assert Draft.objects.count() == 1


# --- 13. A person to call: the hotline on the landing, confirmation and error pages -------------


HOTLINE = {"HOTLINE_NUMBER": "+1 (718) 555-0142", "HOTLINE_HOURS": "Mon-Fri 9-17"}


def _shows_hotline(text: str) -> bool:
    return 'href="tel:+17185550142"' in text and "+1 (718) 555-0142" in text


def test_the_hotline_is_on_the_landing_confirmation_and_sent_pages(
    client, settings, django_capture_on_commit_callbacks
):
    for name, value in HOTLINE.items():
        setattr(settings, name, value)
    landing = client.get(reverse("intake:landing")).text
    assert _shows_hotline(landing)
    assert "Detained, or facing deportation this week?" in landing
    assert "Mon-Fri 9-17" in landing
    started(client)
    fill_until(client, "__end__")
    with django_capture_on_commit_callbacks(execute=False):
        confirmation = client.post(reverse("intake:review")).text
    assert _shows_hotline(confirmation)
    assert _shows_hotline(client.get(reverse("intake:sent")).text)


def test_the_hotline_is_on_every_error_page_of_the_intake(client, settings, rf):
    from django.test import Client

    from clemency.urls import server_error

    for name, value in HOTLINE.items():
        setattr(settings, name, value)
    settings.INTAKE_START_LIMIT = 0
    assert _shows_hotline(client.get("/intake/no-such-step/").text)  # 404
    refused = Client().post(reverse("intake:start"))
    assert refused.status_code == 429
    assert _shows_hotline(refused.text)
    csrf = Client(enforce_csrf_checks=True).post(reverse("intake:resume"), {"code": "x"})
    assert csrf.status_code == 403
    assert _shows_hotline(csrf.text)
    crashed = server_error(rf.get("/"))
    assert crashed.status_code == 500
    assert _shows_hotline(crashed.content.decode())


def test_no_hotline_is_shown_when_none_is_set(client, settings):
    settings.HOTLINE_NUMBER = ""
    assert 'href="tel:' not in client.get(reverse("intake:landing")).text


# --- 3. "Save and finish later" keeps what is known; a county can be unknown ---------------------


def test_finish_later_keeps_what_was_typed_even_with_questions_left(client):
    from django.test import Client

    code = started(client)
    client.post(step_url("filer"), VALID["filer"] | {"action": "next"})
    typed = {"legal_name": "Maria Lopez", "date_of_birth": "31/02/1990", "action": "later"}
    later = client.post(step_url("applicant"), typed)
    assert later.status_code == 200
    assert "later" in later.templates[0].name
    other = Client()
    resumed = other.post(reverse("intake:resume"), {"code": code})
    assert resumed.url == step_url("applicant")  # still to be finished
    page = other.get(step_url("applicant")).text
    assert 'value="Maria Lopez"' in page
    assert 'value="31/02/1990"' in page  # kept as typed, to correct
    review = other.get(reverse("intake:review")).text
    assert "Some steps are not answered yet." in review


def test_a_conviction_whose_county_is_not_known(client, django_capture_on_commit_callbacks):
    from cases.models import Case

    started(client)
    fill_until(client, "convictions")
    conviction = {
        "conviction-county": "unknown",
        "conviction-charge": "Assault",
        "action": "add",
    }
    assert client.post(step_url("convictions"), conviction).status_code == 302
    assert "I do not know the county" in client.get(step_url("convictions")).text
    client.post(step_url("convictions"), {"outside_ny": "no", "action": "next"})
    for identifier in ("story", "documents", "consent"):
        client.post(step_url(identifier), VALID[identifier] | {"action": "next"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("intake:review"))
    case = Case.objects.get()
    assert [c.county for c in case.convictions.all()] == [""]  # staff find it out


# --- 4 and 6. The filer's own name; the person's own language ----------------------------------


def test_someone_filing_for_another_gives_their_name(client):
    started(client)
    response = client.post(
        step_url("filer"), {"who": "family", "relationship": "his wife", "action": "next"}
    )
    assert response.status_code == 200
    assert "Please give your name, so that we know whom to ask for." in response.text
    data = {"who": "family", "relationship": "his wife", "filer_name": "Fatima", "action": "next"}
    assert client.post(step_url("filer"), data).status_code == 302
    assert client.post(step_url("filer"), {"who": "applicant", "action": "next"}).status_code == 302


def test_the_person_language_defaults_to_the_form_and_can_be_any(
    client, django_capture_on_commit_callbacks, staff
):
    from django.test import Client

    from cases.models import Case

    client.cookies["django_language"] = "bn"
    started(client)
    client.post(step_url("filer"), VALID["filer"] | {"filer_name": "Rahima", "action": "next"})
    page = client.get(step_url("applicant")).text
    assert '<option value="bn" selected>' in page
    data = VALID["applicant"] | {"language": "other", "action": "next"}
    refused = client.post(step_url("applicant"), data)
    assert "অনুগ্রহ করে ভাষাটি লিখুন।" in refused.text  # "Please say which language.", in Bengali
    data["other_language"] = "Sylheti"
    assert client.post(step_url("applicant"), data).status_code == 302
    for identifier in (
        "contact",
        "custody",
        "person_contact",
        "immigration",
        "convictions",
        "story",
        "documents",
        "consent",
    ):
        payload = VALID[identifier]
        if identifier == "convictions":
            client.post(step_url(identifier), payload | {"action": "add"})
            payload = {"outside_ny": "no"}
        client.post(step_url(identifier), payload | {"action": "next"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("intake:review"))
    case = Case.objects.get()
    assert case.language == "bn"  # not one of ours: the form's language, for messages
    viewer = Client()
    viewer.force_login(staff)
    shown = viewer.get(reverse("cases:case", kwargs={"case_id": case.pk})).text
    assert "<bdi>Sylheti</bdi> (needs an interpreter)" in shown


def test_a_preferred_language_of_ours_is_the_case_language(
    client, django_capture_on_commit_callbacks
):
    from cases.models import Case

    started(client)  # the form in English; the person prefers Spanish
    fill_until(client, "__end__")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("intake:review"))
    assert Case.objects.get().language == "es"


def test_what_finish_later_keeps_is_bounded(client):
    from django.test import Client

    code = started(client)
    client.post(step_url("filer"), VALID["filer"] | {"action": "next"})
    huge = "x" * 100_000
    client.post(step_url("applicant"), {"legal_name": huge, "action": "later"})
    other = Client()
    other.post(reverse("intake:resume"), {"code": code})
    page = other.get(step_url("applicant")).text
    assert "x" * 800 in page
    assert "x" * 801 not in page  # at most four times what the field holds


def test_a_step_left_half_done_cannot_be_sent():
    """Checked again under the application's lock: a "finish later" from another tab between
    the review and the sending is not sent half done."""
    from intake import services, steps

    draft, dek, _code = services.draft_start(language="en")
    for step in steps.STEPS:
        data = {"where_now": "home"} if step.identifier == "contact" else {}
        services.draft_save_step(draft=draft, dek=dek, step=step.identifier, data=data)
    services.draft_save_step(draft=draft, dek=dek, step="story", data={"_partial": True})
    with pytest.raises(services.IntakeError, match="not answered yet"):
        services.draft_submit(draft=draft, dek=dek)
    assert Draft.objects.get().submitted_at is None


def test_finish_later_on_the_convictions_step_keeps_the_list_and_what_is_typed(client):
    from django.test import Client

    code = started(client)
    fill_until(client, "convictions")
    client.post(
        step_url("convictions"),
        {"conviction-county": "Queens", "conviction-charge": "Petit larceny", "action": "add"},
    )
    half = {"conviction-charge": "Assault-Typed", "action": "later"}  # no county yet
    assert client.post(step_url("convictions"), half).status_code == 200
    other = Client()
    assert other.post(reverse("intake:resume"), {"code": code}).url == step_url("convictions")
    page = other.get(step_url("convictions")).text
    assert "Petit larceny" in page
    assert 'value="Assault-Typed"' in page


# --- 10. Switching language in the middle of a step keeps what was typed ---------------------


def test_the_language_buttons_of_a_step_send_its_form_and_keep_what_was_typed(client):
    started(client)
    client.post(step_url("filer"), VALID["filer"] | {"action": "next"})
    page = client.get(step_url("applicant")).text
    # Every language button belongs to the step's form; Enter in a field presses the hidden
    # "Save and continue", which comes first.
    assert page.count('form="step-form" name="switch_language"') == 6
    assert page.index('name="action" value="next"') < page.index('name="switch_language"')
    typed = {"legal_name": "Maria Lopez", "date_of_birth": "31/02/1990", "switch_language": "ar"}
    switched = client.post(step_url("applicant"), typed)
    assert switched.status_code == 302
    assert switched.url == step_url("applicant")  # the same step, not the next one
    assert switched.cookies["django_language"].value == "ar"
    again = client.get(step_url("applicant"))
    assert '<html lang="ar" dir="rtl">' in again.text
    assert 'value="Maria Lopez"' in again.text
    assert 'value="31/02/1990"' in again.text  # kept as typed, not refused yet
    assert "error-summary" not in again.text


def test_a_whole_step_switched_is_saved_and_shown_again(client):
    started(client)
    switched = client.post(step_url("filer"), VALID["filer"] | {"switch_language": "es"})
    assert switched.url == step_url("filer")
    assert client.get(switched.url).status_code == 200
    # Answered: going on from it needs nothing more.
    assert client.post(step_url("filer"), VALID["filer"] | {"action": "next"}).url == step_url(
        "applicant"
    )


def test_switching_on_the_convictions_step_keeps_the_conviction_being_typed(client):
    started(client)
    fill_until(client, "convictions")
    typed = {"conviction-charge": "Robo", "conviction-county": "kings", "switch_language": "fr"}
    switched = client.post(step_url("convictions"), typed)
    assert switched.url == step_url("convictions")
    page = client.get(step_url("convictions")).text
    assert 'lang="fr"' in page
    assert 'value="Robo"' in page
    # The hidden first button there is "add this conviction", as Enter did before.
    assert 'form="step-form" name="action" value="add"' in page


def test_an_unknown_language_asked_for_changes_nothing(client):
    started(client)
    client.post(step_url("filer"), VALID["filer"] | {"action": "next"})
    response = client.post(step_url("applicant"), {"switch_language": "xx"})
    assert response.status_code == 200  # an ordinary "continue": the errors, on the page
    assert "django_language" not in response.cookies


def test_the_documents_step_keeps_its_own_language_form(client):
    started(client)
    fill_until(client, "documents")
    page = client.get(step_url("documents")).text
    assert "switch_language" not in page
    assert 'name="language" value="es"' in page


# --- 4. The person and the one filing each have their own safe contact ----------------------


def test_someone_filing_for_a_person_held_says_how_to_reach_each(
    client, django_capture_on_commit_callbacks, staff
):
    from django.test import Client

    from cases.models import Case

    started(client)
    fill_until(client, "contact")
    page = client.get(step_url("contact")).text
    assert "How can we contact you safely? You: the one filling in this form." in page
    client.post(step_url("contact"), VALID["contact"] | {"action": "next"})
    client.post(step_url("custody"), VALID["custody"] | {"action": "next"})
    held = client.get(step_url("person_contact")).text
    assert "How can we safely reach the person?" in held
    assert "A legal call or visit at the detention centre or prison" in held
    assert 'name="phone"' not in held  # a person held has no phone of their own to give
    assert client.post(step_url("person_contact"), {"action": "next"}).status_code == 200
    reach = {"reach": "legal_call", "action": "next"}
    assert client.post(step_url("person_contact"), reach).url == step_url("immigration")
    for identifier in ("immigration", "convictions", "story", "documents", "consent"):
        payload = VALID[identifier]
        if identifier == "convictions":
            client.post(step_url(identifier), payload | {"action": "add"})
            payload = {"outside_ny": "no"}
        client.post(step_url(identifier), payload | {"action": "next"})
    review = client.get(reverse("intake:review")).text
    assert "Safe contact for the person" in review
    assert "A legal call or visit at the detention centre or prison" in review
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("intake:review"))
    viewer = Client()
    viewer.force_login(staff)
    case = Case.objects.get()
    shown = viewer.get(reverse("cases:case", kwargs={"case_id": case.pk})).text
    # Staff see whom each answer is about: the filer's phone, the person's legal call.
    assert "You: the one filling in this form." in shown
    assert "+1 718 555 0100" in shown
    assert "A legal call or visit at the detention centre or prison" in shown


def test_a_person_at_home_can_have_their_own_phone(client):
    started(client)
    fill_until(client, "contact")
    at_home = VALID["contact"] | {"where_now": "home", "action": "next"}
    client.post(step_url("contact"), at_home)
    page = client.get(step_url("person_contact")).text
    assert "WhatsApp" in page
    assert "A legal call" not in page
    missing = client.post(step_url("person_contact"), {"reach": "whatsapp", "action": "next"})
    assert "We need this to reach the person the way you chose." in missing.text
    assert "Please answer this question." in missing.text  # may we leave a message?
    own = {"reach": "whatsapp", "phone": "+1 347 555 0199", "leave_message": "no"}
    answer = client.post(step_url("person_contact"), own | {"action": "next"})
    assert answer.url == step_url("immigration")
    review = client.get(reverse("intake:review")).text
    assert "+1 347 555 0199" in review
    assert "+1 718 555 0100" in review


def test_a_person_filing_for_themselves_is_asked_once(client):
    started(client)
    client.post(step_url("filer"), {"who": "applicant", "action": "next"})
    client.post(step_url("applicant"), VALID["applicant"] | {"action": "next"})
    page = client.get(step_url("contact")).text
    assert "How can we contact you safely?</" in page  # no "the one filling in this form"
    at_home = VALID["contact"] | {"where_now": "home", "action": "next"}
    assert client.post(step_url("contact"), at_home).url == step_url("immigration")
    assert client.get(step_url("person_contact")).url == step_url("immigration")


def test_the_list_of_problems_puts_no_colon_after_a_question(client):
    client.cookies["django_language"] = "ar"
    started(client)
    refused = client.post(step_url("filer"), {"action": "next"})
    assert "؟:" not in refused.text
    assert "?:" not in refused.text


# --- What a language button or a changed answer must not do --------------------------------------


def first_to_answer(code: str) -> str:
    """Where the application opens with its code, on another device: its first step still to
    answer (the review when none is)."""
    from django.test import Client

    return Client().post(reverse("intake:resume"), {"code": code}).url


def test_a_language_button_answers_nothing_the_person_did_not(client):
    code = started(client)
    fill_until(client, "immigration")
    # Pressed on arrival: nothing chosen, nothing saved; no choice is made for the person.
    switched = client.post(step_url("immigration"), {"switch_language": "ar"})
    assert switched.url == step_url("immigration")
    assert first_to_answer(code) == step_url("immigration")
    page = client.get(step_url("immigration")).text
    assert 'type="radio" name="status"' in page  # buttons, none chosen (a list chose one)
    assert " checked" not in page


def test_the_page_language_shown_as_a_default_is_not_saved_by_switching(client):
    started(client)
    client.post(step_url("filer"), VALID["filer"] | {"action": "next"})
    # The page showed English as the person's language (the form's); the person types a name
    # and switches to Spanish: the default follows the page, it was never an answer.
    typed = {"legal_name": "Maria", "language": "en", "switch_language": "es"}
    client.post(step_url("applicant"), typed)
    page = client.get(step_url("applicant")).text
    assert 'value="Maria"' in page
    assert '<option value="es" selected>' in page


def test_a_finished_step_switched_unchanged_stays_finished_and_changed_waits(client):
    code = started(client)
    client.post(step_url("filer"), VALID["filer"] | {"action": "next"})
    client.post(step_url("applicant"), VALID["applicant"] | {"action": "next"})
    assert first_to_answer(code) == step_url("contact")
    client.post(step_url("applicant"), VALID["applicant"] | {"switch_language": "fr"})
    assert first_to_answer(code) == step_url("contact")  # as it was: still answered
    changed = VALID["applicant"] | {"surname": "Lopez", "switch_language": "es"}
    client.post(step_url("applicant"), changed)
    assert 'value="Lopez"' in client.get(step_url("applicant")).text
    assert first_to_answer(code) == step_url("applicant")  # changed: to be confirmed


def test_a_saved_yes_or_no_shows_its_button_chosen_again(client):
    started(client)
    client.post(step_url("filer"), VALID["filer"] | {"action": "next"})
    client.post(step_url("applicant"), VALID["applicant"] | {"action": "next"})
    page = client.get(step_url("applicant")).text
    chosen = page.split('name="interpreter" value="yes"')[1].split(">")[0]
    assert "checked" in chosen


def test_the_person_moved_into_custody_is_asked_again_how_to_reach_them(client):
    code = started(client)
    fill_until(client, "contact")
    client.post(step_url("contact"), VALID["contact"] | {"where_now": "home", "action": "next"})
    own = {"reach": "phone", "phone": "+1 347 555 0199", "leave_message": "no", "action": "next"}
    assert client.post(step_url("person_contact"), own).url == step_url("immigration")
    client.post(step_url("contact"), VALID["contact"] | {"action": "next"})  # now held
    client.post(step_url("custody"), VALID["custody"] | {"action": "next"})
    assert first_to_answer(code) == step_url("person_contact")
    page = client.get(step_url("person_contact")).text
    assert " checked" not in page  # the way chosen before is not one for someone held
    review = client.get(reverse("intake:review")).text
    assert "+1 347 555 0199" not in review  # not a way to reach someone held
    assert ">phone<" not in review


def test_changing_who_files_asks_the_contact_question_again(client):
    code = started(client)
    fill_until(client, "person_contact")
    client.post(step_url("person_contact"), VALID["person_contact"] | {"action": "next"})
    assert first_to_answer(code) == step_url("immigration")
    client.post(step_url("filer"), {"who": "applicant", "action": "next"})
    assert first_to_answer(code) == step_url("contact")
    page = client.get(step_url("contact")).text
    assert "You: the one filling in this form." not in page
    assert 'value="+1 718 555 0100"' in page  # what was typed is kept, to confirm


def test_only_through_me_keeps_no_number_for_the_person(client):
    started(client)
    fill_until(client, "contact")
    client.post(step_url("contact"), VALID["contact"] | {"where_now": "home", "action": "next"})
    typed = {"reach": "through_filer", "phone": "+1 347 555 0199", "leave_message": "yes"}
    client.post(step_url("person_contact"), typed | {"action": "next"})
    review = client.get(reverse("intake:review")).text
    assert "+1 347 555 0199" not in review


# --- The second review's defects ---------------------------------------------------------


def test_a_consent_given_for_someone_is_asked_again_when_the_person_files(
    client, django_capture_on_commit_callbacks
):
    from cases.models import Case
    from cases.opening import consent_from_answers

    code = started(client)
    fill_until(client, "consent")
    client.post(step_url("consent"), VALID["consent"] | {"action": "next"})
    assert first_to_answer(code) == reverse("intake:review")
    client.post(step_url("filer"), {"who": "applicant", "action": "next"})
    client.post(step_url("contact"), VALID["contact"] | {"action": "next"})
    client.post(step_url("custody"), VALID["custody"] | {"action": "next"})
    assert first_to_answer(code) == step_url("consent")  # the person's own yes, now
    assert " checked" not in client.get(step_url("consent")).text
    client.post(step_url("consent"), VALID["consent"] | {"action": "next"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("intake:review"))
    assert Case.objects.get().consent_by == consent_from_answers(
        {"filer": {"who": "applicant"}, "consent": {"agrees": True, "for_someone": False}}
    )
    # The box ticked by someone filing for the person stays their word, whatever came after.
    on_behalf = {"filer": {"who": "applicant"}, "consent": {"agrees": True, "for_someone": True}}
    assert consent_from_answers(on_behalf) == "on_behalf"


def test_unticked_boxes_are_no_answer_for_a_language_button():
    from intake.forms import ConsentForm

    assert ConsentForm({"switch_language": "ar"}).switched(None) is None


def test_a_phone_typed_in_arabic_indic_or_bengali_digits_is_kept_in_0_to_9(client):
    started(client)
    fill_until(client, "contact")
    arabic_indic = "".join(chr(0x0660 + int(d)) if d.isdigit() else d for d in "718-555-0100")
    bengali = "".join(chr(0x09E6 + int(d)) if d.isdigit() else d for d in "718-555-0100")
    for typed in (arabic_indic, bengali):
        data = VALID["contact"] | {"where_now": "home", "phone": typed, "action": "next"}
        client.post(step_url("contact"), data)
        review = client.get(reverse("intake:review")).text
        assert "718-555-0100" in review


def test_a_conviction_line_keeps_an_arabic_docket_in_order(client):
    started(client)
    fill_until(client, "convictions")
    typed = {"conviction-county": "Queens", "conviction-charge": "سرقة"}
    client.post(step_url("convictions"), typed | {"conviction-docket": "رقم 2014-123"})
    page = client.get(step_url("convictions")).text
    assert '<bdo dir="ltr">2014-123</bdo>' in page


def test_the_filer_contact_keeps_only_the_way_chosen(client):
    started(client)
    fill_until(client, "contact")
    mail = {"method": "mail", "address": "1 Main St", "phone": "+1 718 555 0100"}
    client.post(step_url("contact"), VALID["contact"] | mail | {"action": "next"})
    assert "+1 718 555 0100" not in client.get(reverse("intake:review")).text


def test_a_language_button_keeps_a_number_given_before_another_way_is_chosen(client):
    started(client)
    fill_until(client, "contact")
    client.post(step_url("contact"), VALID["contact"] | {"where_now": "home", "action": "next"})
    own = {"reach": "phone", "phone": "+1 347 555 0199", "leave_message": "no"}
    client.post(step_url("person_contact"), own | {"action": "next"})
    # The person taps "Email", then a language button, before typing the address.
    client.post(step_url("person_contact"), own | {"reach": "email", "switch_language": "ar"})
    assert 'value="+1 347 555 0199"' in client.get(step_url("person_contact")).text


def test_a_conviction_cleared_before_a_language_button_stays_cleared(client):
    started(client)
    fill_until(client, "convictions")
    half = {"conviction-charge": "Theft", "switch_language": "fr"}
    client.post(step_url("convictions"), half)
    assert 'value="Theft"' in client.get(step_url("convictions")).text
    client.post(step_url("convictions"), {"conviction-charge": "", "switch_language": "es"})
    assert 'value="Theft"' not in client.get(step_url("convictions")).text


def test_a_language_button_on_a_page_that_no_longer_applies_still_switches(client):
    started(client)
    fill_until(client, "contact")
    client.post(step_url("contact"), VALID["contact"] | {"where_now": "home", "action": "next"})
    response = client.post(step_url("custody"), {"switch_language": "bn"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "bn"


# --- The third review's defects ----------------------------------------------------------------


def test_a_consent_page_left_open_from_before_a_change_of_filer_is_refused(client):
    code = started(client)
    fill_until(client, "consent")
    page = client.get(step_url("consent")).text
    assert 'name="given_as" value="someone"' in page  # the page for someone filing for another
    client.post(step_url("filer"), {"who": "applicant", "action": "next"})  # another window
    old = client.post(step_url("consent"), VALID["consent"] | {"given_as": "someone"})
    assert old.status_code == 200
    assert "Who is applying was changed in another window." in old.text
    assert 'name="given_as" value="person"' in old.text  # shown again as it reads now
    assert " checked" not in old.text
    assert first_to_answer(code) != reverse("intake:review")


def test_a_consent_saved_without_the_mark_of_who_gave_it_is_asked_again():
    from intake import steps

    unmarked = {"understood": True, "agrees": True}
    answers = {"filer": {"who": "applicant"}, "consent": unmarked}
    kept = steps.without_inapplicable(answers)["consent"]
    assert kept.get(steps.PARTIAL) is True
    assert "agrees" not in kept


def test_a_contact_saved_with_other_ways_shows_staff_only_the_way_chosen():
    from intake import steps

    answers = {
        "filer": {"who": "applicant"},
        "contact": {"where_now": "home", "method": "mail", "address": "1 Main St"}
        | {"phone": "+1 718 555 0100", "for_someone": False},
    }
    shown = [value for _label, value in steps.BY_IDENTIFIER["contact"].summary(answers)]
    assert "+1 718 555 0100" not in shown
    assert "1 Main St" in shown


def test_a_mistaken_tap_on_held_loses_no_number_of_the_person(client):
    started(client)
    fill_until(client, "contact")
    client.post(step_url("contact"), VALID["contact"] | {"where_now": "home", "action": "next"})
    own = {"reach": "phone", "phone": "+1 347 555 0199", "leave_message": "no", "action": "next"}
    client.post(step_url("person_contact"), own)
    client.post(step_url("contact"), VALID["contact"] | {"action": "next"})  # held, by mistake
    client.post(step_url("contact"), VALID["contact"] | {"where_now": "home", "action": "next"})
    assert 'value="+1 347 555 0199"' in client.get(step_url("person_contact")).text


@pytest.mark.parametrize("typed", ["+1 347 555 0199²", "①②③④⑤⑥⑦", "⑴ 347 555 0199"])
def test_signs_that_look_like_digits_are_not_taken_as_a_number(client, typed):
    started(client)
    fill_until(client, "contact")
    data = VALID["contact"] | {"where_now": "home", "phone": typed, "action": "next"}
    refused = client.post(step_url("contact"), data)
    assert refused.status_code == 200
    assert "Please check the phone number." in refused.text


def test_a_text_message_number_in_arabic_indic_digits_is_written_0_to_9():
    from intake.forms import text_message_number

    arabic_indic = "".join(chr(0x0660 + int(d)) for d in "3475550199")
    assert text_message_number(arabic_indic) == "+13475550199"


def test_finish_later_on_a_page_that_no_longer_applies_closes_the_application(client):
    started(client)
    fill_until(client, "contact")
    client.post(step_url("contact"), VALID["contact"] | {"where_now": "home", "action": "next"})
    later = client.post(step_url("custody"), {"action": "later"})
    assert later.status_code == 200
    assert "later" in later.templates[0].name
    assert client.get(step_url("filer")).status_code == 302  # this browser forgot it
