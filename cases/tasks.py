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
