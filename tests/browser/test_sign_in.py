"""Signing in with a second factor, in a real browser: first sign-in, later sign-ins, passkeys."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from clemency.accounts import twofactor
from clemency.accounts.models import User
from clemency.accounts.roles import Role
from tests.accounts.otp import app_of, code_for_secret, next_code
from tests.browser.conftest import enter_app_code
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LANGUAGES = [code for code, _name in settings.LANGUAGES]
SMALL_PHONE = {"width": 360, "height": 740}


def type_password(page: Page, base_url: str, email: str) -> None:
    page.goto(base_url + "/accounts/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form.stack button[type=submit]").click()


def fits_the_screen(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"


def test_first_sign_in_sets_up_an_app_then_later_sign_ins_ask_for_its_code(
    page: Page, live_server, assert_accessible
):
    UserFactory(email="staff@example.org", role=Role.INTAKE_STAFF)
    type_password(page, live_server.url, "staff@example.org")

    expect(page.get_by_role("heading", level=1)).to_have_text("Add a second step to your sign-in")
    assert_accessible(page)
    page.get_by_role("link", name="An authenticator app").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Set up an authenticator app")
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    assert_accessible(page)
    # As someone who cannot scan: the app is given the key typed from the page.
    secret = page.locator(".secret").inner_text()
    page.get_by_label("6-digit code from your authenticator app").fill(code_for_secret(secret))
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    codes = page.locator(".recovery-codes li").all_inner_texts()
    assert len(codes) == twofactor.RECOVERY_CODE_COUNT
    assert_accessible(page)
    page.get_by_role("link", name="I have kept them safe. Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pipeline")

    page.get_by_role("button", name="Sign out").click()
    type_password(page, live_server.url, "staff@example.org")
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it is you")
    assert_accessible(page)
    staff = User.objects.get(email="staff@example.org")
    page.get_by_label("6-digit code from your authenticator app").fill(next_code(app_of(staff)))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pipeline")

    # A recovery code works once, in place of the app.
    page.get_by_role("button", name="Sign out").click()
    type_password(page, live_server.url, "staff@example.org")
    page.get_by_text("Lost your device? Use a recovery code").click()
    page.get_by_label("Recovery code").fill(codes[0])
    page.get_by_role("button", name="Use this recovery code").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pipeline")
    expect(page.get_by_role("status")).to_contain_text("You used a recovery code")


def test_the_account_security_page_and_sign_out_everywhere(browser, live_server, assert_accessible):
    UserFactory(email="coordinator@example.org", role=Role.COORDINATOR)
    pages = []
    for _ in range(2):
        context = browser.new_context(viewport=SMALL_PHONE)
        page = context.new_page()
        type_password(page, live_server.url, "coordinator@example.org")
        if not pages:
            page.get_by_role("link", name="An authenticator app").click()
            page.get_by_label("6-digit code from your authenticator app").fill(
                code_for_secret(page.locator(".secret").inner_text())
            )
            page.get_by_role("button", name="Confirm").click()
            page.get_by_role("link", name="I have kept them safe. Continue").click()
        else:
            enter_app_code(page, "coordinator@example.org")
        expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Coordination"))
        pages.append(page)

    phone, laptop = pages
    laptop.get_by_role("link", name="Account security").click()
    expect(laptop.get_by_role("heading", level=1)).to_have_text("Your account's security")
    assert_accessible(laptop)
    fits_the_screen(laptop)
    laptop.get_by_role("button", name="Sign out everywhere").click()
    expect(laptop.get_by_role("status")).to_contain_text("You are signed out on every device")
    phone.reload()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Sign in")


@pytest.mark.parametrize("language", LANGUAGES)
def test_second_factor_pages_fit_a_small_phone_in_every_language(
    browser, live_server, assert_accessible, language
):
    context = browser.new_context(viewport=SMALL_PHONE, locale="en-US")
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    page = context.new_page()
    person = UserFactory(email="attorney1@example.org", role=Role.VOLUNTEER_ATTORNEY)
    type_password(page, live_server.url, person.email)
    expect(page.locator("html")).to_have_attribute("lang", language)
    direction = "rtl" if language in settings.LANGUAGES_BIDI else "ltr"
    expect(page.locator("html")).to_have_attribute("dir", direction)
    for path in ("/accounts/two-factor/", "/accounts/two-factor/app/"):
        page.goto(live_server.url + path)
        fits_the_screen(page)
        assert_accessible(page)
    qr = page.locator("svg.qr").bounding_box()
    assert 150 <= qr["width"] <= 360 - 16
    page.locator("#id_app-token").fill(code_for_secret(page.locator(".secret").inner_text()))
    page.locator("form.stack button[type=submit]").click()
    expect(page.locator(".recovery-codes li")).to_have_count(twofactor.RECOVERY_CODE_COUNT)
    fits_the_screen(page)
    assert_accessible(page)
    page.goto(live_server.url + "/accounts/verify/")
    page.locator("details.recovery summary").click()
    fits_the_screen(page)
    assert_accessible(page)
    context.close()


def test_passkey_set_up_and_used_with_a_virtual_authenticator(
    page: Page, live_server, settings, assert_accessible
):
    """Chromium's virtual authenticator stands in for a phone's passkey. Passkeys need a host
    name (not an IP address), so the browser uses localhost."""
    port = live_server.url.rsplit(":", 1)[1]
    base_url = f"http://localhost:{port}"
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [base_url]
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    UserFactory(email="attorney1@example.org", role=Role.VOLUNTEER_ATTORNEY)
    type_password(page, base_url, "attorney1@example.org")
    page.get_by_role("link", name="A passkey").click()
    expect(page.locator(".passkey-unsupported")).to_be_hidden()
    assert_accessible(page)
    page.get_by_role("button", name="Create a passkey").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    page.get_by_role("link", name="I have kept them safe. Continue").click()
    expect(page).to_have_url(base_url + "/cases/mine/")

    page.get_by_role("button", name="Sign out").click()
    type_password(page, base_url, "attorney1@example.org")
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it is you")
    page.get_by_role("button", name="Use your passkey").click()
    expect(page).to_have_url(base_url + "/cases/mine/")
