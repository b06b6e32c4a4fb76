"""The applicant's journey in a real browser, on a phone-sized screen, in every language."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, expect

from tests.documents import pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MARKER = "-".join(["Marker", "Maria", "Lopez"])


def choose(page: Page, name: str, value: str) -> None:
    page.locator(f'input[name="{name}"][value="{value}"]').check()


def fill_step(page: Page, identifier: str) -> None:
    if identifier == "filer":
        choose(page, "who", "family")
        page.locator("#id_relationship").fill("sister")
        page.locator("#id_filer_name").fill("Ana Garcia")
    elif identifier == "applicant":
        page.locator("#id_legal_name").fill(f"{MARKER} Garcia")
        page.locator("#id_surname").fill("Garcia")
        page.locator("#id_date_of_birth").fill("1990-05-17")
        page.locator("#id_country_of_birth").fill("Haiti")
        page.locator("#id_language").select_option("ht")
        choose(page, "interpreter", "yes")
    elif identifier == "contact":
        choose(page, "where_now", "home")
        choose(page, "method", "phone")
        page.locator("#id_phone").fill("+1 718 555 0100")
        choose(page, "leave_message", "no")
    elif identifier == "person_contact":
        choose(page, "reach", "through_filer")
    elif identifier == "immigration":
        choose(page, "status", "permanent_resident")
        page.locator("#id_a_number").fill("A123456789")
    elif identifier == "convictions":
        page.locator("#id_conviction-county").select_option("Queens")
        page.locator("#id_conviction-charge").fill("Criminal possession, 7th degree")
        page.locator("#id_conviction-date").fill("2014-03-02")
        choose(page, "outside_ny", "no")
    elif identifier == "story":
        page.locator("#id_text").fill(f"{MARKER} has lived in Brooklyn for 20 years.")
    elif identifier == "documents":
        upload_with_progress(page)
    elif identifier == "consent":
        page.locator("#id_understood").check()
        page.locator("#id_agrees").check()


PDF = pdf("certificate of disposition", lines=90_000)  # about 5 MB


def upload_with_progress(page: Page) -> None:
    """Upload a PDF over a slow (emulated) phone connection: the progress bar moves."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 50,
            "downloadThroughput": 4 * 1024 * 1024,
            "uploadThroughput": 1024 * 1024,  # 5 MB take about five seconds
        },
    )
    page.locator("#id_file").set_input_files(
        {"name": "certificate.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.locator('form[data-upload] button[value="upload"]').click()
    progress = page.locator("progress")
    expect(progress).to_be_visible()
    seen = 0
    for _ in range(150):  # the page's CSP forbids wait_for_function's eval: poll instead
        seen = progress.evaluate("element => element.value")
        if seen > 10:
            break
        page.wait_for_timeout(100)
    assert seen > 10, seen
    expect(page.locator("[data-upload-status]")).to_contain_text("%")
    expect(page.locator(".convictions")).to_contain_text("certificate.pdf", timeout=30_000)
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )


def submit(page: Page, action: str = "next") -> None:
    page.locator(f'form.stack button[name="action"][value="{action}"]').click()


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_apply_save_resume_send_and_check(
    browser: Browser, live_server, browser_context_args, assert_accessible, language
):
    def new_page() -> Page:
        context = browser.new_context(**browser_context_args)
        context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
        )
        return context.new_page()

    page = new_page()
    page.goto(live_server.url)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
    page.locator(".actions a.button").click()  # start an application
    assert_accessible(page)
    page.locator("form.stack button").click()
    code = page.locator("p.code").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", code)
    assert_accessible(page)
    page.locator("a.button").click()

    # A mistake first: the error is shown next to the field and nothing typed is lost.
    submit(page)
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page)
    for identifier in ("filer", "applicant"):
        fill_step(page, identifier)
        assert_accessible(page)
        submit(page, "later" if identifier == "applicant" else "next")

    # On another device: resume with the code.
    page = new_page()
    page.goto(live_server.url + "/intake/resume/")
    assert_accessible(page)
    page.locator("#id_code").fill(code.lower().replace("-", " "))
    page.locator("form.stack button").click()
    expect(page).to_have_url(live_server.url + "/intake/contact/")
    steps = ("contact", "person_contact", "immigration", "convictions", "story", "documents")
    for identifier in (*steps, "consent"):
        fill_step(page, identifier)
        assert_accessible(page)
        submit(page)

    expect(page).to_have_url(live_server.url + "/intake/review/")
    expect(page.locator("main")).to_contain_text(f"{MARKER} Garcia")
    assert_accessible(page)
    page.locator("form.stack button").click()
    reference = page.locator("dd.code").nth(0).inner_text().strip()
    status_code = page.locator("dd.code").nth(1).inner_text().strip()
    assert reference.startswith("PP-")
    assert_accessible(page)

    page.goto(live_server.url + "/status/")
    page.locator("#id_reference").fill(reference)
    page.locator("#id_status_code").fill(status_code)
    page.locator("form.stack button").click()
    expect(page.locator(".message.success")).to_contain_text(reference)
    expect(page.locator("main")).not_to_contain_text(MARKER)
    assert_accessible(page)
