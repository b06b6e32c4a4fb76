"""Writing and checking the audit log. Call ``record`` inside the transaction of the action."""

from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from clemency.audit.models import GENESIS, AuditEvent, AuditHead
from clemency.security.audit import same


class AuditLogBroken(Exception):
    """The log cannot be appended to; the action that wanted to record must not go ahead."""


def record(
    action: str,
    *,
    actor=None,
    case_id: UUID | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an event. ``data`` holds ids, states and reasons only, never personal values."""
    with transaction.atomic():
        try:
            head = AuditHead.objects.select_for_update().get(pk=1)
        except AuditHead.DoesNotExist:
            raise AuditLogBroken("The audit log's head row is missing.") from None
        event = AuditEvent(
            sequence=head.count + 1,
            at=timezone.now(),
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            action=action,
            case_id=case_id,
            data=data or {},
            previous_hash=head.last_hash,
        )
        event.hash = event.compute_hash()
        event.save(force_insert=True)
        head.count, head.last_hash = event.sequence, event.hash
        head.save(update_fields=["count", "last_hash"])
    return event


def verify_chain() -> tuple[int, list[int]]:
    """(events checked, sequences where the chain breaks)."""
    previous, expected_sequence, broken, checked = GENESIS, 1, [], 0
    for event in AuditEvent.objects.order_by("sequence").iterator(chunk_size=2000):
        checked += 1
        if (
            event.sequence != expected_sequence
            or event.previous_hash != previous
            or not same(event.compute_hash(), event.hash)
        ):
            broken.append(event.sequence)
        previous, expected_sequence = event.hash, event.sequence + 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is None or head.count != checked or head.last_hash != previous:
        broken.append(checked + 1)  # events deleted from the end, or the head removed
    return checked, broken
