import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from clemency.audit.log import record, verify_chain
from clemency.audit.models import AuditEvent
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def test_events_form_a_verifiable_chain(staff):
    case = CaseFactory()
    first = record("case.viewed", actor=staff, case_id=case.pk)
    second = record("keys.rotated", data={"kek_version": 2})
    assert (first.sequence, second.sequence) == (1, 2)
    assert second.previous_hash == first.hash
    assert verify_chain() == (2, [])


def test_events_cannot_be_changed_or_deleted_through_the_orm(staff):
    event = record("case.viewed", actor=staff)
    event.action = "something.else"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()


def test_tampering_in_the_database_breaks_the_chain(staff):
    for action in ("a.one", "a.two", "a.three"):
        record(action, actor=staff)
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditEvent.objects.filter(sequence=2).update(action="a.forged")
        with connection.cursor() as cursor:
            # What an attacker with database superuser rights could do: switch triggers off.
            cursor.execute("SET LOCAL session_replication_role = replica")
    AuditEvent.objects.filter(sequence=2).update(action="a.forged")
    assert verify_chain() == (3, [2])


def test_a_deleted_event_breaks_the_chain(staff):
    for action in ("a.one", "a.two", "a.three"):
        record(action, actor=staff)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # What an attacker with database superuser rights could do: switch triggers off.
            cursor.execute("SET LOCAL session_replication_role = replica")
    AuditEvent.objects.filter(sequence=3).delete()
    assert verify_chain()[1] != []


def test_anonymous_actor_is_recorded_as_none():
    from django.contrib.auth.models import AnonymousUser

    assert record("intake.submitted", actor=AnonymousUser()).actor is None


def test_a_wiped_log_is_detected_and_refuses_to_restart(staff):
    from clemency.audit.log import AuditLogBroken
    from clemency.audit.models import AuditHead

    record("a.one", actor=staff)
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError, match="only moves forward"), transaction.atomic():
            AuditHead.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    AuditEvent.objects.all().delete()
    AuditHead.objects.all().delete()
    assert verify_chain() == (0, [1])
    with pytest.raises(AuditLogBroken):
        record("a.two", actor=staff)


def test_an_empty_log_verifies():
    assert verify_chain() == (0, [])


def _rewrite_chain_from(sequence: int, compute) -> None:
    """What someone holding the database (but not the audit key) can do: edit an event and
    recompute every hash after it, and the head, with the function they have."""
    from clemency.audit.models import AuditHead

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    events = list(AuditEvent.objects.order_by("sequence"))
    previous = events[sequence - 2].hash if sequence > 1 else "0" * 64
    for event in events[sequence - 1 :]:
        if event.sequence == sequence:
            event.action = "a.forged"
        event.previous_hash = previous
        event.hash = compute(event)
        AuditEvent.objects.filter(pk=event.pk).update(
            action=event.action, previous_hash=event.previous_hash, hash=event.hash
        )
        previous = event.hash
    AuditHead.objects.filter(pk=1).update(last_hash=previous)


def test_a_rewritten_chain_without_the_audit_key_is_detected(staff):
    import hashlib
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    for action in ("a.one", "a.two", "a.three", "a.four"):
        record(action, actor=staff)

    def plain_sha256(event):
        content = {
            "sequence": event.sequence,
            "at": event.at.isoformat(),
            "actor": event.actor_id,
            "action": event.action,
            "case": None,
            "data": event.data,
            "previous": event.previous_hash,
        }
        canonical = json.dumps(
            content, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder
        )
        return hashlib.sha256(canonical.encode()).hexdigest()

    _rewrite_chain_from(2, plain_sha256)
    assert verify_chain() == (4, [2, 3, 4])


def test_the_chain_is_keyed_by_the_audit_key(staff, settings, tmp_path):
    """The same rewrite with the audit key does verify: the key is what protects the chain."""
    for action in ("a.one", "a.two", "a.three"):
        record(action, actor=staff)
    _rewrite_chain_from(2, lambda event: event.compute_hash())
    assert verify_chain() == (3, [])
    # Under another audit key, none of it verifies.
    from clemency.security.keys import init_directory

    init_directory(tmp_path / "other")
    settings.KEY_DIR = tmp_path / "other"
    assert verify_chain() == (3, [1, 2, 3])


def test_audit_verify_command_names_the_first_broken_link(staff):
    import io

    from django.core.management import CommandError, call_command

    for action in ("a.one", "a.two", "a.three"):
        record(action, actor=staff)
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert "holds: 3 events" in out.getvalue()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    AuditEvent.objects.filter(sequence=2).update(action="a.forged")
    with pytest.raises(CommandError, match="broken at event 2"):
        call_command("audit", "verify")
