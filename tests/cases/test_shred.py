"""Erasing a closed case from its page (retention, or the applicant's request), and the
tombstone page that says whether the erasure is final yet (ADR 0015)."""

import os
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse

from cases.models import Applicant, Case, State
from clemency.audit.models import AuditEvent
from clemency.security.keys import intake_key_path, kek_path
from tests.cases.conftest import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed(own_keys):
    case = make_case(State.CLOSED)
    applicant = Applicant.objects.select_related("case").get(case=case)
    applicant.legal_name = "Erase Me"
    applicant.save()
    return case


def shred_url(case) -> str:
    return reverse("cases:case-shred", kwargs={"case_id": case.pk})


def tombstone_url(case) -> str:
    return reverse("cases:tombstone", kwargs={"case_id": case.pk})


def test_the_case_page_offers_erasing_a_closed_case_to_a_coordinator_only(client_for, closed):
    page = client_for("coordinator").get(reverse("cases:case", kwargs={"case_id": closed.pk}))
    assert shred_url(closed) in page.text
    client_for("coordinator").logout()
    page = client_for("staff").get(reverse("cases:case", kwargs={"case_id": closed.pk}))
    assert shred_url(closed) not in page.text


def test_a_wrong_reference_erases_nothing_and_keeps_the_choice(client_for, closed):
    client = client_for("coordinator")
    assert client.get(shred_url(closed)).status_code == 200
    response = client.post(shred_url(closed), {"reason": "request", "reference": "PP-0000-0000"})
    assert response.status_code == 400
    assert "That is not this case&#x27;s reference. Nothing was erased." in response.text
    assert re.search(r'value="request"[^>]*checked', response.text)  # the choice is kept
    closed.refresh_from_db()
    assert not closed.is_shredded
    response = client.post(shred_url(closed), {"reference": closed.reference})
    assert response.status_code == 400
    assert "Please choose one of the options." in response.text


def test_erasing_leaves_a_tombstone_that_says_when_it_is_final(
    client_for, closed, own_keys, settings
):
    # Both keys made at a daily run two days ago: replaced at the run a week after that,
    # destroyed at the run after.
    run = datetime.now(UTC).replace(hour=settings.DAILY_HOUR, minute=0, second=0, microsecond=0)
    made = (run - timedelta(days=2)).timestamp()
    for path in (kek_path(own_keys, 1), intake_key_path(own_keys, 1)):
        os.utime(path, (made, made))
    client = client_for("coordinator")
    typed = " " + closed.reference.lower() + " "  # as someone types it
    response = client.post(shred_url(closed), {"reason": "request", "reference": typed})
    assert response.status_code == 302
    assert response.url == tombstone_url(closed)
    closed.refresh_from_db()
    assert closed.is_shredded
    assert not Applicant.objects.filter(case=closed).exists()
    event = AuditEvent.objects.get(action="case.shredded")
    assert event.data["reason"] == "request"

    settings.KEY_RELOAD_SECONDS = 60  # the old keys go at the run after the replacement
    page = client.get(tombstone_url(closed))
    assert page.status_code == 200
    assert "Erase Me" not in page.text
    due = (datetime.fromtimestamp(made, tz=UTC) + timedelta(days=8)).date()
    from django.utils.formats import date_format

    assert f"by {date_format(due, 'DATE_FORMAT')}" in page.text
    # Its case page is gone for everyone; erasing it again is not possible.
    assert client.get(reverse("cases:case", kwargs={"case_id": closed.pk})).status_code == 404
    assert client.get(shred_url(closed)).url == tombstone_url(closed)  # erased already

    settings.KEY_RELOAD_SECONDS = 0  # no other process here: replaced and destroyed at once
    call_command("keys", "schedule", "--now", stdout=open(os.devnull, "w"))  # noqa: SIM115
    page = client.get(tombstone_url(closed))
    assert "Yes, in the database" in page.text


def test_only_a_closed_case_is_erased_and_only_by_a_coordinator(client_for, closed, attorney):
    drafting = make_case(State.DRAFTING, attorney=attorney)
    assert client_for("coordinator").get(shred_url(drafting)).status_code == 403
    response = client_for("coordinator").post(
        shred_url(drafting), {"reason": "test", "reference": drafting.reference}
    )
    assert response.status_code == 403
    client_for("coordinator").logout()
    assert client_for("staff").get(shred_url(closed)).status_code == 403
    response = client_for("staff").post(
        shred_url(closed), {"reason": "test", "reference": closed.reference}
    )
    assert response.status_code == 403
    assert not Case.objects.get(pk=closed.pk).is_shredded


