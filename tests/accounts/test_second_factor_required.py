"""Signed in with the password only: every URL of the project is refused until the second factor.

Walks every URL pattern (as tests/clemency/test_url_access.py does) as a person who has given
their password but not their second factor, with GET and with POST. A view answers only if it is
public or one of the second-factor pages listed here; everything else sends the person to
verification (or to enrolment, when they have no device yet), without running.
"""

from urllib.parse import urlsplit

import pytest
from django.urls import resolve, reverse

from clemency.accounts.roles import Role
from tests.accounts.otp import app_of
from tests.clemency.test_url_access import ALL, PUBLIC, _id, _sample_path
from tests.factories import UserFactory

# The views a person who has given only their password may use, besides the public ones.
SECOND_FACTOR_PAGES = {
    "accounts:logout",
    "accounts:verify",
    "accounts:enroll",
    "accounts:enroll-app",
    "accounts:enroll-passkey",
    "accounts:passkey-register-begin",
    "accounts:passkey-register-complete",
    "accounts:passkey-verify-begin",
    "accounts:passkey-verify-complete",
}
VERIFY = reverse("accounts:verify")
ENROLL = reverse("accounts:enroll")


def test_the_list_names_real_views_and_agrees_with_the_views():
    marked = {
        name
        for _route, name, pattern in ALL
        if getattr(pattern.callback, "second_factor_required", True) is False
    }
    assert marked == SECOND_FACTOR_PAGES
    assert not SECOND_FACTOR_PAGES & PUBLIC


@pytest.fixture
def password_only(client, db):
    """A coordinator (who may see every case) signed in with the password only."""
    person = UserFactory(role=Role.COORDINATOR)
    app_of(person)
    client.force_login_password_only(person)
    return client


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(("route", "name", "pattern"), ALL, ids=[_id(item) for item in ALL])
def test_nothing_answers_before_the_second_factor(password_only, route, name, pattern, method):
    path = _sample_path(route)
    assert resolve(path).func == pattern.callback
    response = getattr(password_only, method)(path)
    if name in PUBLIC or name in SECOND_FACTOR_PAGES:
        return
    assert response.status_code == 302, f"{method.upper()} {path} answered {response.status_code}"
    assert urlsplit(response.url).path == VERIFY, f"{path} sent to {response.url}"
    # Still not verified: nothing on the way verified the session.
    assert not password_only.session.get("otp_device_id")


def test_pages_come_back_after_verification_forms_do_not(password_only):
    assert (
        password_only.get("/cases/?state=review").url
        == VERIFY + "?next=%2Fcases%2F%3Fstate%3Dreview"
    )
    assert password_only.post("/accounts/security/sign-out-everywhere/").url == VERIFY


def test_someone_without_a_device_is_sent_to_enrolment(client, staff):
    client.force_login_password_only(staff)
    for path in ("/cases/", "/admin/", "/accounts/security/", "/accounts/home/"):
        response = client.get(path)
        assert urlsplit(response.url).path == ENROLL, path
    assert urlsplit(client.post("/cases/").url).path == ENROLL


def test_public_pages_stay_open_before_the_second_factor(password_only):
    for path in ("/", "/intake/start/", "/status/", "/accounts/password/reset/"):
        assert password_only.get(path).status_code == 200, path
    response = password_only.post("/i18n/setlang/", {"language": "es", "next": "/"})
    assert response.status_code == 302
    assert response.url == "/"
    assert password_only.get("/healthz").status_code == 200
    assert password_only.get("/static/css/site.css").status_code == 200


def test_the_admin_refuses_before_the_second_factor(client, administrator):
    app_of(administrator)
    client.force_login_password_only(administrator)
    for path in (
        "/admin/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{administrator.pk}/change/",
    ):
        response = client.get(path)
        assert urlsplit(response.url).path == VERIFY, path
    response = client.post(f"/admin/accounts/user/{administrator.pk}/delete/", {"post": "yes"})
    assert urlsplit(response.url).path == VERIFY
    assert type(administrator).objects.filter(pk=administrator.pk).exists()
