"""A person who mistypes their code too often, on a phone in Arabic: told in their language when
to try again, with what they typed still there, and the right code still works."""

import re

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import Browser, expect

pytestmark = pytest.mark.browser


def test_too_many_wrong_codes_on_a_phone_in_arabic(
    browser: Browser, live_server, browser_context_args, assert_accessible, settings
):
    settings.INTAKE_GUESS_LIMIT = 2
    context = browser.new_context(**browser_context_args)
    context.add_cookies(
        [{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": "ar", "url": live_server.url}]
    )
    page = context.new_page()
    page.goto(live_server.url + "/intake/start/")
    page.locator("form.stack button").click()
    code = page.locator("p.code").inner_text().strip()

    page.goto(live_server.url + "/intake/resume/")
    wrong = "AAAA-BBBB-CCCC-DDDD"
    for _ in range(3):
        page.locator("#id_code").fill(wrong)
        page.locator("form.stack button").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).not_to_contain_text("Too many tries")  # said in Arabic
    expect(summary).to_contain_text(re.compile("[0-9\u0660-\u0669]"))  # in how many minutes
    expect(page.locator("#id_code")).to_have_value(wrong)
    assert_accessible(page)

    page.locator("#id_code").fill(code)
    page.locator("form.stack button").click()
    expect(page).to_have_url(live_server.url + "/intake/filer/")
