import io
import os
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from cases.models import Applicant, Case
from clemency.security.envelope import WrappedKey, rewrap_case_key
from clemency.security.errors import KeyNotAvailable
from clemency.security.keys import add_kek, intake_key_path, kek_path, load_directory
from clemency.security.provider import get_provider
from tests.factories import ApplicantFactory
from tests.sql import uid

pytestmark = pytest.mark.django_db
MARKER = "-".join(["Marker", "Maria", "Lopez"])


def read_all() -> list[str]:
    return [a.legal_name for a in Applicant.objects.select_related("case").order_by("pk")]


def test_init_refuses_to_overwrite_and_if_missing_is_quiet(own_keys, capsys):
    with pytest.raises(CommandError, match="already holds keys"):
        call_command("keys", "init")
    call_command("keys", "init", "--if-missing")
    assert "already present" in capsys.readouterr().out


def test_rotate_then_retire_leaves_everything_readable(own_keys, capsys):
    for n in range(3):
        ApplicantFactory(legal_name=f"{MARKER} {n}")
    expected = read_all()
    before = dict(Case.objects.values_list("pk", "wrapped_key"))
    assert set(Case.objects.values_list("kek_version", flat=True)) == {1}
    call_command("keys", "rotate", "--retire", "1")
    out = capsys.readouterr().out
    # What the command did: three case keys re-wrapped (by the rotation; none left for retire).
    assert "Re-wrapped 3 case keys under KEK version 2." in out
    assert "Retired KEK version 1." in out
    after = dict(Case.objects.values_list("pk", "wrapped_key"))
    assert after.keys() == before.keys()
    assert all(bytes(after[pk]) != bytes(before[pk]) for pk in before)
    assert get_provider().kek_versions() == [2]
    assert not kek_path(own_keys, 1).exists()
    assert set(Case.objects.values_list("kek_version", flat=True)) == {2}
    assert read_all() == expected
    assert [name.rsplit(" ", 1)[0] for name in expected] == [MARKER] * 3
    call_command("keys", "verify")


def test_retire_waits_until_every_process_has_the_new_kek(own_keys, settings):
    ApplicantFactory()
    call_command("keys", "rotate")
    settings.KEY_RELOAD_SECONDS = 60
    with pytest.raises(CommandError, match="only 0 s old"):
        call_command("keys", "retire", "1")
    assert get_provider().kek_versions() == [1, 2]


def test_retire_refuses_while_a_case_key_uses_it(own_keys):
    from unittest import mock

    from cases.management.commands.keys import Command

    applicant = ApplicantFactory(legal_name=MARKER)
    old = Case.objects.values_list("kek_version", "wrapped_key").get()
    call_command("keys", "rotate")
    # A process that had not yet seen KEK 2 wrapped a case key under KEK 1 after the re-wrap.
    Case.objects.update(kek_version=old[0], wrapped_key=old[1])
    with (
        mock.patch.object(Command, "do_rewrap"),
        pytest.raises(CommandError, match="still use KEK 1"),
    ):
        call_command("keys", "retire", "1")
    assert get_provider().kek_versions() == [1, 2]
    assert Applicant.objects.select_related("case").get(pk=applicant.pk).legal_name == MARKER
    call_command("keys", "retire", "1")  # the re-wrap inside retire takes care of it
    assert get_provider().kek_versions() == [2]
    assert Applicant.objects.select_related("case").get(pk=applicant.pk).legal_name == MARKER


def test_a_process_that_missed_the_rotation_reads_rewrapped_keys(own_keys, settings):
    applicant = ApplicantFactory(legal_name=MARKER)
    settings.KEY_RELOAD_SECONDS = 3600
    assert get_provider().kek_versions() == [1]  # this process has loaded KEK 1 only

    # Another process rotates: adds KEK 2 and re-wraps the case key under it.
    add_kek(own_keys)
    case = Case.objects.get()
    rewrapped = rewrap_case_key(
        WrappedKey(case.kek_version, bytes(case.wrapped_key)),
        case_id=case.pk,
        provider=load_directory(own_keys),
    )
    Case.objects.filter(pk=case.pk).update(
        kek_version=rewrapped.kek_version, wrapped_key=rewrapped.ciphertext
    )

    # This process still reads the case: it reloads the keys on meeting KEK 2.
    assert Applicant.objects.select_related("case").get(pk=applicant.pk).legal_name == MARKER
    assert get_provider().kek_versions() == [1, 2]


