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


@task()
def send_notification(*, notification_id: str) -> None:
    """Send one notification, once, in its recipient's language (cases/notifications.py)."""
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


@task()
def send_applicant_message(*, message_id: str) -> None:
    """Send one "there is news, please check your status" message to an applicant, once, in
    their language, to the e-mail address or phone number they left (cases/outreach.py). The
    contact is decrypted here, for this message only, and the read is audited."""
    from cases.models import ApplicantMessage
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
        applicant = message.case.applicant if hasattr(message.case, "applicant") else None
        contact = applicant.news_contact if applicant is not None else None
        if not contact:
            return  # they stopped the messages meanwhile
        record(
            "applicant.contact_read",
            case_id=message.case_id,
            data={"purpose": "news message", "message": str(message.pk)},
        )
        context = {"url": urljoin(settings.PUBLIC_SITE_URL, reverse("intake:status"))}
        with translation.override(contact.get("language") or message.case.language):
            if contact.get("email"):
                subject = render_to_string("cases/applicant/news_subject.txt", context)
                body = render_to_string("cases/applicant/news.txt", context)
                EmailMessage(" ".join(subject.split()), body, to=[contact["email"]]).send()
            if contact.get("phone") and texting.enabled():
                text = render_to_string("cases/applicant/news_text.txt", context).strip()
                texting.send_text(contact["phone"], text)
        message.sent_at = timezone.now()
        message.save(update_fields=["sent_at"])
