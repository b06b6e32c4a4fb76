"""Browser tests drive Debian's chromium through Playwright against pytest-django's live server."""

import os
import shutil

import pytest
from axe_playwright_python.sync_playwright import Axe
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from tests.accounts.otp import app_of, next_code
from tests.factories import PASSWORD

# Headless Chromium must not try to reach the internet: this machine has no network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    chromium = shutil.which("chromium")
    if chromium is None:
        message = "Browser tests need Debian's chromium: apt-get install chromium fonts-noto-core"
        # In CI (.ci/run exports CI=1) a missing browser is a failure, not a quiet skip.
        if os.environ.get("CI", "").lower() not in {"", "0", "false"}:
            pytest.fail(message)
        pytest.skip(message)
    return {**browser_type_launch_args, "executable_path": chromium, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE, "locale": "en-US"}


@pytest.fixture(scope="session")
def axe():
    return Axe()


@pytest.fixture
def assert_accessible(axe):
    """Run axe-core (bundled, offline) on the page and fail with its report on any violation."""

    def check(page) -> None:
        results = axe.run(page, options={**WCAG_21_AA, "resultTypes": ["violations"]})
        assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"

    return check


@pytest.fixture(autouse=True)
def _restore_migrated_rows(migrated_rows):
    """Live-server tests empty the database after each test (see tests/conftest.py)."""


def enter_app_code(page: Page, email: str) -> None:
    """On the verification page: type the code the person's authenticator app shows now.

    Browser tests sign the same person in several times within one 30-second step, which a real
    app cannot do (each code works once): the device's record of the last code used is wound
    back first, so that the current code is accepted again.
    """
    from clemency.accounts.models import User

    device = app_of(User.objects.get(email=email))
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0)
    field = page.locator("#id_app-token")
    expect(field).to_be_visible()
    field.fill(next_code(device))
    page.locator("form:has(#id_app-token) button[type=submit]").click()


def sign_in(page: Page, base_url: str, email: str, password: str = PASSWORD) -> None:
    """Through the real sign-in page, then the second factor with the person's app (they are
    given one if they have none)."""
    from clemency.accounts.models import User

    app_of(User.objects.get(email=email))
    page.goto(base_url + "/accounts/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(password)
    page.locator("form.stack button[type=submit]").click()
    enter_app_code(page, email)
