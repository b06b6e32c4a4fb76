"""Staff add a hearing date on a phone, in Bengali, and the case moves up: the deadline is
listed, the urgency says why, a bad date keeps what was typed. axe-core checks each page."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone, translation
from playwright.sync_api import Browser, expect

from cases.models import Case, DeadlineKind, State
from clemency.accounts.roles import Role
from tests.browser.conftest import sign_in
from tests.cases.conftest import make_case
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_add_a_hearing_on_a_phone(
    browser: Browser, live_server, browser_context_args, assert_accessible
):
    UserFactory(email="staff@example.org", role=Role.INTAKE_STAFF)
    case = make_case(State.REVIEW)
    Case.objects.filter(pk=case.pk).update(urgency="P2", urgency_basis="P2", urgency_computed="P2")
    context = browser.new_context(
        **{**browser_context_args, "viewport": {"width": 360, "height": 740}}
    )
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "bn", "url": live_server.url}]
    )
    page = context.new_page()
    sign_in(page, live_server.url, "staff@example.org")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    page.locator("#deadlines-heading ~ details summary").click()
    page.locator("#id_deadline-kind").select_option("hearing")
    page.locator("#id_deadline-due_on").evaluate("field => field.type = 'text'")
    page.locator("#id_deadline-due_on").fill("31/31/2027")
    page.locator("#id_deadline-note").fill("Courtroom 12")
    page.locator('form[action$="/deadlines/"] button').click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("#id_deadline-note")).to_have_value("Courtroom 12")
    assert_accessible(page)

    soon = (timezone.localdate() + timedelta(days=5)).isoformat()
    page.locator("#id_deadline-due_on").fill(soon)
    page.locator('form[action$="/deadlines/"] button').click()
    expect(page.locator(".message.success")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Courtroom 12")
    with translation.override("bn"):
        hearing = str(DeadlineKind.HEARING.label)  # "immigration hearing", from the catalogue
    assert hearing != "immigration hearing"
    expect(page.locator("main")).to_contain_text(hearing)
    assert_accessible(page)
    case.refresh_from_db()
    assert (case.urgency, case.urgency_reason) == ("P0", "hearing_soon")
    context.close()
