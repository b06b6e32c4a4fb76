"""The case pipeline in a real browser, from screening to a recorded decision, in every language.

Staff screen and accept a case; the coordinator matches attorney1; attorney1 uploads a draft and
asks for review; the coordinator records the filing and the decision. attorney2 never sees the
case. axe-core checks every page on the way (WCAG 2.1 A/AA).
"""

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from cases.models import Case, CaseEvent, Conviction, State
from clemency.accounts.roles import Role
from tests.browser.conftest import sign_in as sign_in_with_both_factors
from tests.cases.conftest import make_case
from tests.documents import pdf
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PDF = pdf("draft petition", lines=1000)
TODAY = timezone.localdate().isoformat()


@pytest.fixture
def people(db):
    return {
        "staff": UserFactory(email="staff@example.org", role=Role.INTAKE_STAFF),
        "coordinator": UserFactory(email="coordinator@example.org", role=Role.COORDINATOR),
        "attorney1": UserFactory(email="attorney1@example.org", role=Role.VOLUNTEER_ATTORNEY),
        "attorney2": UserFactory(email="attorney2@example.org", role=Role.VOLUNTEER_ATTORNEY),
    }


def test_from_screening_to_decision_in_every_language(
    browser: Browser, live_server, browser_context_args, assert_accessible, people
):
    for language, _name in settings.LANGUAGES:
        _walk_the_pipeline(browser, live_server, browser_context_args, assert_accessible, language)


def _walk_the_pipeline(browser, live_server, context_args, assert_accessible, language):
    case = make_case(State.INTAKE, screened=False)
    Conviction.objects.create(
        case=case,
        county="Queens",
        charge="Petit larceny",
        category="theft_fraud",
        sentence_status="complete",
    )
    case_url = f"{live_server.url}/cases/{case.pk}/"

    def sign_in(email: str) -> Page:
        context = browser.new_context(
            **{**context_args, "viewport": {"width": 1280, "height": 900}}
        )
        context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
        )
        page = context.new_page()
        sign_in_with_both_factors(page, live_server.url, email)
        expect(page.locator("html")).to_have_attribute("lang", language)
        return page

    def press(page: Page, slug: str) -> None:
        page.locator(f'form[action$="/{slug}/"] button').click()
        expect(page.locator(".message.success")).to_be_visible()

    def upload(page: Page, kind: str, name: str) -> None:
        form = page.locator('form[action$="/documents/"]')
        form.locator("#id_kind").select_option(kind)
        form.locator("#id_file").set_input_files(
            {"name": name, "mimeType": "application/pdf", "buffer": PDF}
        )
        form.locator("button").click()
        expect(page.locator("main")).to_contain_text(name)

    # Staff: the pipeline, the case, screening, accepting.
    staff = sign_in("staff@example.org")
    expect(staff).to_have_url(live_server.url + "/cases/")
    assert_accessible(staff)
    staff.locator(f'table a[href="/cases/{case.pk}/"]').click()
    assert_accessible(staff)
    press(staff, "start-review")
    staff.locator('a[href$="/screening/"]').click()
    staff.locator('input[name="relief"][value="pardon"]').check()
    staff.locator('input[name^="grounds_"][value="cimt"]').check()
    staff.locator("form.stack button[type=submit]").click()
    expect(staff.locator(".advice-could_help").first).to_be_visible()
    assert_accessible(staff)
    staff.goto(case_url)
    press(staff, "accept")
    assert_accessible(staff)
    staff.context.close()

    # Coordinator: the coordination page, matching attorney1.
    coordinator = sign_in("coordinator@example.org")
    expect(coordinator).to_have_url(live_server.url + "/cases/coordination/")
    assert_accessible(coordinator)
    coordinator.locator(f'a[href="/cases/{case.pk}/"]').first.click()
    coordinator.locator('a[href$="/assign/"]').click()
    assert_accessible(coordinator)
    attorney1 = Case._meta.get_field("assigned_attorney").related_model.objects.get(
        email="attorney1@example.org"
    )
    coordinator.locator("#id_attorney").select_option(str(attorney1.pk))
    coordinator.locator("#id_deadline").fill(TODAY)
    coordinator.locator("form.stack button[type=submit]").click()
    expect(coordinator.locator(".message.success")).to_be_visible()
    coordinator.context.close()

    # attorney1: my cases, the case, a draft, asking for review.
    attorney = sign_in("attorney1@example.org")
    expect(attorney).to_have_url(live_server.url + "/cases/mine/")
    assert_accessible(attorney)
    # Told it was given to them: it waits on their page until they open it.
    waiting = attorney.locator("#waiting-heading + ul")
    expect(waiting.locator(f'a[href="/cases/{case.pk}/"]')).to_be_visible()
    attorney.locator(f'table a[href="/cases/{case.pk}/"]').click()
    upload(attorney, "draft_petition", "draft-petition.pdf")
    assert_accessible(attorney)
    press(attorney, "request-review")
    attorney.context.close()

    # attorney2 never sees it, by the list or by its address.
    other = sign_in("attorney2@example.org")
    expect(other.locator("main")).not_to_contain_text(case.reference)
    response = other.goto(case_url)
    assert response.status == 404
    response = other.goto(case_url + "request-review/")
    assert response.status == 404
    other.context.close()

    # Coordinator: the final petition, the filing, the decision.
    coordinator = sign_in("coordinator@example.org")
    coordinator.goto(case_url)
    upload(coordinator, "final_petition", "petition.pdf")
    upload(coordinator, "filing_proof", "receipt.pdf")
    coordinator.locator('a[href$="/submit/"]').click()
    coordinator.locator("#id_filed_on").fill(TODAY)
    coordinator.locator('input[name="channel"][value="portal"]').check()
    coordinator.locator("#id_signed_off_on").fill(TODAY)
    assert_accessible(coordinator)
    coordinator.locator("form.stack button[type=submit]").click()
    expect(coordinator.locator(".message.success")).to_be_visible()
    coordinator.locator('a[href$="/decide/"]').click()
    coordinator.locator('input[name^="result_"][value="full_pardon"]').check()
    coordinator.locator("#id_decided_on").fill(TODAY)
    coordinator.locator("form.stack button[type=submit]").click()
    expect(coordinator.locator(".message.success")).to_be_visible()
    assert_accessible(coordinator)
    coordinator.context.close()

    case.refresh_from_db()
    assert case.state == State.DECIDED
    assert case.outcome == "full_pardon"
    assert list(CaseEvent.objects.filter(case=case).values_list("action", flat=True)) == [
        "start_review",
        "screening_updated",
        "accept",
        "assign",
        "request_review",
        "submit",
        "decide",
    ]
