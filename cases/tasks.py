"""Background work of the staff side. Task arguments are ids only."""

import logging
from urllib.parse import urljoin

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

logger = logging.getLogger(__name__)


def _staff_link(case) -> str:
    """The case page on the staff site (it asks for the password and the second factor)."""
    return urljoin(settings.SITE_URL, case.get_absolute_url())


def _mail(subject: str, body: str, *, to: str, sender: str | None = None) -> None:
    """One e-mail; the subject rendered from a template, on one line."""
    EmailMessage(" ".join(subject.split()), body, from_email=sender, to=[to]).send()


@task()
def send_notification(*, notification_id: str) -> None:
    """Send one notification, once, in its recipient's language (cases/notifications.py).
    Notifications are now queued a hundred to a task (``send_notifications``); this one stays
    for tasks queued before that, and for sending one again by hand."""
    _send_notification(notification_id)


@task()
def send_notifications(*, notification_ids: list[str]) -> None:
    """Send several notifications, each once and on its own: one that fails (a refused
    address) does not hold back the others; the task fails at the end if any did."""
    failed = 0
    for notification_id in notification_ids:
        try:
            _send_notification(notification_id)
        except Exception:
            logger.exception("A notification could not be sent.")
            failed += 1
    if failed:
        raise RuntimeError(f"{failed} of {len(notification_ids)} notifications were not sent.")


def _send_notification(notification_id: str) -> None:
    from cases.models import Notification

    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .select_related("recipient", "case")
            .filter(pk=notification_id, sent_at__isnull=True)
            .first()
        )
        if notification is None or not notification.recipient.is_active:
            return
        context = {
            "kind": notification.kind,
            "label": notification.get_kind_display,
            "reference": notification.case.reference,
            "url": _staff_link(notification.case),
        }
        with translation.override(notification.recipient.language):
            subject = render_to_string("cases/email/notification_subject.txt", context)
            body = render_to_string("cases/email/notification.txt", context)
        _mail(subject, body, to=notification.recipient.email)
        notification.sent_at = timezone.now()
        notification.save(update_fields=["sent_at"])


@task()
def send_digest(*, user_id: int) -> None:
    """The day's notifications of the kinds this person gets as a digest, in one message."""
    from django.contrib.auth import get_user_model

    from cases.models import Notification

    person = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if person is None:
        return
    with transaction.atomic():
        chosen = person.notification_choices.filter(digest=True).values("kind")
        items = list(
            Notification.objects.select_for_update()
            .select_related("case")
            .filter(recipient=person, sent_at__isnull=True, kind__in=chosen)
            .order_by("created_at")
        )
        if not items:
            return
        lines = [
            {
                "label": item.get_kind_display,
                "reference": item.case.reference,
                "url": _staff_link(item.case),
            }
            for item in items
        ]
        with translation.override(person.language):
            subject = render_to_string("cases/email/digest_subject.txt", {"count": len(lines)})
            body = render_to_string("cases/email/digest.txt", {"items": lines})
        _mail(subject, body, to=person.email)
        Notification.objects.filter(pk__in=[item.pk for item in items]).update(
            sent_at=timezone.now()
        )


class NotSent(Exception):
    """A message was not accepted for delivery. Its text names no address, number or case: task
    errors are stored (django-tasks-db keeps the traceback) and mailed to administrators."""


@task()
def send_applicant_message(*, message_id: str) -> None:
    """Send one "there is news, please check your status" message to an applicant, at most
    once, in their language, to the e-mail address and phone number they left
    (cases/outreach.py). The contact is decrypted here for this message only, and the read is
    audited in the same transaction that marks the message sent; the sending follows, with no
    lock held, and a failure is reported without the address."""
    from cases.models import Applicant, ApplicantMessage
    from clemency import texting
    from clemency.audit.log import record

    with transaction.atomic():
        message = (
            ApplicantMessage.objects.select_for_update()
            .select_related("case")
            .filter(pk=message_id, sent_at__isnull=True)
            .first()
        )
        if message is None or message.case.is_shredded:
            return
        applicant = Applicant.objects.select_related("case").filter(case=message.case).first()
        contact = (applicant.news_contact if applicant is not None else None) or {}
        email = contact.get("email") or ""
        phone = (contact.get("phone") or "") if texting.enabled() else ""
        if not (email or phone):
            # They stopped the messages meanwhile, or left only a number and this worker has
            # no text message provider: nothing to send, and nothing read for nothing.
            if contact.get("phone"):
                logger.warning("News message %s not sent: no text message provider.", message.pk)
            return
        message.sent_at = timezone.now()
        message.save(update_fields=["sent_at"])
        record(
            "applicant.contact_read",
            case_id=message.case_id,
            data={
                "purpose": "news message",
                "message": str(message.pk),
                "channels": [c for c, v in (("email", email), ("text", phone)) if v],
            },
        )
        language = contact.get("language") or message.case.language
    context = {"url": urljoin(settings.PUBLIC_SITE_URL, reverse("intake:status"))}
    failed = []
    with translation.override(language):
        if email:
            try:
                subject = render_to_string("cases/applicant/news_subject.txt", context)
                body = render_to_string("cases/applicant/news.txt", context)
                _mail(subject, body, to=email, sender=settings.APPLICANT_FROM_EMAIL)
            except Exception:  # the mail server's words may hold the address
                failed.append("e-mail")
        if phone:
            try:
                text = render_to_string("cases/applicant/news_text.txt", context).strip()
                texting.send_text(phone, text)
            except Exception:
                failed.append("text message")
    if failed:
        raise NotSent(f"News message {message.pk}: the {' and '.join(failed)} was not accepted.")


def tasks_in_hand(task, argument: str, *, since) -> set[str]:
    """The values of ``argument`` of the runs of ``task`` that need no queueing again: waiting,
    started since ``since``, or failed (a run that failed fails again: a missing key, damaged
    data; its error was reported when it failed). Only the database queue can say; with
    another backend, none."""
    if settings.TASKS["default"]["BACKEND"] != "django_tasks_db.DatabaseBackend":
        return set()
    from django.db.models import Q
    from django_tasks_db.models import DBTaskResult

    tasks = DBTaskResult.objects.filter(task_path=task.module_path)
    in_hand = tasks.filter(
        Q(pk__in=DBTaskResult.objects.ready().values("pk"))
        | Q(pk__in=DBTaskResult.objects.running().filter(started_at__gte=since).values("pk"))
        | Q(pk__in=DBTaskResult.objects.failed().values("pk"))
    )
    return {
        arguments["kwargs"][argument] for arguments in in_hand.values_list("args_kwargs", flat=True)
    }
