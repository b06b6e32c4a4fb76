import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from clemency.accounts.models import User
from clemency.accounts.roles import Role

EXPECTED = {
    "staff@example.org": Role.INTAKE_STAFF,
    "coordinator@example.org": Role.COORDINATOR,
    "attorney1@example.org": Role.VOLUNTEER_ATTORNEY,
    "attorney2@example.org": Role.VOLUNTEER_ATTORNEY,
}


def _sign_in_request():
    """Sign-ins are throttled per client address: authenticate() needs the request."""
    return RequestFactory().post("/accounts/login/")


@pytest.mark.django_db
def test_seed_demo_creates_users_in_their_groups(monkeypatch, capsys):
    monkeypatch.setenv("DEMO_PASSWORD", "demo password 1")
    call_command("seed_demo", any_database=True)
    for email, role in EXPECTED.items():
        user = authenticate(_sign_in_request(), email=email, password="demo password 1")
        assert user is not None, email
        assert user.roles() == [role]
    assert User.objects.get(email="admin@example.org").is_superuser
    assert "demo password 1" in capsys.readouterr().out


@pytest.mark.django_db
def test_seed_demo_twice_is_harmless(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo password 1")
    call_command("seed_demo", any_database=True)
    call_command("seed_demo", any_database=True)
    assert User.objects.count() == len(EXPECTED) + 1


@pytest.mark.django_db
def test_seed_demo_generates_and_prints_a_password(monkeypatch, capsys):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    call_command("seed_demo", any_database=True)
    password = capsys.readouterr().out.split("password: ")[1].strip()
    assert len(password) >= 12
    assert authenticate(_sign_in_request(), email="staff@example.org", password=password)


@pytest.mark.django_db
def test_seed_demo_refuses_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo", any_database=True)
    assert not User.objects.exists()


@pytest.mark.django_db
def test_seed_demo_refuses_a_server_database_unless_asked():
    from unittest import mock

    from django.db import connection

    server = {"ENGINE": "django.db.backends.postgresql"}
    with mock.patch.dict(connection.settings_dict, server), pytest.raises(CommandError):
        call_command("seed_demo")
    assert not User.objects.exists()


@pytest.mark.django_db
def test_seed_demo_sends_applications_in_several_languages_and_urgencies(
    monkeypatch, django_capture_on_commit_callbacks
):
    from cases.models import Case

    monkeypatch.setenv("DEMO_PASSWORD", "demo password 1")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", any_database=True)
        call_command("seed_demo", any_database=True)  # twice: nothing more
    cases = Case.objects.all()
    assert len(cases) == 10
    assert {c.urgency for c in cases} == {"P0", "P1", "P2", "P3", "P4"}
    assert {c.language for c in cases} == {"en", "ar", "bn", "es", "fr", "ht"}


@pytest.mark.django_db
def test_seed_demo_creates_cases_in_every_state_for_both_attorneys(monkeypatch):
    from cases.models import Case, CaseEvent, State

    monkeypatch.setenv("DEMO_PASSWORD", "demo password 1")
    call_command("seed_demo", any_database=True)
    assert {case.state for case in Case.objects.all()} == set(State.values)
    for email in ("attorney1@example.org", "attorney2@example.org"):
        attorney = User.objects.get(email=email)
        visible = Case.objects.visible_to(attorney)
        assert visible.exists(), email
        assert all(case.assigned_attorney == attorney for case in visible)
    decided = Case.objects.get(state=State.DECIDED)
    assert decided.outcome
    assert list(CaseEvent.objects.filter(case=decided).values_list("action", flat=True)) == [
        "start_review",
        "conviction_changed",
        "screening_updated",
        "accept",
        "assign",
        "request_review",
        "consent_recorded",
        "submit",
        "decide",
    ]
    assert decided.outcomes.get().result == "conditional_pardon"
    assert Case.objects.filter(convictions__county="Queens").count() == Case.objects.count()
