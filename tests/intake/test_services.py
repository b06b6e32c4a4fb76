import shutil
import uuid
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from cases.models import Applicant, BlindIndex, Case, Urgency
from cases.opening import case_open_submission
from cases.publication import publish_status
from cases.urgency import assess, basis_from_answers, dates_from_answers
from clemency.common.status import PublicStage
from clemency.security import drafts
from clemency.security.errors import KeyNotAvailable
from intake.models import Draft
from intake.services import (
    IntakeError,
    draft_answers,
    draft_resume,
    draft_save_step,
    draft_start,
    draft_submit,
    drafts_delete_expired,
    status_lookup,
)
from tests.sql import uid

pytestmark = pytest.mark.django_db
MARKER = "-".join(["Marker", "Maria", "Lopez"])
ANSWERS = {
    "applicant": {
        "legal_name": f"{MARKER} Garcia",
        "surname": "Garcia",
        "other_names": ["Maria Lopes"],
        "date_of_birth": "1990-05-17",
    },
    "contact": {"where_now": "home", "phone": "+1 718 555 0100"},
    "immigration": {"status": "permanent_resident", "a_number": "A123456789"},
    "story": {"text": f"{MARKER} has lived in Queens for 20 years."},
}
# As kept: the contact answer also says who it was given by (intake/steps.py Step.stamp).
STORED = {**ANSWERS, "contact": {**ANSWERS["contact"], "for_someone": False}}


def raw_row(draft) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM intake_draft WHERE id = %s", [uid(draft.pk)])
        row = cursor.fetchone()
    return b"|".join(
        bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode() for v in row
    )


def filled_draft():
    draft, dek, code = draft_start(language="es")
    for step, data in ANSWERS.items():
        draft_save_step(draft=draft, dek=dek, step=step, data=data)
    return draft, dek, code


def test_a_draft_keeps_answers_encrypted_and_never_the_code():
    draft, dek, code = filled_draft()
    assert drafts.is_well_formed(code, drafts.RESUME_CODE_CHARS)
    assert draft_answers(draft=Draft.objects.get(pk=draft.pk), dek=dek) == STORED
    row = raw_row(draft)
    assert MARKER.encode() not in row
    assert b"718 555" not in row
    assert code.encode() not in row
    assert code.replace("-", "").encode() not in row


@pytest.mark.parametrize("typed", ["exact", "lower", "spaces", "look-alikes"])
def test_resume_with_the_code_however_it_is_typed(typed):
    draft, _dek, code = filled_draft()
    variants = {
        "exact": code,
        "lower": code.lower(),
        "spaces": code.replace("-", " "),
        "look-alikes": code.replace("0", "O").replace("1", "l"),
    }
    resumed = draft_resume(code=variants[typed], client="192.0.2.1")
    assert resumed is not None
    assert resumed[0].pk == draft.pk
    assert draft_answers(draft=resumed[0], dek=resumed[1]) == STORED


def test_wrong_unknown_or_malformed_codes_open_nothing():
    _draft, _dek, code = filled_draft()
    other = drafts.new_resume_code()
    assert draft_resume(code=other, client="192.0.2.1") is None
    assert draft_resume(code="1234", client="192.0.2.1") is None
    assert draft_resume(code="", client="192.0.2.1") is None
    wrong_secret = code[:-1] + ("0" if code[-1] != "0" else "1")
    assert draft_resume(code=wrong_secret, client="192.0.2.1") is None


