"""What a family member filing on a phone met, in a real browser: the upload's messages with
JavaScript, numbers in their order on a right-to-left page, the header on a phone, and the staff
pages' header and filter box."""

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, expect

from clemency.accounts.roles import Role
from tests.browser.conftest import sign_in
from tests.browser.test_intake import choose, fill_step, submit
from tests.documents import pdf
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE_360 = {"width": 360, "height": 740}


def phone_page(browser: Browser, live_server, context_args, language: str) -> Page:
    context = browser.new_context(**{**context_args, "viewport": PHONE_360})
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    return context.new_page()


def start(page: Page, live_server) -> None:
    page.goto(live_server.url + "/intake/start/")
    page.locator("form.stack button").click()
    page.locator("a.button").click()


def test_with_javascript_a_refused_upload_says_why_and_an_added_one_says_so(
    browser: Browser, live_server, browser_context_args, assert_accessible
):
    page = phone_page(browser, live_server, browser_context_args, "en")
    start(page, live_server)
    page.goto(live_server.url + "/intake/documents/")
    page.locator("#id_file").set_input_files(
        {"name": "photo.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00 a program"}
    )
    page.locator('form[data-upload] button[value="upload"]').click()
    expect(page.locator(".messages")).to_contain_text("This file type is not accepted")
    page.locator("#id_file").set_input_files(
        {"name": "certificate.pdf", "mimeType": "application/pdf", "buffer": pdf("certificate")}
    )
    page.locator('form[data-upload] button[value="upload"]').click()
    expect(page.locator(".messages")).to_contain_text("The file is added.")
    expect(page.locator(".convictions")).to_contain_text("certificate.pdf")
    # A file chosen and "Save and continue" pressed: added, then the next step.
    page.locator("#id_file").set_input_files(
        {"name": "letter.pdf", "mimeType": "application/pdf", "buffer": pdf("letter")}
    )
    page.locator('form[data-upload] button[value="next"]').click()
    expect(page).to_have_url(live_server.url + "/intake/consent/")
    expect(page.locator(".messages")).to_contain_text("The file is added.")
    assert_accessible(page)


# The x position of each character of `needle` where it is drawn inside `root` (the first text
# node holding it), or null.
DRAWN = """(root, needle) => {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(needle);
    if (at < 0) continue;
    const range = document.createRange();
    const xs = [];
    for (let i = at; i < at + needle.length; i++) {
      range.setStart(node, i); range.setEnd(node, i + 1);
      xs.push(range.getBoundingClientRect().left);
    }
    return xs;
  }
  return null;
}"""


def assert_drawn_in_order(page: Page, needle: str, within: str = "main") -> None:
    """Each character of `needle` is drawn right of the one before: read as typed."""
    xs = page.locator(within).first.evaluate(DRAWN, needle)
    assert xs is not None, f"{needle!r} is not on the page"
    assert xs == sorted(xs), f"{needle!r} is drawn out of order: {xs}"
    assert xs[0] < xs[-1], needle


def test_a_whole_application_in_arabic_on_a_phone_shows_every_number_and_code_in_order(
    browser: Browser, live_server, browser_context_args, assert_accessible
):
    page = phone_page(browser, live_server, browser_context_args, "ar")
    page.goto(live_server.url + "/intake/start/")
    page.locator("form.stack button").click()
    code = page.locator("p.code").inner_text().strip()
    assert_drawn_in_order(page, code)
    page.locator("a.button").click()
    for identifier in ("filer", "applicant"):
        fill_step(page, identifier)
        submit(page)
    # The one filing: WhatsApp; the person is first said to be in a state prison.
    choose(page, "where_now", "state_prison")
    choose(page, "method", "whatsapp")
    page.locator("#id_phone").fill("+1 347 555 0199")
    choose(page, "leave_message", "no")
    assert page.locator("#id_phone").evaluate("e => getComputedStyle(e).direction") == "ltr"
    # Header on a phone: the languages take one row, not three; nothing wider than the screen.
    assert page.locator(".site-header").bounding_box()["height"] < 120
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    submit(page)
    assert_drawn_in_order(page, "21A1234", "#id_din_helptext")
    assert page.locator("#id_din_helptext").inner_text().strip().endswith("21A1234")
    page.locator("#id_facility").fill("Sing Sing Correctional Facility")
    page.locator("#id_din").fill("21A1234")
    choose(page, "mail_read_by_others", "yes")
    submit(page)
    fill_step(page, "person_contact")
    submit(page)
    # Then corrected: the person is at home, with an e-mail address of their own.
    page.goto(live_server.url + "/intake/contact/")
    choose(page, "where_now", "home")
    submit(page)
    expect(page).to_have_url(live_server.url + "/intake/person_contact/")
    choose(page, "reach", "email")
    page.locator("#id_email").fill("maria.lopez@example.org")
    assert page.locator("#id_email").evaluate("e => getComputedStyle(e).direction") == "ltr"
    submit(page)
    # The A-number hint: the example in its order, and no full stop drawn on its far side.
    hint = page.locator("#id_a_number_helptext")
    assert hint.inner_text().strip().endswith("A123456789")
    assert_drawn_in_order(page, "A123456789", "#id_a_number_helptext")
    assert_accessible(page)
    fill_step(page, "immigration")
    submit(page)
    fill_step(page, "convictions")
    page.locator("#id_conviction-court").fill("Queens Criminal Court")
    page.locator("#id_conviction-docket").fill("2014-00123")
    page.locator('form.stack button[value="add"]').click()
    assert_drawn_in_order(page, "2014-00123", ".convictions")
    submit(page)
    story = "عاش في Brooklyn منذ 20 سنة، رقم 718-555-0100\n+1 212 555 0111 رقم أخيه"
    page.locator("#id_text").fill(story)
    submit(page)
    submit(page)  # no documents
    fill_step(page, "consent")
    submit(page)
    expect(page).to_have_url(live_server.url + "/intake/review/")
    for typed in ("+1 347 555 0199", "maria.lopez@example.org", "2014-00123"):
        assert_drawn_in_order(page, typed)
    expect(page.locator("main")).not_to_contain_text("Sing Sing")  # no longer held: not kept
    assert_drawn_in_order(page, "718-555-0100")
    assert_drawn_in_order(page, "+1 212 555 0111")  # a number starting a right-to-left line
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page)
    page.locator("form.stack button").click()
    reference = page.locator("dd.code").nth(0).inner_text().strip()
    status_code = page.locator("dd.code").nth(1).inner_text().strip()
    assert_drawn_in_order(page, reference)
    assert_drawn_in_order(page, status_code)
    page.goto(live_server.url + "/status/")
    page.locator("#id_reference").fill(reference)
    page.locator("#id_status_code").fill(status_code)
    page.locator("form.stack button").click()
    assert_drawn_in_order(page, reference, ".message.success")
    assert_accessible(page)


