import uuid
from datetime import date
from unittest import mock

import pytest
from django.core import serializers
from django.core.exceptions import FieldError
from django.db import connection, transaction
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.models import Applicant
from clemency.security.casekeys import CaseKeyShredded, case_key, key_scope
from clemency.security.errors import DecryptionError, KeyNotAvailable
from clemency.security.keys import init_directory
from clemency.security.provider import get_provider
from tests.factories import ApplicantFactory, CaseFactory
from tests.sql import uid

MARKER = "-".join(["Marker", "Maria", "Lopez"])
pytestmark = pytest.mark.django_db


def raw_row(applicant_id) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM cases_applicant WHERE id = %s", [uid(applicant_id)])
        return cursor.fetchone()


def fresh(applicant) -> Applicant:
    return Applicant.objects.select_related("case").get(pk=applicant.pk)


def test_values_round_trip():
    applicant = ApplicantFactory(
        legal_name="María José López",
        other_names=["Maria Lopes", "محمد"],
        date_of_birth=date(1990, 5, 17),
        a_number="A012345678",
        story=None,
    )
    loaded = fresh(applicant)
    assert loaded.legal_name == "María José López"
    assert loaded.other_names == ["Maria Lopes", "محمد"]
    assert loaded.date_of_birth == date(1990, 5, 17)
    assert loaded.a_number == "A012345678"
    assert loaded.story is None


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=3000), names=st.lists(st.text(max_size=50), max_size=5))
def test_any_text_round_trips(text, names):
    applicant = ApplicantFactory(legal_name=text, other_names=names)
    loaded = fresh(applicant)
    assert loaded.legal_name == text
    assert loaded.other_names == names


def test_no_plaintext_in_the_database():
    applicant = ApplicantFactory(legal_name=MARKER, a_number="A987654321", story=MARKER * 20)
    row = raw_row(applicant.pk)
    dump = b"".join(bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode() for v in row)
    assert MARKER.encode() not in dump
    assert b"987654321" not in dump


def test_a_value_copied_to_another_row_does_not_decrypt():
    one, two = ApplicantFactory(legal_name=MARKER), ApplicantFactory()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_applicant SET legal_name = (SELECT legal_name FROM cases_applicant "
            "WHERE id = %s) WHERE id = %s",
            [uid(one.pk), uid(two.pk)],
        )
    with pytest.raises(DecryptionError):
        _ = fresh(two).legal_name


def test_a_row_moved_to_another_case_does_not_decrypt():
    applicant = ApplicantFactory(legal_name=MARKER)
    other_case = CaseFactory()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_applicant SET case_id = %s WHERE id = %s",
            [uid(other_case.pk), uid(applicant.pk)],
        )
    with pytest.raises(DecryptionError):
        _ = fresh(applicant).legal_name


def test_a_value_copied_to_another_field_does_not_decrypt():
    applicant = ApplicantFactory(legal_name=MARKER, story="x")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_applicant SET story = legal_name WHERE id = %s", [uid(applicant.pk)]
        )
    with pytest.raises(DecryptionError):
        _ = fresh(applicant).story


def test_a_wrong_kek_raises_and_returns_nothing(tmp_path):
    applicant = ApplicantFactory(legal_name=MARKER)
    init_directory(tmp_path / "other")
    with override_settings(KEY_DIR=tmp_path / "other"), pytest.raises(DecryptionError):
        _ = fresh(applicant).legal_name


def test_a_missing_kek_raises(tmp_path):
    applicant = ApplicantFactory(legal_name=MARKER)
    applicant.case.kek_version = 7
    applicant.case.save(update_fields=["kek_version"])
    with pytest.raises(KeyNotAvailable):
        _ = fresh(applicant).legal_name


def test_a_shredded_case_key_raises():
    applicant = ApplicantFactory(legal_name=MARKER)
    applicant.case.wrapped_key = None
    applicant.case.save(update_fields=["wrapped_key"])
    with pytest.raises(CaseKeyShredded):
        _ = fresh(applicant).legal_name


def test_only_isnull_lookups():
    ApplicantFactory(a_number=None)
    assert Applicant.objects.filter(a_number__isnull=True).count() == 1
    assert Applicant.objects.filter(a_number=None).count() == 1
    for lookup in ({"legal_name": MARKER}, {"legal_name__icontains": "a"}, {"a_number__gt": "A"}):
        with pytest.raises(FieldError):
            Applicant.objects.filter(**lookup).count()


def stored_name(applicant_id) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute("SELECT legal_name FROM cases_applicant WHERE id = %s", [uid(applicant_id)])
        return bytes(cursor.fetchone()[0])


def test_unrelated_save_keeps_the_ciphertext():
    applicant = fresh(ApplicantFactory(legal_name=MARKER))
    before = stored_name(applicant.pk)
    applicant.save()
    assert stored_name(applicant.pk) == before
    applicant.legal_name = "New Name"
    applicant.save()
    assert stored_name(applicant.pk) != before
    assert fresh(applicant).legal_name == "New Name"


def test_deferred_fields_load_and_decrypt():
    applicant = ApplicantFactory(story=MARKER)
    loaded = Applicant.objects.defer("story").get(pk=applicant.pk)
    assert loaded.story == MARKER


