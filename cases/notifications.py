"""Telling people what waits for them (DESIGN.md §10): by e-mail, sent by the worker after the
change commits, in the recipient's language, and never with personal data: the kind of news,
the case's reference (random, meaningless outside this system) and a link are all a message
holds. Whoever opens the link signs in (with the second factor) to see more.

``notify`` records one Notification per person (once: a repeat of the same occasion is not
sent twice) and queues its sending by id; the task renders and sends it (tasks.py).
"""

from collections.abc import Iterable
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.db.models import Q

from cases.models import Case, Deadline, Notification, NotificationChoice, NotificationKind
from clemency.accounts.roles import Role
from clemency.common.batches import in_batches


def people_in(*roles: Role):
    return get_user_model().objects.filter(
        is_active=True, groups__name__in=[r.value for r in roles]
    )


def notify(kind: NotificationKind, case: Case, recipients: Iterable, *, occasion: str = "") -> int:
    """Record the notifications and queue them for sending once the transaction commits.
    Returns how many are new."""
    return notify_all(kind, [(case, recipients, occasion)])


SEND_BATCH = 100  # notifications per sending task


def notify_all(kind: NotificationKind, items: Iterable[tuple[Case, Iterable, str]]) -> int:
    """``notify`` for many (case, recipients, occasion) at once, in a constant number of
    queries: what the daily jobs use for a thousand cases at a time. Returns how many are new."""
    from cases.tasks import send_notifications

    wanted: dict[tuple, None] = {}
    for case, recipients, occasion in items:
        for person in recipients:
            if person is not None:
                wanted[(person.pk, case.pk, occasion)] = None
    if not wanted:
        return 0
    people = {key[0] for key in wanted}
    existing = set(
        Notification.objects.filter(
            kind=kind,
            recipient__in=people,
            case__in={key[1] for key in wanted},
            occasion__in={key[2] for key in wanted},
        ).values_list("recipient_id", "case_id", "occasion")
    )
    fresh = [
        Notification(recipient_id=recipient, kind=kind, case_id=case, occasion=occasion)
        for recipient, case, occasion in wanted
        if (recipient, case, occasion) not in existing
    ]
    # The same, recorded at the same moment by another request, is skipped here...
    Notification.objects.bulk_create(fresh, ignore_conflicts=True, batch_size=1000)
    # ...and not sent twice: only the rows this call wrote are queued.
    new = list(
        Notification.objects.filter(pk__in=[n.pk for n in fresh]).values_list("pk", "recipient_id")
    )
    # Those who chose a daily digest for this kind get it with the others (send_digests).
    digest = set(
        NotificationChoice.objects.filter(
            kind=kind, digest=True, user__in={recipient for _pk, recipient in new}
        ).values_list("user_id", flat=True)
    )
    at_once = [str(pk) for pk, recipient in new if recipient not in digest]
    for start in range(0, len(at_once), SEND_BATCH):
        chunk = at_once[start : start + SEND_BATCH]
        transaction.on_commit(lambda ids=chunk: send_notifications.enqueue(notification_ids=ids))
    return len(new)


def after_transition(case: Case, action: str, *, occasion: str) -> None:
    """Who hears of a step of the workflow (inside its transaction; sent after the commit)."""
    if action in ("assign", "reassign"):
        notify(NotificationKind.ASSIGNED, case, [case.assigned_attorney], occasion=occasion)
    elif action == "request_review":
        notify(
            NotificationKind.REVIEW_WAITING, case, people_in(Role.COORDINATOR), occasion=occasion
        )
    elif action == "ask_changes":
        notify(NotificationKind.CHANGES_ASKED, case, [case.assigned_attorney], occasion=occasion)


def after_opening(case: Case) -> None:
    """An urgent application: intake staff and coordinators hear of it at once."""
    if case.urgency == "P0":
        notify(NotificationKind.P0_ARRIVED, case, people_in(Role.INTAKE_STAFF, Role.COORDINATOR))


REMIND_BEFORE = (7, 1)  # days


