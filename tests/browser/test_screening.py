"""Screening that knows the law, in a real browser: staff screen a drug conviction and a theft
conviction and see different guidance, decline the drug case with a referral, and the
applicant's family reads the referral on the status page in Haitian Creole, on a phone."""

import pytest
from django.conf import settings
from django.utils import translation
from playwright.sync_api import Browser, Page, expect

from cases.models import Case, State
from clemency.accounts.roles import Role
from clemency.common.status import REFERRAL_SENTENCES
from intake.services import draft_save_step, draft_start, draft_submit
from tests.browser.conftest import sign_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def application(charge: str) -> tuple[Case, str, str]:
    """A family member's application in Haitian Creole, sent and opened: (case, ref, code)."""
    draft, dek, _code = draft_start(language="ht")
    answers = {
        "filer": {"who": "family", "relationship": "sè li"},
        "convictions": {
            "list": [
                {"county": "Kings (Brooklyn)", "charge": charge, "sentence_status": "finished"}
            ],
            "outside_ny": False,
        },
        "consent": {"understood": True, "agrees": True},
    }
    for step, data in answers.items():
        draft_save_step(draft=draft, dek=dek, step=step, data=data)
    reference, status_code = draft_submit(draft=draft, dek=dek)  # opened at the commit
    return Case.objects.get(reference=reference), reference, status_code


def screen(page: Page, live_server, case: Case, *, category: str, ground: str, assert_accessible):
    """Staff give the conviction its category and screen the case for a pardon."""
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    page.get_by_role("button", name="Start screening").click()
    expect(page.locator(".message.success")).to_be_visible()
    expect(page.locator("main")).to_contain_text("The screening is not complete:")
    page.locator('a[href*="/convictions/"]').first.click()
    page.locator("#id_category").select_option(category)
    page.locator("#id_statute").fill(
        "PL 220.39(1)" if ground == "controlled_substance" else "PL 155.25"
    )
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".message.success")).to_be_visible()
    page.locator('a[href$="/screening/"]').click()
    page.locator('input[name="relief"][value="pardon"]').check()
    page.locator(f'input[name^="grounds_"][value="{ground}"]').check()
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".message.success")).to_be_visible()
    expect(page.locator("main")).to_contain_text("The screening is complete.")
    assert_accessible(page)
    return page.locator(".conviction-screening .advice").inner_text()


def test_two_cases_two_kinds_of_guidance_and_a_referral_on_the_status_page(
    browser: Browser, live_server, browser_context_args, assert_accessible
):
    UserFactory(email="staff@example.org", role=Role.INTAKE_STAFF, language="en")
    drugs, reference, status_code = application("Criminal sale of a controlled substance")
    theft, _ref, _code = application("Petit larceny")

    staff = browser.new_context(
        **{**browser_context_args, "viewport": {"width": 1280, "height": 900}}
    ).new_page()
    sign_in(staff, live_server.url, "staff@example.org")
    drug_advice = screen(
        staff,
        live_server,
        drugs,
        category="controlled_substance",
        ground="controlled_substance",
        assert_accessible=assert_accessible,
    )
    theft_advice = screen(
        staff,
        live_server,
        theft,
        category="theft_fraud",
        ground="cimt",
        assert_accessible=assert_accessible,
    )
    assert "would not help" in drug_advice
    assert (
        "A pardon would not waive this ground for deportation: controlled substance." in drug_advice
    )
    assert "could waive this ground" not in drug_advice
    assert "could help" in theft_advice
    assert (
        "could waive this ground for deportation: crime involving moral turpitude" in theft_advice
    )
    assert "would not waive" not in theft_advice

    # The drug case is declined, with referrals; the form keeps what was typed when one is missing.
    staff.goto(f"{live_server.url}/cases/{drugs.pk}/")
    staff.locator('a[href$="/close/"]').click()
    staff.locator("#id_closure_reason").select_option("ineligible")
    staff.locator("#id_reason").fill("A pardon cannot waive the drug ground.")
    staff.locator("main form button[type=submit]").click()
    expect(staff.locator(".error-summary")).to_contain_text("say where the person can turn instead")
    expect(staff.locator("#id_reason")).to_have_value("A pardon cannot waive the drug ground.")
    assert_accessible(staff)
    staff.locator('input[name="referrals"][value="vacatur"]').check()
    staff.locator('input[name="referrals"][value="immigration_counsel"]').check()
    staff.locator("main form button[type=submit]").click()
    expect(staff.locator(".message.success")).to_be_visible()
    assert Case.objects.get(pk=drugs.pk).state == State.CLOSED

    # The applicant's sister opens the status page on a phone, in Haitian Creole.
    context = browser.new_context(
        **{**browser_context_args, "viewport": {"width": 360, "height": 740}}
    )
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "ht", "url": live_server.url}]
    )
    phone = context.new_page()
    phone.goto(live_server.url + "/status/")
    phone.locator("#id_reference").fill(reference)
    phone.locator("#id_status_code").fill(status_code)
    phone.locator("form.stack button").click()
    referrals = phone.locator(".referrals li")
    expect(referrals).to_have_count(2)
    with translation.override("ht"):
        expected = [str(REFERRAL_SENTENCES[code]) for code in ("immigration_counsel", "vacatur")]
    assert referrals.all_inner_texts() == expected
    assert expected[0] != str(REFERRAL_SENTENCES["immigration_counsel"])  # translated, not English
    expect(phone.locator("main")).not_to_contain_text("drug ground")  # staff's words stay theirs
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways on a small phone ({width}px)"
    assert_accessible(phone)
    context.close()
