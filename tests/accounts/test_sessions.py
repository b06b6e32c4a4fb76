"""Sign out everywhere, and a new password: every session of the account ends."""

import re

from django.core import mail
from django.test import Client
from django.urls import reverse

from clemency.audit.models import AuditEvent
from tests.factories import PASSWORD

PIPELINE = reverse("cases:pipeline")
LOGIN = reverse("accounts:login")


def signed_in(client: Client) -> bool:
    return client.get(PIPELINE).status_code == 200


def test_sign_out_everywhere_ends_every_session_this_one_included(staff):
    phone, laptop = Client(), Client()
    phone.force_login(staff)
    laptop.force_login(staff)
    assert signed_in(phone)
    assert signed_in(laptop)
    salt = staff.session_salt

    response = laptop.post(reverse("accounts:sign-out-everywhere"), follow=True)
    assert response.redirect_chain[-1][0] == LOGIN
    assert "You are signed out on every device" in response.text
    staff.refresh_from_db()
    assert staff.session_salt != salt
    assert not signed_in(laptop)
    assert phone.get(PIPELINE).url.startswith(LOGIN)  # the other device too
    assert AuditEvent.objects.filter(action="account.signed_out_everywhere", actor=staff).exists()


def test_sign_out_everywhere_needs_post(client, staff):
    client.force_login(staff)
    assert client.get(reverse("accounts:sign-out-everywhere")).status_code == 405
    assert signed_in(client)


def test_a_changed_password_ends_the_other_sessions_and_keeps_this_one(staff):
    here, elsewhere = Client(), Client()
    here.force_login(staff)
    elsewhere.force_login(staff)
    salt = staff.session_salt
    new = "another long passphrase 42"
    response = here.post(
        reverse("accounts:password-change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.url == reverse("accounts:password-change-done")
    staff.refresh_from_db()
    assert staff.session_salt != salt
    assert signed_in(here)
    assert not signed_in(elsewhere)


def test_a_reset_password_ends_every_session(client, attorney, django_capture_on_commit_callbacks):
    elsewhere = Client()
    elsewhere.force_login(attorney)
    salt = attorney.session_salt
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:password-reset"), {"email": attorney.email})
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body)
    form_url = client.get(link.group(1)).url
    new = "a new and long passphrase"
    client.post(form_url, {"new_password1": new, "new_password2": new})
    attorney.refresh_from_db()
    assert attorney.session_salt != salt
    assert elsewhere.get(reverse("cases:my-cases")).url.startswith(LOGIN)


def test_the_session_hash_depends_on_the_salt(staff):
    before = staff.get_session_auth_hash()
    staff.end_sessions()
    assert staff.get_session_auth_hash() != before
