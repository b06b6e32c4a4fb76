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
