"""Staff ask for a document; the applicant's wife sends it from the status page on a cheap phone,
in Arabic; staff find it on the case and in what waits for them. axe-core checks each page."""

import pytest
from django.conf import settings
from django.core import mail
from playwright.sync_api import Browser, expect

from cases.models import Case, Document, Note
from clemency.accounts.roles import Role
from intake.services import draft_save_step, draft_start, draft_submit
from tests.browser.conftest import sign_in
from tests.documents import pdf
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MARKER = "-".join(["Marker", "Amina", "Diallo"])


def test_staff_ask_the_applicant_sends_it_from_a_phone_and_staff_see_it(
    browser: Browser, live_server, browser_context_args, assert_accessible, tmp_path
):
    UserFactory(email="staff@example.org", role=Role.INTAKE_STAFF, language="en")
    draft, dek, _code = draft_start(language="ar")
    draft_save_step(
        draft=draft,
        dek=dek,
        step="applicant",
        data={"legal_name": f"{MARKER} Diallo", "surname": "Diallo", "date_of_birth": "1985-01-02"},
    )
    reference, status_code = draft_submit(draft=draft, dek=dek)  # opened at the commit
    case = Case.objects.get(reference=reference)

    # Staff start the review and ask for a certificate of disposition.
    staff = browser.new_context(**browser_context_args).new_page()
    sign_in(staff, live_server.url, "staff@example.org")
    staff.goto(f"{live_server.url}/cases/{case.pk}/")
    staff.get_by_role("button", name="Start screening").click()
    staff.get_by_role("link", name="Ask the applicant for more…").click()
    staff.get_by_label("a certificate of disposition for each conviction").check()
    staff.locator("main form button[type=submit]").click()
    expect(staff.locator(".message.success")).to_be_visible()

    # The applicant's wife, on a small phone in Arabic, opens the status page.
    context = browser.new_context(
        **{**browser_context_args, "viewport": {"width": 360, "height": 740}}
    )
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "ar", "url": live_server.url}]
    )
    phone = context.new_page()
    phone.goto(live_server.url + "/status/")
    phone.locator("#id_reference").fill(reference)
    phone.locator("#id_status_code").fill(status_code)
    phone.locator("form.stack button").click()
    expect(phone.locator(".message.success")).to_contain_text(reference)
    expect(phone.locator("main")).to_contain_text(
        "شهادة الحكم النهائي"
    )  # what was asked, in Arabic
    expect(phone.locator("#send")).to_be_visible()
    assert_accessible(phone)

    # Sending nothing is refused with a message; then the file and a message go.
    phone.locator('form[action$="/status/reply/"] button[type=submit]').click()
    expect(phone.locator(".error-summary")).to_be_visible()
    assert_accessible(phone)
    certificate = tmp_path / "شهادة.pdf"
    certificate.write_bytes(pdf("Certificate of disposition, Bronx County"))
    phone.locator("#id_files").set_input_files(str(certificate))
    phone.locator("#id_message").fill(f"{MARKER}: الشهادة من محكمة برونكس")
    phone.locator('form[action$="/status/reply/"] button[type=submit]').click()
    expect(phone.locator(".messages .success")).to_be_visible()
    expect(phone.locator(".replies")).to_contain_text("استلمها فريقنا")  # received by our team
    expect(phone.locator("main")).not_to_contain_text(MARKER)  # the page cannot read it back
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways on a small phone ({width}px)"
    assert_accessible(phone)
    phone.get_by_role("button", name="أغلق هذه الصفحة").click()
    expect(phone.locator("#id_reference")).to_be_visible()
    context.close()

    # What waits for staff says so; the case shows the file and the message; the e-mail names
    # no one.
    staff.goto(f"{live_server.url}/cases/")
    waiting = staff.locator("#waiting-heading + ul")
    expect(waiting).to_contain_text("The applicant sent what was asked")
    waiting.get_by_role("link", name=reference).click()
    expect(staff.locator("#documents-heading + ul")).to_contain_text("شهادة.pdf")
    expect(staff.locator("#notes-heading + ul")).to_contain_text(MARKER)
    expect(staff.locator("#notes-heading + ul")).to_contain_text(
        "From the applicant, sent from the status page"
    )
    expect(staff.locator("main")).to_contain_text("the applicant sent something on")
    assert_accessible(staff)
    told = [m for m in mail.outbox if m.to == ["staff@example.org"]]
    assert any(reference in m.subject for m in told)
    assert all(MARKER not in m.body for m in told)
    document = Document.objects.select_related("case").get(case=case)
    assert document.original_name == "شهادة.pdf"
    assert Note.objects.filter(case=case, from_applicant=True).count() == 1