def test_serialisation_carries_ciphertext_only():
    applicant = ApplicantFactory(legal_name=MARKER)
    text = serializers.serialize("json", [fresh(applicant)])
    assert MARKER not in text
    assert '"sealed:' in text
    restored = next(serializers.deserialize("json", text)).object
    assert restored.legal_name == MARKER


def test_a_value_needs_its_row_and_case_first():
    unsaved = Applicant(id=None, case=CaseFactory())
    with pytest.raises(ValueError, match="UUIDs"):
        Applicant._meta.get_field("legal_name").encrypt(unsaved, "x")


def test_wrong_python_type_is_refused():
    with pytest.raises(TypeError):
        ApplicantFactory(legal_name=12345)


def test_case_key_is_unwrapped_once_per_scope():
    applicant = ApplicantFactory(legal_name=MARKER, story=MARKER)
    provider = get_provider()
    with mock.patch.object(provider, "unwrap_key", wraps=provider.unwrap_key) as unwrap:
        with key_scope():
            loaded = fresh(applicant)
            _ = loaded.legal_name, loaded.story, loaded.a_number
            case_key(loaded.case)
        assert unwrap.call_count == 1
        loaded = fresh(applicant)
        _ = loaded.legal_name, loaded.story  # outside a scope: nothing is kept
        assert unwrap.call_count == 3


def test_case_references_are_random_and_readable():
    references = {CaseFactory().reference for _ in range(20)}
    assert len(references) == 20
    for reference in references:
        assert len(reference) == 12
        assert reference.startswith("PP-")
        assert not set(reference[3:].replace("-", "")) & set("ILOU")


def test_uuid_rows():
    assert isinstance(ApplicantFactory().pk, uuid.UUID)


def test_pickling_carries_no_plaintext():
    import pickle

    applicant = fresh(ApplicantFactory(legal_name=MARKER, date_of_birth=date(1990, 5, 17)))
    assert applicant.legal_name == MARKER  # decrypted and cached on the instance
    blob = pickle.dumps(applicant)
    assert MARKER.encode() not in blob
    assert b"1990" not in blob
    assert pickle.loads(blob).legal_name == MARKER  # noqa: S301 - our own bytes
    unsaved = Applicant(case=applicant.case, legal_name=MARKER)
    with pytest.raises(TypeError, match="save before pickling"):
        pickle.dumps(unsaved)


def test_serialisation_after_setting_values_carries_no_plaintext():
    applicant = fresh(ApplicantFactory())
    applicant.legal_name = MARKER
    applicant.date_of_birth = date(1990, 5, 17)
    applicant.save()
    applicant.refresh_from_db()
    for instance in (applicant, fresh(applicant)):
        text = serializers.serialize("json", [instance])
        assert MARKER not in text
        assert "1990" not in text


def test_deserialised_objects_save_and_read_back():
    applicant = ApplicantFactory(legal_name=MARKER)
    text = serializers.serialize("json", [fresh(applicant)])
    Applicant.objects.all().delete()
    for restored in serializers.deserialize("json", text):
        restored.save()  # a raw save, as loaddata does
    assert fresh(applicant).legal_name == MARKER


@pytest.mark.parametrize(
    "value",
    ["plain text", b"\x01raw bytes", "Value"],
    ids=["text", "bytes", "expression"],
)
def test_query_writes_are_refused(value):
    from django.db.models import Value

    applicant = ApplicantFactory(legal_name=MARKER)
    value = Value(MARKER) if value == "Value" else value
    with pytest.raises(TypeError), transaction.atomic():
        Applicant.objects.filter(pk=applicant.pk).update(legal_name=value)
    assert fresh(applicant).legal_name == MARKER


def test_bulk_update_of_encrypted_fields_is_refused():
    applicant = fresh(ApplicantFactory(legal_name=MARKER))
    applicant.legal_name = "Other"
    with pytest.raises(TypeError), transaction.atomic():
        Applicant.objects.bulk_update([applicant], ["legal_name"])


def test_text_that_looks_like_ciphertext_stays_text():
    applicant = fresh(ApplicantFactory())
    applicant.legal_name = "sealed:QUFBQUFBQUFBQUFBQUFBQUFB"
    applicant.full_clean()
    applicant.save()
    assert fresh(applicant).legal_name == "sealed:QUFBQUFBQUFBQUFBQUFBQUFB"


def test_field_values_use_a_subkey_not_the_case_key():
    from clemency.security.envelope import decrypt_value

    applicant = ApplicantFactory(legal_name=MARKER)
    with key_scope():
        key = case_key(fresh(applicant).case)
    assert key.field_key != key.key
    with connection.cursor() as cursor:
        cursor.execute("SELECT legal_name FROM cases_applicant WHERE id = %s", [uid(applicant.pk)])
        blob = bytes(cursor.fetchone()[0])
    ids = {"key_version": 1, "label": "cases.Applicant.legal_name", "row_id": applicant.pk}
    with pytest.raises(DecryptionError):
        decrypt_value(blob, key=key.key, case_id=applicant.case_id, **ids)
    assert (
        decrypt_value(blob, key=key.field_key, case_id=applicant.case_id, **ids) == MARKER.encode()
    )