def test_rotation_changes_no_field_ciphertext(own_keys):
    applicant = ApplicantFactory(legal_name=MARKER)

    def stored():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT legal_name FROM cases_applicant WHERE id = %s", [uid(applicant.pk)]
            )
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
        cursor.execute(
            "UPDATE cases_applicant SET story = legal_name WHERE id = %s", [uid(broken.pk)]
        )
    with pytest.raises(CommandError, match="1 values or documents failed"):
        call_command("keys", "verify")
    assert MARKER not in capsys.readouterr().err


def test_rewrap_is_idempotent(own_keys, capsys):
    ApplicantFactory()
    call_command("keys", "rewrap")
    assert "Re-wrapped 0 case keys" in capsys.readouterr().out


def test_init_if_missing_adds_the_audit_key_to_an_older_key_set(own_keys, capsys):
    (own_keys / "audit.key").unlink()
    call_command("keys", "init", "--if-missing")
    assert "Updated the key set" in (out := capsys.readouterr().out)
    assert "audit.key" in out
    assert oct((own_keys / "audit.key").stat().st_mode & 0o777) == "0o600"
    assert len(load_directory(own_keys).audit_key()) == 32
    call_command("keys", "init", "--if-missing")  # and only once
    assert "added" not in capsys.readouterr().out


