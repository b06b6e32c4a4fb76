"""Attacks an independent review tried on sign-in, each fixed and kept fixed."""

import threading

import pytest
from axes.models import AccessAttempt
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from clemency.accounts import twofactor
from tests.accounts.otp import app_of
from tests.accounts.test_throttle import LOGIN, WRONG, attempt
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_an_ipv6_client_signs_in_and_its_network_is_limited_as_one(client, staff):
    response = attempt(client, staff.email, PASSWORD, address="2001:db8:1:2::10")
    assert response.status_code == 302
    for host in range(1, 6):  # five wrong passwords from five addresses of one /64
        attempt(Client(), staff.email, address=f"2001:db8:1:2::{host}")
    assert attempt(Client(), staff.email, PASSWORD, address="2001:db8:1:2::99").status_code == 429
    assert attempt(Client(), staff.email, PASSWORD, address="2001:db8:9::1").status_code == 302


def test_another_spelling_of_the_address_is_not_the_account(client, staff, mailoutbox):
    """U+017F (long s) and U+0131 (dotless i) pass the e-mail validator, and PostgreSQL's UPPER()
    turns them into S and I: they must neither sign in nor reset the password of "staff@"."""
    variant = staff.email.replace("s", "\u017f", 1)
    for _ in range(5):
        attempt(client, staff.email)
    assert attempt(client, staff.email, PASSWORD).status_code == 429
    response = attempt(client, variant, PASSWORD)
    assert response.status_code != 302
    assert "_auth_user_id" not in client.session

    from clemency.accounts.forms import PasswordResetForm

    assert list(PasswordResetForm().get_users(variant)) == []
    assert list(PasswordResetForm().get_users(staff.email.upper())) == [staff]


def test_a_head_request_does_not_use_up_the_recovery_codes(client, staff):
    client.force_login(staff)
    session = client.session
    session[twofactor.SHOW_NEW_RECOVERY_CODES] = True
    session.save()
    assert client.head(reverse("accounts:recovery-codes")).status_code == 405
    response = client.get(reverse("accounts:recovery-codes"))
    assert response.status_code == 200
    assert twofactor.recovery_codes_left(staff) == 10


def test_wrong_app_codes_cannot_make_the_owner_wait_for_days(client, staff):
    device = app_of(staff)
    device.confirmed = True
    device.save()
    for _ in range(30):
        TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)
        twofactor.verify_app_code(staff, "000000")
    device.refresh_from_db()
    assert device.throttling_failure_count <= twofactor.MAX_COUNTED_FAILURES
    # The second factor given another way (a recovery code) frees the app again.
    code = twofactor.new_recovery_codes(staff)[0]
    client.force_login_password_only(staff)
    response = client.post(reverse("accounts:verify"), {"recovery-recovery_code": code})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_passwords_are_counted_one_by_one(migrated_rows, staff):
    """Ten guesses at once for one account from one address: five are judged (and counted),
    the rest are refused as locked; the lock holds for the right password afterwards."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    barrier = threading.Barrier(10)
    codes = []

    def guess():
        try:
            barrier.wait()
            response = Client().post(
                LOGIN, {"username": staff.email, "password": WRONG}, REMOTE_ADDR="198.51.100.8"
            )
            codes.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=guess) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(codes) == [200] * 4 + [429] * 6
    counted = AccessAttempt.objects.filter(ip_address="198.51.100.8").values_list(
        "failures_since_start", flat=True
    )
    assert max(counted) == 5
    right = Client().post(
        LOGIN, {"username": staff.email, "password": PASSWORD}, REMOTE_ADDR="198.51.100.8"
    )
    assert right.status_code == 429
