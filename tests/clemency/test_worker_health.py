from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clemency.accounts.tasks import send_password_reset

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    send_password_reset.enqueue(user_id=0, domain="pardon.example.org", use_https=True)
    return DBTaskResult.objects.get()


def health(**options) -> str:
    """The command's verdict: "ok", or the reason it fails."""
    out = StringIO()
    try:
        call_command("worker_health", stdout=out, **options)
    except CommandError as exc:
        return str(exc)
    return out.getvalue().strip()


def test_healthy_when_nothing_waits():
    assert DBTaskResult.objects.count() == 0
    assert health() == "ok"


def test_healthy_while_a_fresh_task_waits(queued):
    assert health(max_wait=300) == "ok"
    # The command does see the task: with no patience at all, it is late.
    assert health(max_wait=0) == "1 tasks have waited more than 0 s: no worker runs."


def test_unhealthy_when_a_task_waits_too_long(queued):
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(minutes=10))
    assert health(max_wait=300) == "1 tasks have waited more than 300 s: no worker runs."


def test_a_task_scheduled_for_later_is_not_late(queued):
    DBTaskResult.objects.update(
        enqueued_at=timezone.now() - timedelta(minutes=10),
        run_after=timezone.now() + timedelta(minutes=5),
    )
    assert health(max_wait=300) == "ok"
    # Its time came a minute ago: it has been waiting a minute, not ten.
    DBTaskResult.objects.update(run_after=timezone.now() - timedelta(minutes=1))
    assert health(max_wait=300) == "ok"
    # Once its time has come and gone by more than --max-wait, it is late after all.
    DBTaskResult.objects.update(run_after=timezone.now() - timedelta(minutes=6))
    assert health(max_wait=300) == "1 tasks have waited more than 300 s: no worker runs."


def test_a_task_already_taken_is_not_waiting(queued):
    DBTaskResult.objects.update(
        enqueued_at=timezone.now() - timedelta(minutes=10), status=TaskResultStatus.RUNNING
    )
    assert health(max_wait=300) == "ok"
