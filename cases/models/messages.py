"""Messages about cases (to staff and to applicants) and the counts the database keeps."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models.case import Case
from cases.models.choices import NotificationKind, State


class Notification(models.Model):
    """A message to one person about one case: its kind and the case's reference, nothing
    personal (cases/notifications.py). Sent by the worker after the change commits."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("what"), max_length=20, choices=NotificationKind.choices)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notifications")
    # What makes a repeat the same message (a day, for daily reminders); "" for one-off events.
    occasion = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Seen: the person opened the case, or marked it done in their "waiting for you" list.
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "case", "occasion"], name="notification_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"],
                name="notification_waiting",
                condition=models.Q(read_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.case_id}"


class NotificationChoice(models.Model):
    """How one person wants one kind of notification: at once (the default) or in a daily
    digest."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_choices"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    digest = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_choice_per_kind")]

    def __str__(self) -> str:
        return f"{self.kind}: {'digest' if self.digest else 'at once'}"


class ApplicantMessage(models.Model):
    """One "there is news, please check your status" message to an applicant (cases/outreach.py):
    which case and on what occasion, so that nothing is sent twice; never where it went."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="applicant_messages")
    occasion = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "occasion"], name="applicant_message_once")
        ]

    def __str__(self) -> str:
        return f"applicant message {self.pk}"


class LiveCount(models.Model):
    """How a statement changed the number of live cases in a state: rows appended by the
    database's triggers on cases_case (PostgreSQL), summed by cases/counts.py (ADR 0019)."""

    state = models.CharField(max_length=20, choices=State.choices)
    delta = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.state} {self.delta:+d}"