def _dead_rows_hold(table: str, needle: bytes) -> bool:
    """Whether any row version in the table's pages, live or dead, holds `needle`: what someone
    with the table's files (or the WAL, or a physical backup) can read."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
        cursor.execute("SELECT pg_relation_size(%s) / current_setting('block_size')::int", [table])
        (pages,) = cursor.fetchone()
        for page in range(pages):
            cursor.execute(
                "SELECT t_data FROM heap_page_items(get_raw_page(%s, %s))", [table, page]
            )
            if any(row[0] and needle in bytes(row[0]) for row in cursor.fetchall()):
                return True
    return False


def test_a_shred_becomes_final_when_the_schedule_retires_the_kek(own_keys, settings, capsys):
    """The review's attack: after shred_case the old wrapped key is still in the table's dead
    row versions, and the unchanged KEK unwraps it. Once `keys schedule` has rotated and retired
    that KEK, the same bytes open nothing."""
    if connection.vendor != "postgresql":
        pytest.skip("dead row versions and pageinspect are PostgreSQL's")
    from cases.services import case_shred
    from clemency.security.envelope import unwrap_case_key
    from clemency.security.errors import SecurityError

    case = ApplicantFactory(legal_name=MARKER).case
    stolen = WrappedKey(case.kek_version, bytes(case.wrapped_key))
    case_shred(case=case, actor=None, reason="retention")
    case.refresh_from_db()
    assert case.wrapped_key is None
    assert _dead_rows_hold("cases_case", stolen.ciphertext)  # still on disk
    assert unwrap_case_key(stolen, case_id=case.pk, provider=get_provider())  # and it opens

    call_command("keys", "schedule")  # nothing due yet: the KEK is new
    assert "KEKs: nothing due" in capsys.readouterr().out
    week_ago = time.time() - settings.KEK_ROTATION_DAYS * 86400 - 60
    os.utime(kek_path(own_keys, 1), (week_ago, week_ago))
    call_command("keys", "schedule")
    out = capsys.readouterr().out
    assert "Added KEK version 2." in out
    assert "Retired KEK version 1." in out
    assert not kek_path(own_keys, 1).exists()

    assert _dead_rows_hold("cases_case", stolen.ciphertext)  # the bytes are still there...
    with pytest.raises(SecurityError):  # ...and open nothing
        unwrap_case_key(stolen, case_id=case.pk, provider=load_directory(own_keys))
    call_command("keys", "verify")  # every live case still reads


def test_the_schedule_waits_for_running_processes_before_retiring(own_keys, settings, capsys):
    settings.KEY_RELOAD_SECONDS = 3600
    ApplicantFactory()
    week_ago = time.time() - settings.KEK_ROTATION_DAYS * 86400 - 60
    os.utime(kek_path(own_keys, 1), (week_ago, week_ago))
    call_command("keys", "schedule")
    out = capsys.readouterr().out
    assert "Added KEK version 2." in out
    assert "retired at the next run" in out
    assert kek_path(own_keys, 1).exists()
    assert get_provider().kek_versions() == [1, 2]


def test_shred_case_says_by_when_the_shred_is_final(own_keys, settings, capsys):
    from datetime import UTC, datetime, timedelta

    settings.KEY_RELOAD_SECONDS = 60  # old keys go at the run after their replacement
    case = ApplicantFactory().case
    # Both keys made at a daily run three (KEK) and two (intake key) days ago.
    run = datetime.now(UTC).replace(hour=settings.DAILY_HOUR, minute=0, second=0, microsecond=0)
    kek_made, intake_made = run - timedelta(days=3), run - timedelta(days=2)
    os.utime(kek_path(own_keys, 1), (kek_made.timestamp(),) * 2)
    os.utime(intake_key_path(own_keys, 1), (intake_made.timestamp(),) * 2)
    call_command("shred_case", case.reference, "--reason", "retention")
    out = capsys.readouterr().out
    # Replaced at the run a week after it was made, destroyed at the run after that; the later
    # of the two keys decides.
    due = intake_made + timedelta(days=settings.KEK_ROTATION_DAYS + 1)
    assert f"has replaced today's keys: by {due:%Y-%m-%d}, unless" in out
    assert "Backups made before the erasure keep it until they are deleted" in out


def _sent_application(*, open_it: bool):
    """An application as the public intake sends it; opened by the worker if ``open_it``."""
    from cases.opening import case_open_submission
    from intake.services import draft_save_step, draft_start, draft_submit

    draft, dek, _code = draft_start(language="en")
    draft_save_step(
        draft=draft, dek=dek, step="applicant", data={"legal_name": MARKER, "surname": "Lopez"}
    )
    draft_submit(draft=draft, dek=dek)  # the opening task waits for the commit (never, here)
    draft.refresh_from_db()
    sealed = bytes(draft.sealed_key)
    if open_it:
        case_open_submission(draft_id=draft.pk)
    return draft, sealed


def test_a_shred_becomes_final_for_the_sealed_copy_when_the_intake_key_retires(own_keys, capsys):
    """The second copy of every case key (ADR 0015): the submission's data key sealed to the
    intake key pair stays in the drafts table's dead row versions after opening. Once the
    schedule has replaced and retired that intake key, the sealed bytes open nothing."""
    if connection.vendor != "postgresql":
        pytest.skip("dead row versions and pageinspect are PostgreSQL's")
    from cases.services import case_shred
    from clemency.security.casekeys import case_key
    from clemency.security.errors import SecurityError
    from clemency.security.unsealing import unseal_draft_key

    draft, sealed = _sent_application(open_it=True)
    case = Case.objects.get(pk=draft.pk)
    live_key = case_key(case).key
    case_shred(case=case, actor=None, reason="retention")
    assert _dead_rows_hold("intake_draft", sealed)  # still on disk after opening and shredding
    assert unseal_draft_key(sealed, draft_id=draft.pk) == live_key  # and it opens

    call_command("keys", "schedule", "--now")  # no process to wait for (KEY_RELOAD_SECONDS=0)
    out = capsys.readouterr().out
    assert "Added intake key version 2 and published it." in out
    assert "Retired KEK version 1." in out
    assert "Retired intake key version 1." in out
    assert not intake_key_path(own_keys, 1).exists()

    assert _dead_rows_hold("intake_draft", sealed)  # the bytes are still there...
    with pytest.raises(SecurityError):  # ...and open nothing
        unseal_draft_key(sealed, draft_id=draft.pk)
    call_command("keys", "verify")


def test_an_intake_key_is_kept_while_a_sent_application_waits_to_be_opened(own_keys, capsys):
    from cases.opening import case_open_submission

    waiting, _sealed = _sent_application(open_it=False)
    call_command("keys", "schedule", "--now")
    captured = capsys.readouterr()
    assert (
        "1 sent applications or replies sealed to intake key 1 are not opened yet" in captured.err
    )
    assert intake_key_path(own_keys, 1).exists()

    # New submissions are sealed to the new key; the waiting one still opens with the old one.
    newer, newer_sealed = _sent_application(open_it=False)
    assert newer_sealed[9:13] == (2).to_bytes(4, "big")
    assert case_open_submission(draft_id=waiting.pk) is not None
    assert case_open_submission(draft_id=newer.pk) is not None
    call_command("keys", "schedule")
    assert "Retired intake key version 1." in capsys.readouterr().out
    assert Applicant.objects.filter(case_id__in=[waiting.pk, newer.pk]).count() == 2


def test_the_schedule_publishes_the_new_public_key_for_the_intake_site(
    own_keys, settings, tmp_path, capsys
):
    """The public site runs with a key directory holding only the exported public key; after
    a rotation it seals to the new key as soon as it reloads its keys."""
    from clemency.security.keys import load_public_key

    export = tmp_path / "public" / "intake.pub"
    settings.INTAKE_PUBLIC_KEY_EXPORT = str(export)
    call_command("keys", "init", "--if-missing")
    assert load_public_key(export) == get_provider().intake_public_key()
    assert load_public_key(export).version == 1
    call_command("keys", "schedule", "--now")
    assert "Published intake public key 2" in capsys.readouterr().out
    assert load_public_key(export) == get_provider().intake_private_key(2).public_key()
    assert load_directory(export.parent).intake_public_key().version == 2
    with pytest.raises(KeyNotAvailable):
        load_directory(export.parent).intake_private_key()


def test_the_schedule_waits_before_retiring_an_intake_key(own_keys, settings, capsys):
    settings.KEY_RELOAD_SECONDS = 3600  # an intake process may still seal to key 1
    call_command("keys", "schedule", "--now")
    out = capsys.readouterr().out
    assert "older intake keys [1] are retired at the next run" in out
    assert intake_key_path(own_keys, 1).exists()


def test_an_export_that_failed_is_written_again_before_an_old_key_is_retired(
    own_keys, settings, tmp_path, capsys
):
    """If the intake site's copy of the public key could not be replaced, it still seals to the
    old key: that key must not be destroyed until the copy is current."""
    from clemency.security.keys import load_public_key

    export = tmp_path / "public" / "intake.pub"
    settings.INTAKE_PUBLIC_KEY_EXPORT = str(export)
    call_command("keys", "init", "--if-missing")
    stale = export.read_text()
    settings.KEY_RELOAD_SECONDS = 3600
    call_command("keys", "schedule", "--now")
    export.write_text(stale)  # as if the copy had failed
    an_hour_ago = time.time() - 3 * 3600
    os.utime(own_keys / "intake.pub", (an_hour_ago, an_hour_ago))
    call_command("keys", "schedule")
    out = capsys.readouterr().out
    assert "Published intake public key 2" in out
    assert "older intake keys [1] are retired at the next run" in out
    assert intake_key_path(own_keys, 1).exists()
    assert load_public_key(export).version == 2


@pytest.mark.django_db(transaction=True)
def test_a_submission_in_flight_keeps_its_intake_key(
    migrated_rows, own_keys, monkeypatch, settings
):
    """The race the schedule must not lose: an application is sealed to intake key 1 and its
    transaction is still open (waiting for an Argon2 turn, say) while `keys schedule` would
    retire key 1. The schedule sees the keys in use, retires nothing and does not wait (which
    would hold up every later submission); its next run sees the sent application and keeps
    the key until it is opened."""
    if connection.vendor != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's; SQLite lets one writer in at a time")
    import threading

    from cases.opening import case_open_submission
    from intake import services as intake_services
    from intake.services import draft_save_step, draft_start
    from tests.sql import in_thread

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # no worker
    draft, dek, _code = draft_start(language="en")
    draft_save_step(draft=draft, dek=dek, step="applicant", data={"legal_name": MARKER})
    sealed, carry_on = threading.Event(), threading.Event()
    real_make_password = intake_services.make_password

    def slow_make_password(value):  # runs after sealing, inside the submit's transaction
        sealed.set()
        assert carry_on.wait(30)
        return real_make_password(value)

    monkeypatch.setattr(intake_services, "make_password", slow_make_password)
    results = {}
    submit = in_thread(lambda: intake_services.draft_submit(draft=draft, dek=dek), results, "sent")
    assert sealed.wait(30)
    out = io.StringIO()
    started = time.monotonic()
    call_command("keys", "schedule", "--now", stdout=out)
    assert time.monotonic() - started < 10  # it did not wait for the submission
    assert "Keys are in use right now: intake key 1 is retired at the next run." in out.getvalue()
    assert intake_key_path(own_keys, 1).exists()
    carry_on.set()
    submit.join(30)
    assert not isinstance(results["sent"], Exception), results["sent"]

    err = io.StringIO()
    call_command("keys", "schedule", stdout=io.StringIO(), stderr=err)
    assert (
        "1 sent applications or replies sealed to intake key 1 are not opened yet" in err.getvalue()
    )
    assert intake_key_path(own_keys, 1).exists()
    assert case_open_submission(draft_id=draft.pk) is not None  # and it opens


def test_a_run_a_few_minutes_early_still_rotates_on_the_day(own_keys, settings, capsys):
    """The scheduler wakes every five minutes: this week's run may start a little earlier in
    the hour than last week's. The rotation must not slip a day (and every shred with it)."""
    almost_a_week = time.time() - settings.KEK_ROTATION_DAYS * 86400 + 4 * 60
    for path in (kek_path(own_keys, 1), intake_key_path(own_keys, 1)):
        os.utime(path, (almost_a_week, almost_a_week))
    call_command("keys", "schedule")
    out = capsys.readouterr().out
    assert "Added KEK version 2." in out
    assert "Added intake key version 2 and published it." in out
