"""Staff are told when sent applications are not becoming cases (no worker running)."""

from datetime import timedelta

import pytest
from django.db.models import F
from django.urls import reverse

from intake.models import Draft
from intake.services import draft_save_step, draft_start, draft_submit

pytestmark = pytest.mark.django_db
WARNING = "waited more than 5 minutes to become"


@pytest.fixture(autouse=True)
def _count_afresh():
    from cases.context_processors import forget_count

    forget_count()
    yield
    forget_count()


@pytest.fixture
def sent_but_not_opened(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # no worker
    draft, dek, _code = draft_start(language="en")
    draft_save_step(draft=draft, dek=dek, step="applicant", data={"legal_name": "A"})
    draft_submit(draft=draft, dek=dek)
    return draft


def test_no_warning_while_the_worker_keeps_up(client_for, sent_but_not_opened):
    assert WARNING not in client_for("staff").get(reverse("cases:pipeline")).text


@pytest.mark.parametrize("persona", ["staff", "coordinator"])
def test_staff_are_warned_after_five_minutes(client_for, sent_but_not_opened, persona):
    Draft.objects.update(submitted_at=F("submitted_at") - timedelta(minutes=6))
    home = client_for(persona).get(reverse("accounts:home"), follow=True)
    assert "1 sent application has waited more than 5 minutes to become a case." in home.text


def test_attorneys_and_applicants_see_no_warning(client_for, client, sent_but_not_opened):
    Draft.objects.update(submitted_at=F("submitted_at") - timedelta(minutes=6))
    assert WARNING not in client.get(reverse("intake:landing")).text
    assert WARNING not in client_for("attorney").get(reverse("cases:my-cases")).text


def test_the_warning_is_in_the_readers_language(client_for, sent_but_not_opened):
    Draft.objects.update(submitted_at=F("submitted_at") - timedelta(minutes=6))
    client = client_for("staff")
    client.cookies["django_language"] = "es"
    page = client.get(reverse("cases:pipeline"))
    assert "1 solicitud enviada lleva más de 5 minutos esperando" in page.text


def test_no_warning_before_the_second_factor(client, staff, sent_but_not_opened):
    Draft.objects.update(submitted_at=F("submitted_at") - timedelta(minutes=6))
    client.force_login_password_only(staff)
    page = client.get(reverse("accounts:verify"), follow=True)
    assert WARNING not in page.text
