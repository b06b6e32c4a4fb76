"""manage.py daily: every job runs, twice a day does nothing twice, a failure is reported."""

import io
import os
import time
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command

from cases.management.commands.daily import JOBS, seconds_until_next_run
from cases.models import PendingDeletion
from clemency.security.keys import kek_path, load_directory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()


def test_the_daily_jobs_rotate_keys_when_due_and_are_idempotent(own_keys, settings):
    week_ago = time.time() - settings.KEK_ROTATION_DAYS * 86400 - 60
    os.utime(kek_path(own_keys, 1), (week_ago, week_ago))
    out = io.StringIO()
    call_command("daily", stdout=out)
    text = out.getvalue()
    assert "Added KEK version 2." in text
    assert "Deleted 0 expired drafts." in text
    assert "The audit chain holds" in text
    assert "Daily jobs done" in text
    assert load_directory(own_keys).kek_versions() == [2]

    again = io.StringIO()
    call_command("daily", stdout=again)  # the same day: nothing more is due
    assert "Added KEK" not in again.getvalue()
    assert load_directory(own_keys).kek_versions() == [2]


def test_the_health_check_wants_a_successful_run_within_25_hours(own_keys, settings):
    with pytest.raises(CommandError, match="have not succeeded yet"):
        call_command("daily", "--check")
    call_command("daily", stdout=io.StringIO())
    call_command("daily", "--check", stdout=io.StringIO())
    long_ago = time.time() - 26 * 3600
    os.utime(settings.VAR_DIR / "daily.ok", (long_ago, long_ago))
    with pytest.raises(CommandError, match="last succeeded 26 hours ago"):
        call_command("daily", "--check")


def test_a_failed_job_does_not_stop_the_others_and_fails_the_run(
    own_keys, monkeypatch, settings, mailoutbox
):
    settings.ADMINS = ["ops@example.org"]
    monkeypatch.setattr(
        "cases.management.commands.daily.JOBS", [("broken", ["audit", "no-such"]), *JOBS]
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"Daily jobs failed: broken\."):
        call_command("daily", stdout=out, stderr=io.StringIO())
    assert "The audit chain holds" in out.getvalue()  # the jobs after it ran
    (mail,) = mailoutbox  # the admins hear of it
    assert "The daily job 'broken' failed." in mail.subject


def test_objects_of_shredded_cases_left_undeleted_fail_the_run(own_keys, monkeypatch):
    PendingDeletion.objects.create(object_name="left-over")
    monkeypatch.setattr(
        "cases.services.document_storage",
        lambda: type("Down", (), {"delete": lambda self, name: (_ for _ in ()).throw(OSError)})(),
    )
    with pytest.raises(CommandError, match="deleting stored objects of shredded cases"):
        call_command("daily", stdout=io.StringIO(), stderr=io.StringIO())
    assert PendingDeletion.objects.filter(object_name="left-over").exists()


@pytest.mark.parametrize(
    ("now", "hour", "seconds"),
    [
        (datetime(2026, 12, 1, 2, 30, tzinfo=UTC), 3, 30 * 60),
        (datetime(2026, 12, 1, 3, 0, tzinfo=UTC), 3, 24 * 3600),
        (datetime(2026, 12, 31, 23, 0, tzinfo=UTC), 3, 4 * 3600),
    ],
)
def test_the_next_run_is_at_the_daily_hour(now, hour, seconds):
    assert seconds_until_next_run(now, hour) == seconds
