"""What the staff side does once a day: manage.py daily [--forever]

Each job is idempotent (running it twice on one day does nothing twice) and runs even if an
earlier one failed; the command fails (non-zero exit, the error mailed to ADMINS) when any did.
``--forever`` runs them at once and then every day at DAILY_HOUR (UTC), and between times, every
five minutes, re-queues the opening of sent applications no worker opened: docker-compose's
`scheduler` service. Without it, run `daily` from cron or a systemd timer (and
`open_waiting_submissions` every few minutes). Each run that succeeds
touches VAR_DIR/daily.ok; ``--check`` (the scheduler's health check) fails unless that happened
in the last 25 hours.
"""

import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from cases.services import purge_pending_deletions

logger = logging.getLogger("clemency.jobs")  # errors are mailed to ADMINS (settings.LOGGING)

# Every few minutes in --forever mode: (what it is, the command and its arguments).
FREQUENT_JOBS = [("sent applications and replies no worker handled", ["open_waiting_submissions"])]
FREQUENT_SECONDS = 5 * 60

# Once a day.
JOBS = [
    ("urgency as deadlines come closer", ["recompute_urgency"]),
    ("deadline reminders", ["remind_deadlines"]),
    ("cases whose applicant did not answer", ["close_unresponsive"]),
    ("daily digests", ["send_digests"]),
    ("the counts of live cases per state", ["compact_counts"]),
    ("key rotation and retirement (ADR 0015)", ["keys", "schedule"]),
    ("unsent applications past their time", ["delete_expired_drafts"]),
    ("rate-limit counters past their window", ["delete_stale_counters"]),
    ("the audit chain", ["audit", "verify"]),
]


class Command(BaseCommand):
    help = "Run the daily jobs (key rotation, clean-ups, the audit check)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--forever", action="store_true", help="run now, then every day at DAILY_HOUR UTC"
        )
        parser.add_argument(
            "--check", action="store_true", help="fail unless a run succeeded in 25 hours"
        )

    def handle(self, *args, forever: bool, check: bool, **options) -> None:
        if check:
            try:
                age = time.time() - status_file().stat().st_mtime
            except FileNotFoundError:
                raise CommandError("The daily jobs have not succeeded yet.") from None
            if age > 25 * 3600:
                raise CommandError(f"The daily jobs last succeeded {age / 3600:.0f} hours ago.")
            self.stdout.write(f"The daily jobs succeeded {age / 3600:.1f} hours ago.")
            return
        if not forever:
            self.run_jobs()
            return
        next_daily = time.monotonic()  # at once, then at DAILY_HOUR
        while True:
            self.run_frequent_jobs()
            if time.monotonic() >= next_daily:
                try:
                    self.run_jobs()
                except CommandError as exc:
                    self.stderr.write(str(exc))  # reported; tomorrow's run comes anyway
                wait = seconds_until_next_run(datetime.now(UTC), settings.DAILY_HOUR)
                next_daily = time.monotonic() + wait
            time.sleep(FREQUENT_SECONDS)

    def run_frequent_jobs(self) -> None:
        for name, command in FREQUENT_JOBS:
            try:
                call_command(*command, stdout=self.stdout, stderr=self.stderr)
            except Exception:
                logger.exception("The job %r failed.", name)

    def run_jobs(self) -> None:
        failed = []
        for name, command in JOBS:
            try:
                call_command(*command, stdout=self.stdout, stderr=self.stderr)
            except Exception:
                logger.exception("The daily job %r failed.", name)
                failed.append(name)
        left = purge_pending_deletions()
        if left:
            logger.error("%d stored objects of shredded cases could not be deleted yet.", left)
            failed.append("deleting stored objects of shredded cases")
        if failed:
            raise CommandError(f"Daily jobs failed: {', '.join(failed)}.")
        status_file().touch()
        self.stdout.write(f"Daily jobs done at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.")


def status_file() -> Path:
    return Path(settings.VAR_DIR) / "daily.ok"


def seconds_until_next_run(now: datetime, hour: int) -> float:
    """Seconds from ``now`` to the next ``hour``:00 UTC (tomorrow's if it has passed)."""
    due = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    if due <= now:
        due += timedelta(days=1)
    return (due - now).total_seconds()
