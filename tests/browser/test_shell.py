"""The public shell in a real browser: languages, right-to-left, sign-in, accessibility."""

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from clemency.accounts.roles import Role
from tests.accounts.otp import app_of
from tests.browser.conftest import enter_app_code
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LANGUAGES = [code for code, _name in settings.LANGUAGES]


def test_landing_in_english_then_arabic_via_the_switcher(page: Page, live_server):
    page.goto(live_server.url)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Ask the Governor of New York for a pardon"
    )
    assert page.locator(".brand").bounding_box()["x"] < page.viewport_size["width"] / 2

    page.get_by_role("button", name="العربيّة").click()
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    heading = page.get_by_role("heading", level=1)
    expect(heading).not_to_have_text("Ask the Governor of New York for a pardon")

    # Right-to-left layout mirrors: the site name moves from the left edge to the right edge.
    box = page.locator(".brand").bounding_box()
    assert box["x"] > page.viewport_size["width"] / 2

    # The choice is remembered on the next page.
    page.goto(live_server.url + "/accounts/login/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")


def test_skip_link_is_first_and_moves_focus_to_main(page: Page, live_server):
    page.goto(live_server.url)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_staff_signs_in_and_lands_on_their_page(page: Page, live_server):
    app_of(UserFactory(email="staff@example.org", role=Role.INTAKE_STAFF))
    page.goto(live_server.url)
    page.get_by_role("link", name="Staff and volunteer sign in").click()
    page.get_by_label("Email address").fill("staff@example.org")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match an account")
    expect(page.get_by_label("Email address")).to_have_value("staff@example.org")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it is you")
    enter_app_code(page, "staff@example.org")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pipeline")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Ask the Governor of New York for a pardon"
    )


def test_attorney_signs_in_in_bengali(page: Page, live_server):
    app_of(UserFactory(email="attorney1@example.org", role=Role.VOLUNTEER_ATTORNEY))
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_role("button", name="বাংলা").click()
    expect(page.locator("html")).to_have_attribute("lang", "bn")
    page.locator("#id_username").fill("attorney1@example.org")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form.stack button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", "bn")
    enter_app_code(page, "attorney1@example.org")
    expect(page).to_have_url(live_server.url + "/cases/mine/")
    expect(page.locator("html")).to_have_attribute("lang", "bn")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("path", ["/", "/accounts/login/"])
def test_no_wcag_violations(page: Page, live_server, assert_accessible, language, path):
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    page.goto(live_server.url + path)
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert_accessible(page)


def test_login_errors_are_accessible(page: Page, live_server, assert_accessible):
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_label("Email address")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)


def test_pages_load_no_blocked_resources(page: Page, live_server):
    """The CSP allows only this origin; nothing on the page may be blocked by it."""
    problems = []
    page.on("console", lambda message: problems.append(message.text))
    page.on("requestfailed", lambda request: problems.append(request.url))
    for path in ("/", "/accounts/login/"):
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
    assert problems == []
    background = page.evaluate(
        "getComputedStyle(document.querySelector('.site-header')).backgroundColor"
    )
    assert background == "rgb(8, 58, 102)"  # the stylesheet loaded under the CSP


def test_admin_site_works_under_the_content_security_policy(page: Page, live_server):
    app_of(UserFactory(email="admin@example.org", is_staff=True, is_superuser=True))
    refused = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and refused.append(message.text),
    )
    page.goto(live_server.url + "/admin/")
    expect(page).to_have_url(live_server.url + "/accounts/login/?next=/admin/")
    page.get_by_label("Email address").fill("admin@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    enter_app_code(page, "admin@example.org")
    expect(page).to_have_url(live_server.url + "/admin/")
    page.goto(live_server.url + "/admin/accounts/user/add/")
    page.wait_for_load_state("networkidle")
    expect(page.get_by_label("Email address")).to_be_visible()
    assert refused == []
