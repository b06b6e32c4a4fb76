"""Password reset: the same answer, work and time for every address; limited; mail by a task."""

import re
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse

from clemency.accounts.tasks import send_password_reset

RESET = reverse("accounts:password-reset")
DONE = reverse("accounts:password-reset-done")


def ask(client, email: str, *, address: str = "198.51.100.7"):
    return client.post(RESET, {"email": email}, REMOTE_ADDR=address)


@pytest.mark.parametrize("known", [True, False])
def test_known_and_unknown_addresses_get_the_same_answer_and_work(
    client, attorney, known, django_capture_on_commit_callbacks
):
    email = attorney.email if known else "nobody@example.org"
    with (
        mock.patch.object(type(send_password_reset), "enqueue") as enqueue,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = ask(client, email)
    assert response.status_code == 302
    assert response.url == DONE
    # One task queued either way; its arguments hold no address.
    (call,) = enqueue.call_args_list
    assert call.kwargs == {
        "user_id": attorney.pk if known else None,
        "domain": "testserver",
        "use_https": False,
    }


def test_mail_for_a_known_address_only(client, attorney, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ask(client, "nobody@example.org")
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        ask(client, attorney.email.upper())
    assert [m.to for m in mail.outbox] == [[attorney.email]]


def test_the_done_page_is_the_same_for_both(client, attorney):
    def page(email: str) -> str:
        text = client.get(ask(client, email).url).text
        return re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", text)

    assert page(attorney.email) == page("nobody@example.org")


def test_limited_per_email_address_from_many_places(client, attorney, settings):
    assert settings.PASSWORD_RESET_EMAIL_LIMIT == 3
    for n in range(3):
        assert ask(client, attorney.email, address=f"192.0.2.{n}").status_code == 302
    response = ask(client, attorney.email, address="192.0.2.99")
    assert response.status_code == 429
    assert "Too many requests for a new password" in response.text
    assert f'value="{attorney.email}"' in response.text
    assert int(response.headers["Retry-After"]) > 0
    # Another address is unaffected.
    assert ask(client, "other@example.org", address="192.0.2.99").status_code == 302


def test_limited_per_client_address(client, db, settings, django_capture_on_commit_callbacks):
    assert settings.PASSWORD_RESET_LIMIT == 5
    for n in range(5):
        assert ask(client, f"person{n}@example.org").status_code == 302
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = ask(client, "person9@example.org")
    assert response.status_code == 429
    assert callbacks == []  # nothing queued
    assert ask(client, "person9@example.org", address="203.0.113.9").status_code == 302


def test_addresses_without_an_account_are_limited_too(client, db):
    for _ in range(3):
        ask(client, "nobody@example.org", address="192.0.2.1")
    assert ask(client, "nobody@example.org", address="192.0.2.2").status_code == 429
