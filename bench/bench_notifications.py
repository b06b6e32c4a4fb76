"""Notifications for 1,000 events: recording them and sending them.

Target: an event's notifications cost a constant number of queries, however many hear of it.
"""

import time

from django.core import mail
from django.db import transaction

from bench.bench_daily import empty, people
from bench.timing import QueryCounter
from cases import notifications
from cases.models import Case, Notification, NotificationKind, Urgency
from cases.tasks import send_notifications

LAST = True  # it empties the cases: after the benchmarks that need them
TITLE = "Notifications"
DESCRIPTION = """
1,000 urgent (P0) applications, each telling the 5 intake staff and 3 coordinators at once (8,000
notifications): recording them, inside each event's own transaction, with the sending queued on
the database queue (django-tasks-db) at its commit; then sending them as the worker's tasks do, a
hundred to a task, each in its recipient's language, to Django's in-memory mail backend (so the
rendering and bookkeeping are measured, not an SMTP server).
"""
EVENTS = 1000


def run() -> list[dict]:
    empty()
    staff, coordinators, _attorneys = people()
    rows = _fan_out_rows(staff, coordinators)
    empty()
    return rows


def _fan_out_rows(staff: list, coordinators: list) -> list[dict]:
    cases = Case.objects.bulk_create(
        [Case(urgency=Urgency.P0, kek_version=1, wrapped_key=bytes(60)) for _ in range(EVENTS)]
    )
    people = staff + coordinators
    with QueryCounter() as queries:
        start = time.perf_counter()
        for case in cases:
            with transaction.atomic():
                notifications.notify(NotificationKind.P0_ARRIVED, case, people)
        recorded = time.perf_counter() - start
    ids = [str(pk) for pk in Notification.objects.values_list("pk", flat=True)]
    mail.outbox = []
    start = time.perf_counter()
    for begin in range(0, len(ids), notifications.SEND_BATCH):
        send_notifications.call(notification_ids=ids[begin : begin + notifications.SEND_BATCH])
    sent = time.perf_counter() - start
    return [
        {
            "events": f"{EVENTS:,}",
            "notifications": f"{len(ids):,}",
            "record: ms per event": f"{recorded * 1000 / EVENTS:.2f}",
            "record: queries per event": f"{queries.count / EVENTS:.1f}",
            "send: ms per message": f"{sent * 1000 / len(ids):.2f}",
            "messages sent": f"{len(mail.outbox):,}",
            "total s": f"{recorded + sent:.1f}",
        }
    ]
