"""A coordinator erases a closed case on a phone, in Arabic: the confirmation refuses a wrong
reference and keeps the chosen reason; the right one leaves the tombstone page, which says by
when the erasure is final. axe-core checks each page."""

import pytest
from django.conf import settings
from playwright.sync_api import Browser, expect

from cases.models import Case, State
from clemency.accounts.roles import Role
from tests.browser.conftest import sign_in
from tests.cases.conftest import make_case
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_coordinator_erases_a_closed_case_on_a_phone(
    browser: Browser, live_server, browser_context_args, assert_accessible
):
    UserFactory(email="coordinator@example.org", role=Role.COORDINATOR)
    case = make_case(State.CLOSED)
    context = browser.new_context(
        **{**browser_context_args, "viewport": {"width": 360, "height": 740}}
    )
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "ar", "url": live_server.url}]
    )
    page = context.new_page()
    sign_in(page, live_server.url, "coordinator@example.org")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    page.locator(f'a[href="/cases/{case.pk}/erase/"]').click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert_accessible(page)

    page.locator('input[name="reason"][value="request"]').check()
    page.locator("#id_reference").fill("PP-0000-0000")
    page.locator("button.danger").click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator('input[name="reason"][value="request"]')).to_be_checked()
    assert_accessible(page)
    assert not Case.objects.get(pk=case.pk).is_shredded

    page.locator("#id_reference").fill(case.reference.lower())
    page.locator("button.danger").click()
    expect(page).to_have_url(f"{live_server.url}/cases/{case.pk}/erased/")
    expect(page.locator("h1")).to_contain_text(case.reference)
    expect(page.locator("main")).to_contain_text("ليس بعد")  # "Not yet" final
    assert_accessible(page)
    assert Case.objects.get(pk=case.pk).is_shredded
    context.close()
