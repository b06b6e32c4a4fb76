import shutil

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from cases.models import Applicant, Case
from clemency.security.provider import get_provider
from tests.factories import ApplicantFactory

pytestmark = pytest.mark.django_db
MARKER = "-".join(["Marker", "Maria", "Lopez"])


@pytest.fixture
def own_keys(settings, key_directory, tmp_path):
    """A private copy of the session's key set, so that rotation here touches nothing else."""
    directory = tmp_path / "keys"
    shutil.copytree(key_directory, directory)
    settings.KEY_DIR = directory
    return directory


def read_all() -> list[str]:
    return [a.legal_name for a in Applicant.objects.select_related("case").order_by("pk")]


def test_init_refuses_to_overwrite_and_if_missing_is_quiet(own_keys, capsys):
    with pytest.raises(CommandError, match="already holds keys"):
        call_command("keys", "init")
    call_command("keys", "init", "--if-missing")
    assert "already present" in capsys.readouterr().out


def test_rotate_then_retire_leaves_everything_readable(own_keys):
    applicants = [ApplicantFactory(legal_name=f"{MARKER} {n}") for n in range(3)]
    expected = read_all()
    call_command("keys", "rotate", "--retire", "1")
    assert get_provider().kek_versions() == [2]
    assert set(Case.objects.values_list("kek_version", flat=True)) == {2}
    assert read_all() == expected
    assert len(applicants) == 3
    call_command("keys", "verify")


def test_retire_refuses_while_a_case_key_uses_it(own_keys):
    applicant = ApplicantFactory(legal_name=MARKER)
    old = Case.objects.values_list("kek_version", "wrapped_key").get()
    call_command("keys", "rotate")
    # A case key wrapped under KEK 1 after the re-wrap (say, opened by a worker meanwhile).
    Case.objects.update(kek_version=old[0], wrapped_key=old[1])
    with pytest.raises(CommandError, match="still use KEK 1"):
        call_command("keys", "retire", "1")
    assert get_provider().kek_versions() == [1, 2]
    assert Applicant.objects.select_related("case").get(pk=applicant.pk).legal_name == MARKER


def test_rotation_changes_no_field_ciphertext(own_keys):
    applicant = ApplicantFactory(legal_name=MARKER)

    def stored():
        with connection.cursor() as cursor:
            cursor.execute("SELECT legal_name FROM cases_applicant WHERE id = %s", [applicant.pk])
            return bytes(cursor.fetchone()[0])

    before = stored()
    call_command("keys", "rotate")
    assert stored() == before


def test_verify_reports_counts_and_fails_on_damage(own_keys, capsys):
    ApplicantFactory(legal_name=MARKER)
    broken = ApplicantFactory()
    call_command("keys", "verify")
    assert "cases.Applicant: 10 values decrypted." in capsys.readouterr().out
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_applicant SET story = legal_name WHERE id = %s", [broken.pk])
    with pytest.raises(CommandError, match="1 values or documents failed"):
        call_command("keys", "verify")
    assert MARKER not in capsys.readouterr().err


def test_rewrap_is_idempotent(own_keys, capsys):
    ApplicantFactory()
    call_command("keys", "rewrap")
    assert "Re-wrapped 0 case keys" in capsys.readouterr().out