def test_staff_header_lines_up_with_the_page_and_the_reference_box_is_styled(
    browser: Browser, live_server, browser_context_args
):
    UserFactory(email="staff@example.org", role=Role.INTAKE_STAFF, language="en")
    context = browser.new_context(
        **{**browser_context_args, "viewport": {"width": 1440, "height": 900}}
    )
    page = context.new_page()
    sign_in(page, live_server.url, "staff@example.org")
    page.goto(live_server.url + "/cases/")
    bar = page.locator(".site-header .bar").bounding_box()
    main = page.locator("main").bounding_box()
    assert abs(bar["width"] - (main["width"] - 32)) < 40, (bar, main)  # main has 1rem padding
    search = page.locator('input[type="search"]')
    assert search.evaluate("element => getComputedStyle(element).borderTopWidth") == "2px"
    assert search.evaluate("element => getComputedStyle(element).minHeight") == "44px"


def test_the_consent_box_sits_beside_its_label_and_review_prints_without_forms(
    browser: Browser, live_server, browser_context_args, assert_accessible
):
    page = phone_page(browser, live_server, browser_context_args, "ht")
    start(page, live_server)
    page.goto(live_server.url + "/intake/consent/")
    box = page.locator("#id_agrees").bounding_box()
    label = page.locator('label[for="id_agrees"]').bounding_box()
    # Beside it: they share a line (before, the label stood above the box).
    assert label["y"] <= box["y"] + box["height"], (box, label)
    assert label["y"] + label["height"] >= box["y"], (box, label)
    assert_accessible(page)
    page.goto(live_server.url + "/intake/review/")
    page.emulate_media(media="print")
    assert (
        page.locator("form").first.evaluate("element => getComputedStyle(element).display")
        == "none"
    )
    assert (
        page.locator(".site-header").evaluate("element => getComputedStyle(element).display")
        == "none"
    )
    assert page.locator("h1").is_visible()


@pytest.mark.parametrize("javascript", [True, False], ids=["script", "no-script"])
def test_switching_language_in_the_middle_of_a_step_keeps_what_was_typed(
    browser: Browser, live_server, browser_context_args, assert_accessible, javascript
):
    arguments = {**browser_context_args, "java_script_enabled": javascript}
    page = phone_page(browser, live_server, arguments, "ar")
    start(page, live_server)
    fill_step(page, "filer")
    submit(page)
    page.locator("#id_legal_name").fill("Maria Lopez")
    page.locator("#id_other_names").fill("María López Ruiz")
    page.locator('.languages button[value="es"]').click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page).to_have_url(live_server.url + "/intake/applicant/")
    expect(page.locator("#id_legal_name")).to_have_value("Maria Lopez")
    expect(page.locator("#id_other_names")).to_have_value("María López Ruiz")
    assert page.locator(".error-summary").count() == 0
    if javascript:  # axe-core runs as a script; the page is the same without one
        assert_accessible(page)
    # Enter in a field still means "Save and continue", not the first language button.
    fill_step(page, "applicant")
    page.locator("#id_legal_name").press("Enter")
    expect(page).to_have_url(live_server.url + "/intake/contact/")
    expect(page.locator("html")).to_have_attribute("lang", "es")


# Each line of a radio button's label starts after the button (inline-start side), measured.
RADIO_LINES = """label => {
  const input = label.querySelector("input").getBoundingClientRect();
  const range = document.createRange();
  range.selectNodeContents(label);
  range.setStartAfter(label.querySelector("input"));
  const lines = Array.from(range.getClientRects()).filter(r => r.width > 0);
  const rtl = getComputedStyle(label).direction === "rtl";
  return {
    lines: lines.length,
    beside: lines.every(r => rtl ? r.right <= input.left + 0.5 : r.left >= input.right - 0.5),
  };
}"""


@pytest.mark.parametrize("language", ["ht", "ar"])
def test_radio_labels_wrap_beside_their_button_on_a_phone(
    browser: Browser, live_server, browser_context_args, language
):
    page = phone_page(browser, live_server, browser_context_args, language)
    start(page, live_server)
    fill_step(page, "filer")
    submit(page)
    fill_step(page, "applicant")
    submit(page)
    expect(page).to_have_url(live_server.url + "/intake/contact/")
    labels = page.locator('fieldset label:has(input[type="radio"])')
    measured = [labels.nth(i).evaluate(RADIO_LINES) for i in range(labels.count())]
    assert any(item["lines"] > 1 for item in measured), "no label long enough to wrap"
    assert all(item["beside"] for item in measured), measured
