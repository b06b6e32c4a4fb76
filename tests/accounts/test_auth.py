import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.accounts.otp import app_of, next_code
from tests.factories import PASSWORD

LOGIN = reverse("accounts:login")
VERIFY = reverse("accounts:verify")


def test_login_page_renders_labelled_fields(client, db):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert '<label for="id_username">' in response.text
    assert 'autocomplete="username"' in response.text
    assert 'autocomplete="current-password"' in response.text


def test_login_with_email_then_code_lands_on_role_home(client, staff):
    device = app_of(staff)
    response = client.post(LOGIN, {"username": "Staff@Example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == VERIFY + "?next=%2Faccounts%2Fhome%2F"
    response = client.post(
        response.url, {"app-token": next_code(device), "next": "/accounts/home/"}
    )
    assert response.url == reverse("accounts:home")
    assert client.get(response.url).url == reverse("cases:pipeline")


def test_login_honours_safe_next_only(client, coordinator):
    app_of(coordinator)
    response = client.post(
        LOGIN + "?next=https://evil.example/", {"username": coordinator.email, "password": PASSWORD}
    )
    assert response.url == VERIFY + "?next=%2Faccounts%2Fhome%2F"
    response = client.post(
        VERIFY, {"app-token": next_code(app_of(coordinator)), "next": "https://evil.example/"}
    )
    assert response.url == reverse("accounts:home")


def test_wrong_password_keeps_the_email_and_explains(client, staff):
    response = client.post(LOGIN, {"username": staff.email, "password": "wrong"})
    assert response.status_code == 200
    assert "do not match an account" in response.text
    assert f'value="{staff.email}"' in response.text
    assert 'role="alert"' in response.text


def test_empty_form_gets_field_errors_linked_to_inputs(client, db):
    response = client.post(LOGIN, {"username": "", "password": ""})
    assert "Enter your email address." in response.text
    assert "Enter your password." in response.text
    assert re.search(r'aria-describedby="id_username_error"', response.text)
    assert 'aria-invalid="true"' in response.text


def test_wrong_password_message_in_haitian_creole(client, staff):
    client.cookies["django_language"] = "ht"
    response = client.post(LOGIN, {"username": staff.email, "password": "wrong"})
    assert '<html lang="ht"' in response.text
    assert "do not match an account" not in response.text


def test_inactive_user_cannot_sign_in(client, staff):
    staff.is_active = False
    staff.save()
    response = client.post(LOGIN, {"username": staff.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_logout_needs_post_and_ends_the_session(client, staff):
    client.force_login(staff)
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.url == reverse("intake:landing")
    assert client.get(reverse("cases:pipeline")).status_code == 302


def test_password_reset_round_trip(client, attorney, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password-reset"), {"email": attorney.email})
    assert response.url == reverse("accounts:password-reset-done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [attorney.email]
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", message.body).group(1)

    form_url = client.get(link).url  # Django swaps the token for a session-held one
    new_password = "a new and long passphrase"
    response = client.post(form_url, {"new_password1": new_password, "new_password2": new_password})
    assert response.url == reverse("accounts:password-reset-complete")
    attorney.refresh_from_db()
    assert attorney.check_password(new_password)


def test_password_reset_for_unknown_address_says_the_same(
    client, db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password-reset"), {"email": "nobody@example.org"})
    assert response.url == reverse("accounts:password-reset-done")
    assert mail.outbox == []


def test_password_reset_mail_is_in_the_accounts_language(
    client, attorney, django_capture_on_commit_callbacks
):
    attorney.language = "fr"
    attorney.save()
    client.cookies["django_language"] = "es"  # the requester's browser language does not matter
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:password-reset"), {"email": attorney.email})
    from django.utils import translation

    with translation.override("fr"):
        expected = translation.gettext(
            "If it was not you, you can ignore this email. Your password stays the same."
        )
    assert "Someone asked" not in mail.outbox[0].body
    assert expected in mail.outbox[0].body
    assert expected.startswith("Si")


def test_password_reset_task_arguments_carry_no_address_or_token(
    client, attorney, django_capture_on_commit_callbacks
):
    from unittest import mock

    from clemency.accounts.tasks import send_password_reset

    with (
        mock.patch.object(type(send_password_reset), "enqueue") as enqueue,
        django_capture_on_commit_callbacks(execute=True),
    ):
        client.post(reverse("accounts:password-reset"), {"email": attorney.email})
    (call,) = enqueue.call_args_list
    assert call.kwargs == {"user_id": attorney.pk, "domain": "testserver", "use_https": False}


def test_password_change_mismatch_keeps_user_on_form(client, staff):
    client.force_login(staff)
    response = client.post(
        reverse("accounts:password-change"),
        {
            "old_password": PASSWORD,
            "new_password1": "first long passphrase",
            "new_password2": "second long passphrase",
        },
    )
    assert response.status_code == 200
    assert "The two passwords are not the same." in response.text


@pytest.mark.parametrize("email", ["STAFF@example.org", " staff@example.org "])
def test_emails_are_one_account_whatever_the_case(staff, email):
    from clemency.accounts.models import User

    assert User.objects.get_by_natural_key(email) == staff
