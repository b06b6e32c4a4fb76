"""Health check for the task worker (docker-compose.yml): is the queue being worked off?

Exits non-zero when the database does not answer, or when a task has been ready to run for
longer than --max-wait seconds: then no worker is taking tasks, whatever its process looks like.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.db.models import Q
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max


class Command(BaseCommand):
    help = "Fail if a ready task has waited longer than --max-wait seconds."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--max-wait", type=int, default=300, metavar="SECONDS")

    def handle(self, *args, max_wait: int, **options) -> None:
        cutoff = timezone.now() - timedelta(seconds=max_wait)
        try:
            late = (
                DBTaskResult.objects.ready()
                .filter(enqueued_at__lt=cutoff)
                .filter(Q(run_after=get_date_max()) | Q(run_after__lt=cutoff))
                .count()
            )
        except DatabaseError as exc:
            raise CommandError("The database does not answer.") from exc
        if late:
            raise CommandError(f"{late} tasks have waited more than {max_wait} s: no worker runs.")
        self.stdout.write("ok")