def remind_of_deadlines(*, today: date) -> int:
    """7 days and 1 day before each open deadline of a live case, and once when it has passed:
    the assigned attorney, or (with none) intake staff. Idempotent: each reminder's occasion is
    the deadline and the day it is about. A thousand deadlines at a time, in a constant number
    of queries each. Returns how many were queued."""
    due_soon = {today + timedelta(days=days): days for days in REMIND_BEFORE}
    deadlines = (
        Deadline.objects.filter(closed_at__isnull=True, case__shredded_at__isnull=True)
        .filter(Q(due_on__in=list(due_soon)) | Q(due_on__lt=today))
        .select_related("case__assigned_attorney")
        .only("due_on", "case__state", "case__assigned_attorney")
    )
    staff = list(people_in(Role.INTAKE_STAFF))
    queued = 0
    for batch in in_batches(deadlines):
        items: dict[NotificationKind, list] = {}
        for deadline in batch:
            case = deadline.case
            people = [case.assigned_attorney] if case.assigned_attorney else staff
            if deadline.due_on < today:
                kind, occasion = NotificationKind.DEADLINE_PAST, f"{deadline.pk}:past"
            else:
                days = due_soon[deadline.due_on]
                kind, occasion = NotificationKind.DEADLINE_NEAR, f"{deadline.pk}:{days}"
            items.setdefault(kind, []).append((case, people, occasion))
        for kind, found in items.items():
            queued += notify_all(kind, found)
    return queued


def flag_stuck_cases(*, now) -> int:
    """Tell coordinators of each open case in one state longer than STUCK_AFTER_DAYS, once per
    stay in that state; a thousand cases at a time. Returns how many were queued."""
    from django.conf import settings

    since = now - timedelta(days=settings.STUCK_AFTER_DAYS)
    coordinators = list(people_in(Role.COORDINATOR))
    if not coordinators:
        return 0
    stuck = (
        Case.objects.live()
        .open()
        .filter(state_changed_at__lt=since)
        .only("state", "state_changed_at")
    )
    queued = 0
    for batch in in_batches(stuck):
        queued += notify_all(
            NotificationKind.STUCK,
            [
                (case, coordinators, f"stuck:{case.state}:{case.state_changed_at:%Y%m%d%H%M%S}")
                for case in batch
            ],
        )
    return queued


WAITING_DAYS = 30


def waiting_for(user, *, limit: int = 10) -> list[Notification]:
    """What waits for this person: their unread notifications of the last month, about live
    cases they may still see, newest first (their landing page's list). The person's own rows
    first, through their index (one query, usually finding nothing); then, only if there are
    any, their cases through the visibility rule."""
    from django.utils import timezone

    from cases import rules

    if not (rules.sees_all(user) or rules.has_own_cases(user)):
        return []
    since = timezone.now() - timedelta(days=WAITING_DAYS)
    waiting = list(
        Notification.objects.filter(recipient=user, read_at__isnull=True, created_at__gte=since)
        .only("kind", "created_at", "case_id")
        .order_by("-created_at")[: limit * 2]
    )
    if not waiting:
        return []
    cases = Case.objects.visible_to(user).live().only("reference", "state")
    seen = {case.pk: case for case in cases.filter(pk__in={n.case_id for n in waiting})}
    shown = [n for n in waiting if n.case_id in seen][:limit]
    for notification in shown:
        notification.case = seen[notification.case_id]
    return shown


def mark_read(user, *, case: Case | None = None, notification_id=None) -> int:
    from django.utils import timezone

    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if case is not None:
        unread = unread.filter(case=case)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())


def send_digests() -> int:
    """One message per person with every notification they chose to get daily and that is not
    sent yet (daily; each goes once). Returns how many messages were queued."""
    from cases.tasks import send_digest

    people = set(
        Notification.objects.filter(sent_at__isnull=True)
        .filter(
            recipient__notification_choices__digest=True,
            recipient__notification_choices__kind=models.F("kind"),
        )
        .values_list("recipient_id", flat=True)
    )
    for person in sorted(people):
        send_digest.enqueue(user_id=person)
    return len(people)


def choose(user, digest_by_kind: dict[str, bool]) -> None:
    """Save how this person wants each kind (True: in the daily digest)."""
    for kind, digest in digest_by_kind.items():
        if kind in NotificationKind.values:
            NotificationChoice.objects.update_or_create(
                user=user, kind=kind, defaults={"digest": digest}
            )
