from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clemency.accounts.tasks import send_password_reset

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    send_password_reset.enqueue(user_id=0, domain="pardon.example.org", use_https=True)
    return DBTaskResult.objects.get()


def test_healthy_when_nothing_waits(capsys):
    call_command("worker_health")
    assert capsys.readouterr().out.strip() == "ok"


def test_healthy_while_a_fresh_task_waits(queued):
    call_command("worker_health", max_wait=300)


def test_unhealthy_when_a_task_waits_too_long(queued):
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(minutes=10))
    with pytest.raises(CommandError, match="no worker runs"):
        call_command("worker_health", max_wait=300)


def test_a_task_scheduled_for_later_is_not_late(queued):
    DBTaskResult.objects.update(
        enqueued_at=timezone.now() - timedelta(minutes=10),
        run_after=timezone.now() + timedelta(minutes=5),
    )
    call_command("worker_health", max_wait=300)
