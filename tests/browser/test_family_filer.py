"""What a family member filing on a phone met, in a real browser: the upload's messages with
JavaScript, numbers in their order on a right-to-left page, the header on a phone, and the staff
pages' header and filter box."""

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, expect

from clemency.accounts.roles import Role
from tests.browser.conftest import sign_in
from tests.browser.test_intake import fill_step, submit
from tests.documents import pdf
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE_360 = {"width": 360, "height": 740}

# The x position of the first and the last character of an element's text, as rendered.
ENDS = """element => {
  const text = element.firstChild;
  const range = document.createRange();
  range.setStart(text, 0); range.setEnd(text, 1);
  const first = range.getBoundingClientRect().left;
  range.setStart(text, text.length - 1); range.setEnd(text, text.length);
  const last = range.getBoundingClientRect().left;
  return [first, last];
}"""


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


def test_in_arabic_a_phone_number_reads_in_its_order_while_typed_and_on_review(
    browser: Browser, live_server, browser_context_args, assert_accessible
):
    page = phone_page(browser, live_server, browser_context_args, "ar")
    start(page, live_server)
    for identifier in ("filer", "applicant"):
        fill_step(page, identifier)
        submit(page)
    fill_step(page, "contact")
    page.locator("#id_phone").fill("+1 347 555 0199")
    field = page.locator("#id_phone")
    assert field.evaluate("element => getComputedStyle(element).direction") == "ltr"
    # Header on a phone: the languages take one row, not three.
    header = page.locator(".site-header").bounding_box()
    assert header["height"] < 120, header
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    submit(page)
    for identifier in ("immigration", "convictions", "story", "documents", "consent"):
        fill_step(page, identifier)
        submit(page)
    expect(page).to_have_url(live_server.url + "/intake/review/")
    shown = page.locator("dd", has_text="0199")
    expect(shown).to_have_count(1)
    first, last = shown.evaluate(ENDS)
    assert first < last, "the phone number is drawn right to left"
    assert shown.inner_text().strip() == "+1 347 555 0199"
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


def test_switching_language_in_the_middle_of_a_step_keeps_what_was_typed(
    browser: Browser, live_server, browser_context_args, assert_accessible
):
    page = phone_page(browser, live_server, browser_context_args, "ar")
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
    assert_accessible(page)
    # Enter in a field still means "Save and continue", not the first language button.
    fill_step(page, "applicant")
    page.locator("#id_legal_name").press("Enter")
    expect(page).to_have_url(live_server.url + "/intake/contact/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
