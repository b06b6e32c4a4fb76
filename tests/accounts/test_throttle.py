"""Sign-in throttling: per account and address, per account, per address; cool-off; no copies."""

import logging
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessLog
from django.db.models import F
from django.urls import reverse

from clemency.audit.models import AuditEvent
from tests.factories import PASSWORD, UserFactory

LOGIN = reverse("accounts:login")
OFFICE = "198.51.100.7"
HOME = "203.0.113.20"
WRONG = "not the password at all"


def attempt(client, email: str, password: str = WRONG, *, address: str = OFFICE):
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=address)


def fail(client, email: str, times: int, *, address: str = OFFICE) -> None:
    for _ in range(times):
        response = attempt(client, email, address=address)
        assert response.status_code == 200, "locked too early"


def age_attempts(delta: timedelta) -> None:
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - delta)


def signs_in(client, email: str, *, address: str = OFFICE) -> bool:
    response = attempt(client, email, PASSWORD, address=address)
    return response.status_code == 302


def test_fifth_failure_from_one_address_locks_that_account_there(client, staff, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    fail(client, staff.email, 4)
    response = attempt(client, staff.email)
    assert response.status_code == 429
    assert "Signing in is paused" in response.text
    assert "try again in 60 minutes" in response.text
    assert response.headers["Retry-After"] == "3600"
    assert f'value="{staff.email}"' in response.text  # what was typed stays
    assert 'role="alert"' in response.text
    assert '<form method="post"' in response.text  # the sign-in page, not a bare refusal

    # The right password is refused too while locked, and refusals are not counted.
    response = attempt(client, staff.email, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == 5


def test_the_lock_ends_after_the_cool_off(client, staff):
    fail(client, staff.email, 4)
    assert attempt(client, staff.email).status_code == 429
    age_attempts(timedelta(minutes=59))
    response = attempt(client, staff.email, PASSWORD)
    assert response.status_code == 429
    assert "try again in 1 minute." in response.text
    age_attempts(timedelta(minutes=1, seconds=1))
    assert signs_in(client, staff.email)


def test_success_forgives_the_failures_from_that_address(client, staff):
    fail(client, staff.email, 4)
    assert signs_in(client, staff.email)
    client.logout()
    fail(client, staff.email, 4)  # counting starts again
    assert attempt(client, staff.email).status_code == 429


def test_a_shared_office_address_does_not_lock_out_colleagues(client, staff, coordinator):
    fail(client, staff.email, 5 - 1)
    assert attempt(client, staff.email).status_code == 429
    # A colleague at the same office signs in; the person themself can from home.
    assert signs_in(client, coordinator.email)
    client.logout()
    assert signs_in(client, staff.email, address=HOME)


def test_the_account_locks_everywhere_after_twenty_failures_from_anywhere(client, staff, settings):
    assert settings.SIGNIN_ACCOUNT_FAILURE_LIMIT == 20
    for n in range(4):
        fail(client, staff.email, 4 if n < 3 else 3, address=f"192.0.2.{n + 1}")
    fail(client, staff.email, 4, address="192.0.2.50")  # 19 failures so far, none locked
    response = attempt(client, staff.email, address="192.0.2.60")
    assert response.status_code == 429
    assert not signs_in(client, staff.email, address="192.0.2.99")  # a new address too
    events = AuditEvent.objects.filter(action="account.locked_out")
    assert [e.data for e in events] == [{"user_id": staff.pk, "limits": ["account"]}]


def test_one_address_trying_many_accounts_is_stopped(client, staff, settings):
    settings.SIGNIN_ADDRESS_FAILURE_LIMIT = 6
    for n in range(5):
        fail(client, f"guess{n}@example.org", 1)
    assert attempt(client, "guess9@example.org").status_code == 429
    assert not signs_in(client, staff.email)  # from that address, for now
    assert signs_in(client, staff.email, address=HOME)


def test_unknown_addresses_are_counted_like_accounts(client, db):
    fail(client, "nobody@example.org", 4)
    assert attempt(client, "Nobody@Example.org ").status_code == 429
    (event,) = AuditEvent.objects.filter(action="account.locked_out")
    assert event.data == {"user_id": None, "limits": ["account_from_address"]}
    assert event.actor is None


def test_lockout_is_audited_once_with_ids_only(client, staff):
    fail(client, staff.email, 4)
    attempt(client, staff.email)
    attempt(client, staff.email)
    (event,) = AuditEvent.objects.filter(action="account.locked_out")
    assert event.data == {"user_id": staff.pk, "limits": ["account_from_address"]}
    assert staff.email not in str(event.data)
    assert OFFICE not in str(event.data)


def test_nothing_typed_is_stored_or_logged(client, staff, caplog):
    secret = "Correct-Horse-Typed-By-Mistake"
    with caplog.at_level(logging.DEBUG):
        for _ in range(6):
            client.post(
                LOGIN + "?next=/cases/",
                {"username": staff.email, "password": secret, "next": "/cases/"},
                REMOTE_ADDR=OFFICE,
                HTTP_USER_AGENT="Browser/1.0 (staff laptop)",
            )
    (row,) = AccessAttempt.objects.all()
    assert row.get_data == row.post_data == row.user_agent == row.http_accept == ""
    assert row.username == staff.email
    assert row.failures_since_start == 5
    logged = caplog.text
    assert secret not in logged
    assert staff.email not in logged
    assert OFFICE not in logged
    assert not AccessLog.objects.exists()


def test_addresses_behind_a_trusted_proxy_are_the_clients(client, staff, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]

    def through_proxy(address, password=WRONG):
        return client.post(
            LOGIN,
            {"username": staff.email, "password": password},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"6.6.6.6, {address}",
        )

    for _ in range(5):
        through_proxy(OFFICE)
    assert through_proxy(OFFICE).status_code == 429
    assert through_proxy(HOME, PASSWORD).status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {OFFICE}


def test_admin_sign_in_is_the_same_throttled_page(client, administrator):
    response = client.get(reverse("admin:login") + "?next=/admin/")
    assert response.url.startswith(LOGIN)
    # The admin site takes no password itself.
    response = client.post(
        reverse("admin:login"), {"username": administrator.email, "password": PASSWORD}
    )
    assert response.status_code == 405
    fail(client, administrator.email, 4)
    assert attempt(client, administrator.email).status_code == 429
    assert not signs_in(client, administrator.email)


@pytest.mark.parametrize("language", ["ar", "bn"])
def test_the_lockout_page_is_in_the_visitors_language(client, staff, language):
    client.cookies["django_language"] = language
    fail(client, staff.email, 4)
    response = attempt(client, staff.email)
    assert response.status_code == 429
    assert f'<html lang="{language}"' in response.text


def test_many_people_from_one_office_are_not_the_address_limit(client, db, settings):
    """Colleagues mistyping now and then stay far below the address limit."""
    people = [UserFactory() for _ in range(10)]
    for person in people:
        fail(client, person.email, 2)
        assert signs_in(client, person.email)
        client.logout()
    assert settings.SIGNIN_ADDRESS_FAILURE_LIMIT == 50
