"""Background work of the staff side. Task arguments are ids only."""

from urllib.parse import urljoin

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone, translation


@task()
def send_notification(*, notification_id: str) -> None:
    """Send one notification, once, in its recipient's language (cases/notifications.py)."""
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
            "url": urljoin(settings.SITE_URL, notification.case.get_absolute_url()),
        }
        with translation.override(notification.recipient.language):
            subject = render_to_string("cases/email/notification_subject.txt", context)
            body = render_to_string("cases/email/notification.txt", context)
        EmailMessage(" ".join(subject.split()), body, to=[notification.recipient.email]).send()
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
                "url": urljoin(settings.SITE_URL, item.case.get_absolute_url()),
            }
            for item in items
        ]
        with translation.override(person.language):
            subject = render_to_string("cases/email/digest_subject.txt", {"count": len(lines)})
            body = render_to_string("cases/email/digest.txt", {"items": lines})
        EmailMessage(" ".join(subject.split()), body, to=[person.email]).send()
        Notification.objects.filter(pk__in=[item.pk for item in items]).update(
            sent_at=timezone.now()
        )
