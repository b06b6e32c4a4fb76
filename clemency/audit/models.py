"""The audit log: append-only and hash-chained (DESIGN.md §3, §4.4).

Each event's hash is an HMAC (under the audit key, which is never in the database) of its own
content and the previous event's hash, so deleting, editing or reordering any event breaks the
chain from that point on (``verify_chain``), and nobody holding only the database can forge a new
chain. On PostgreSQL a trigger also refuses UPDATE and DELETE on the table.

Events carry ids, actions and reasons, never personal data: an audit log is read by more people,
and kept longer, than the data it describes.
"""

import json
import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from clemency.security.audit import chain_mac

GENESIS = "0" * 64


class AuditHead(models.Model):
    """One row holding the newest hash; locking it serialises appends to the chain."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_hash = models.CharField(max_length=64, default=GENESIS)
    count = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"audit head at {self.count}"


class AuditEvent(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sequence = models.PositiveBigIntegerField(unique=True, editable=False)
    at = models.DateTimeField(_("when"), editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("action"), max_length=64)
    case_id = models.UUIDField(null=True, db_index=True)
    data = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    previous_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, unique=True, editable=False)

    class Meta:
        ordering = ["sequence"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.sequence} {self.action}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise TypeError("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Audit events cannot be deleted.")

    def compute_hash(self) -> str:
        content = {
            "sequence": self.sequence,
            "at": self.at.isoformat(),
            "actor": self.actor_id,
            "action": self.action,
            "case": str(self.case_id) if self.case_id else None,
            "data": self.data,
            "previous": self.previous_hash,
        }
        canonical = json.dumps(
            content, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder
        )
        return chain_mac(canonical.encode("utf-8"))