def test_expired_drafts_cannot_be_resumed_and_are_deleted():
    draft, _dek, code = filled_draft()
    kept, _dek2, _code2 = draft_start(language="en")
    Draft.objects.filter(pk=draft.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert draft_resume(code=code, client="192.0.2.1") is None
    assert drafts_delete_expired() == 1
    assert list(Draft.objects.values_list("pk", flat=True)) == [kept.pk]


def test_saving_a_step_pushes_the_expiry_back():
    draft, dek, _code = draft_start(language="en")
    Draft.objects.filter(pk=draft.pk).update(expires_at=timezone.now() + timedelta(days=1))
    draft_save_step(draft=draft, dek=dek, step="story", data={"text": "x"})
    assert Draft.objects.get(pk=draft.pk).expires_at > timezone.now() + timedelta(days=29)


def test_submission_seals_and_forgets_every_public_way_in(django_capture_on_commit_callbacks):
    draft, dek, code = filled_draft()
    reference, status_code = draft_submit(draft=draft, dek=dek)
    assert reference.startswith("PP-")
    assert drafts.is_well_formed(status_code, drafts.STATUS_CODE_CHARS)
    stored = Draft.objects.get(pk=draft.pk)
    assert stored.locator is None
    assert stored.code_wrapped_key is None
    assert stored.sealed_key is not None
    assert status_code.encode() not in raw_row(stored)
    assert draft_resume(code=code, client="192.0.2.1") is None
    with pytest.raises(IntakeError):
        draft_save_step(draft=stored, dek=dek, step="story", data={"text": "late"})
    with pytest.raises(IntakeError):
        draft_submit(draft=stored, dek=dek)


@pytest.fixture
def public_only_keys(key_directory, tmp_path):
    """The key set of a public intake deployment (SITE_ROLE=intake): the public key only."""
    directory = tmp_path / "public"
    directory.mkdir()
    shutil.copy(key_directory / "intake.pub", directory / "intake.pub")
    return directory


def test_the_public_side_can_seal_but_not_open(
    public_only_keys, django_capture_on_commit_callbacks
):
    with override_settings(KEY_DIR=public_only_keys, SITE_ROLE="intake"):
        draft, dek, _code = filled_draft()
        with django_capture_on_commit_callbacks(execute=False):  # no staff worker here
            draft_submit(draft=draft, dek=dek)
        with pytest.raises(KeyNotAvailable):
            case_open_submission(draft_id=draft.pk)
    case = case_open_submission(draft_id=draft.pk)  # the staff side, with the private key
    assert case is not None


def test_opening_creates_the_case_and_empties_the_draft(django_capture_on_commit_callbacks):
    draft, dek, _code = filled_draft()
    with django_capture_on_commit_callbacks(execute=True):  # the task runs (immediate backend)
        reference, _status = draft_submit(draft=draft, dek=dek)
    case = Case.objects.get(reference=reference)
    assert case.urgency == Urgency.P2
    assert case.language == "es"
    applicant = Applicant.objects.select_related("case").get(case=case)
    assert applicant.legal_name == f"{MARKER} Garcia"
    assert applicant.date_of_birth == date(1990, 5, 17)
    assert applicant.a_number == "A123456789"
    assert applicant.other_names == ["Maria Lopes"]
    assert MARKER in applicant.story
    assert BlindIndex.objects.filter(case=case).count() == 2
    stored = Draft.objects.get(pk=draft.pk)
    assert case.pk == stored.pk  # the documents' ciphertext is bound to this UUID
    assert stored.opened_at is not None
    assert (stored.answers, stored.sealed_key) == (None, None)
    assert (stored.stage, stored.requested) == (PublicStage.RECEIVED, [])
    assert case_open_submission(draft_id=draft.pk) is None  # a second run does nothing


def test_status_lookup_shows_only_a_coarse_stage(django_capture_on_commit_callbacks):
    draft, dek, _code = filled_draft()
    with django_capture_on_commit_callbacks(execute=True):
        reference, status_code = draft_submit(draft=draft, dek=dek)
    status = status_lookup(
        reference=reference.lower(), status_code=status_code.lower(), client="192.0.2.1"
    )
    assert (status.stage, status.reference) == ("received", reference)
    Case.objects.filter(reference=reference).update(state="drafting")
    publish_status(Case.objects.get(reference=reference))
    assert (
        status_lookup(reference=reference, status_code=status_code, client="192.0.2.1").stage
        == "preparing"
    )
    assert (
        status_lookup(reference=reference, status_code=drafts.new_status_code(), client="192.0.2.1")
        is None
    )
    assert (
        status_lookup(reference="PP-0000-0000", status_code=status_code, client="192.0.2.1") is None
    )


TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"contact": {"where_now": "ice_detention"}}, Urgency.P0),
        ({"immigration": {"ice_check_in": "2026-12-01"}}, Urgency.P0),
        ({"immigration": {"removal_imminent": True, "deported_before": True}}, Urgency.P0),
        ({"immigration": {"ice_check_in": "2027-03-01", "final_order": True}}, Urgency.P1),
        ({"immigration": {"removal_pending": True, "next_hearing": "2027-01-10"}}, Urgency.P1),
        ({"immigration": {"removal_pending": True}}, Urgency.P4),
        ({"immigration": {"status": "permanent_resident"}}, Urgency.P2),
        ({"immigration": {"deported_before": True}}, Urgency.P3),
        ({"contact": {"where_now": "outside_us"}}, Urgency.P3),
        ({"immigration": {"ice_check_in": "not a date"}}, Urgency.P4),
        ({}, Urgency.P4),
    ],
)
def test_urgency_rules(answers, expected):
    """What opening computes: the application's basis, then its dates as deadlines."""
    computed = assess(basis_from_answers(answers), dates_from_answers(answers), today=TODAY)
    assert computed.urgency == expected


def test_draft_ids_are_random():
    assert isinstance(draft_start(language="en")[0].pk, uuid.UUID)