@pytest.mark.parametrize("persona", ["staff", "attorney", "administrator"])
def test_only_a_coordinator_sees_a_tombstone(client_for, closed, persona):
    from cases.services import case_shred

    case_shred(case=closed, actor=None, reason="retention")
    assert client_for(persona).get(tombstone_url(closed)).status_code == 404


def test_a_case_reopened_meanwhile_is_not_erased(client_for, closed, coordinator):
    """Two coordinators: one loads the erase page, the other reopens the case, the first
    confirms. Nothing is erased and the page says why."""
    from cases import workflow

    client = client_for("coordinator")
    assert client.get(shred_url(closed)).status_code == 200
    from cases.services import case_shred

    workflow.case_reopen(
        case=closed, actor=coordinator, expected_state=State.CLOSED, reason="New facts."
    )
    with pytest.raises(Exception, match="not closed any more"):
        case_shred(case=closed, actor=coordinator, reason="request")
    assert not Case.objects.get(pk=closed.pk).is_shredded


def test_a_second_click_on_erase_lands_on_the_tombstone(client_for, closed):
    client = client_for("coordinator")
    data = {"reason": "request", "reference": closed.reference}
    assert client.post(shred_url(closed), data).status_code == 302
    again = client.post(shred_url(closed), data)
    assert again.status_code == 302
    assert again.url == tombstone_url(closed)


@pytest.mark.parametrize(
    ("made", "shredded", "now", "by"),
    [
        # Made at a run: replaced a week on, destroyed the run after.
        ("2026-12-01T03:00", "2026-12-02T10:00", "2026-12-02T10:00", "2026-12-09"),
        # Made in the afternoon: the run a week on is an hour short of the age; the next does it.
        ("2026-12-01T15:00", "2026-12-02T10:00", "2026-12-02T10:00", "2026-12-10"),
        # Made just after a run: a week less an hour is before that run a week on.
        ("2026-12-01T03:04", "2026-12-02T10:00", "2026-12-02T10:00", "2026-12-09"),
        # Overdue (the scheduler was down): the next run replaces it, the one after destroys it.
        ("2026-11-01T03:00", "2026-12-02T10:00", "2026-12-02T10:00", "2026-12-04"),
    ],
)
def test_the_finality_date_follows_the_daily_runs(own_keys, settings, made, shredded, now, by):
    from cases.services import shred_finality

    settings.DAILY_HOUR, settings.KEK_ROTATION_DAYS, settings.KEY_RELOAD_SECONDS = 3, 7, 60
    stamp = datetime.fromisoformat(made).replace(tzinfo=UTC).timestamp()
    for path in (kek_path(own_keys, 1), intake_key_path(own_keys, 1)):
        os.utime(path, (stamp, stamp))
    finality = shred_finality(
        datetime.fromisoformat(shredded).replace(tzinfo=UTC),
        now=datetime.fromisoformat(now).replace(tzinfo=UTC),
    )
    assert (finality.final, str(finality.by)) == (False, by)


def test_a_key_waiting_to_be_retired_goes_at_the_next_run_and_newer_keys_do_not_count(
    own_keys, settings
):
    from cases.services import shred_finality
    from clemency.security.keys import add_kek

    settings.DAILY_HOUR, settings.KEY_RELOAD_SECONDS = 3, 60
    old = datetime(2026, 11, 24, 3, tzinfo=UTC).timestamp()
    for path in (kek_path(own_keys, 1), intake_key_path(own_keys, 1)):
        os.utime(path, (old, old))
    add_kek(own_keys)  # KEK 2, made now (after the shred below): it never held this key
    newer = datetime(2026, 12, 2, 12, tzinfo=UTC).timestamp()
    os.utime(kek_path(own_keys, 2), (newer, newer))
    finality = shred_finality(
        datetime(2026, 12, 2, 11, tzinfo=UTC), now=datetime(2026, 12, 2, 13, tzinfo=UTC)
    )
    # KEK 1 waits to be retired: the next run; the intake key (in use, overdue): replaced at
    # the next run and destroyed at the one after.
    assert str(finality.by) == "2026-12-04"
    everything_newer = datetime(2026, 11, 20, tzinfo=UTC)
    assert shred_finality(everything_newer).final
