"""Backups (ADR 0016): the file format, and the restore drill into a fresh database, a fresh
key directory and a fresh bucket on a real S3 server."""

import io
import os
import secrets
import subprocess
import sys
import time

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from cases.models import Applicant, Case, Document
from cases.services import case_shred, document_store
from clemency.security.backup import (
    BackupKeys,
    BackupWriter,
    OfflineBackupKey,
    new_backup_keys,
    read_backup,
)
from clemency.security.envelope import WrappedKey, unwrap_case_key
from clemency.security.errors import DecryptionError, SecurityError
from clemency.security.keys import load_directory, load_public_key
from tests.clemency.subprocess_env import ROOT, clean_environ, production_environ, run
from tests.factories import ApplicantFactory

MARKER = "-".join(["Marker", "Maria", "Lopez"])
PDF = b"%PDF-1.7\n" + b"rap sheet page\n" * 10_000  # 150,009 bytes: three segments


def _written(entries: dict[str, list[bytes]], made: BackupKeys) -> bytes:
    out = io.BytesIO()
    writer = BackupWriter(out, made.public, signing=made.signing)
    for name, chunks in entries.items():
        writer.add(name, chunks)
    writer.close()
    return out.getvalue()


def _read(raw: bytes, offline: OfflineBackupKey) -> dict[str, bytes]:
    return {name: b"".join(chunks) for name, chunks in read_backup(io.BytesIO(raw), offline)}


def test_entries_come_back_as_written_and_nothing_is_readable_in_the_file():
    made = new_backup_keys()
    big = os.urandom(3 * 1024 * 1024 + 17)  # several segments and several chunks
    entries = {"a.json": [b'{"name": "%s"}' % MARKER.encode()], "big": [big[:5], big[5:]]}
    raw = _written(entries | {"empty": []}, made)
    offline = OfflineBackupKey.loads(made.offline.dumps())  # as read back from paper
    assert _read(raw, offline) == {"a.json": entries["a.json"][0], "big": big, "empty": b""}
    assert MARKER.encode() not in raw
    assert b"a.json" not in raw


def test_another_key_a_cut_or_a_changed_byte_is_refused():
    made = new_backup_keys()
    raw = _written({"database.sql": [os.urandom(200_000)]}, made)
    with pytest.raises(DecryptionError):
        _read(raw, new_backup_keys().offline)
    for cut in (len(raw) - 1, len(raw) - 70_000, 100):
        with pytest.raises(DecryptionError):
            _read(raw[:cut], made.offline)
    for position in (10, 200, len(raw) // 2, len(raw) - 1):
        damaged = bytearray(raw)
        damaged[position] ^= 0x01
        with pytest.raises(DecryptionError):
            _read(bytes(damaged), made.offline)


def test_damage_anywhere_is_found_before_the_first_entry():
    """The restore acts on entries as they come: a damaged or cut file must be refused before
    the first one, wherever the damage is."""
    made = new_backup_keys()
    raw = _written({"keys/kek/0001.key": [b"k"], "database.sql": [os.urandom(300_000)]}, made)
    for damaged in (raw[:-1], raw[:-100_000], raw[:-100] + bytes(100)):
        entries = read_backup(io.BytesIO(damaged), made.offline)
        with pytest.raises(DecryptionError):
            next(entries)


def test_a_backup_forged_with_the_public_key_is_refused_before_anything_is_read():
    """The backup public key is not secret. Someone who swaps a stored backup for one they
    made with it (SQL that the restore would run as the database owner) is stopped by the
    signature: the file was not made by the servers' signing key."""
    made = new_backup_keys()
    forger = new_backup_keys()
    forged_keys = BackupKeys(made.offline, made.public, forger.signing)
    forged = _written({"database.sql": [b"\\! touch /tmp/pwned\n"]}, forged_keys)
    with pytest.raises(DecryptionError, match="not made by the servers"):
        _read(forged, made.offline)


# --- The drill --------------------------------------------------------------------------------


@pytest.fixture
def fresh_database():
    if connection.vendor != "postgresql":
        pytest.skip("the drill restores with PostgreSQL's pg_dump and psql")
    name = f"clemency_drill_{secrets.token_hex(4)}"
    params = connection.settings_dict
    admin = {
        "host": params["HOST"] or "127.0.0.1",
        "port": params["PORT"] or 5432,
        "user": params["USER"],
        "password": params["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**admin) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = (
        f"postgres://{params['USER']}:{params['PASSWORD'] or ''}@{admin['host']}:{admin['port']}/"
        f"{name}"
    )
    yield url, admin | {"dbname": name}
    with psycopg.connect(**admin) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.mark.django_db(transaction=True)
def test_restore_drill(
    migrated_rows, own_keys, tmp_path, documents_on_s3, s3_server, fresh_database, capsys
):
    """Everything restores into a fresh database, key directory and bucket, every case and
    document decrypts there, and a case shredded before the backup stays unreadable once the
    schedule has retired its key."""
    client, _source_bucket = documents_on_s3
    kept = [ApplicantFactory(legal_name=f"{MARKER} {n}").case for n in range(3)]
    for case in kept:
        document_store(case=case, actor=None, kind="rap_sheet", content=PDF)
    shredded = ApplicantFactory(legal_name=f"{MARKER} shredded").case
    gone = document_store(case=shredded, actor=None, kind="rap_sheet", content=PDF)
    stolen = WrappedKey(shredded.kek_version, bytes(shredded.wrapped_key))
    case_shred(case=shredded, actor=None, reason="retention")
    call_command("keys", "schedule", "--now")  # the shredded key's KEK is retired
    assert "Retired KEK version 1." in capsys.readouterr().out

    offline = tmp_path / "offline-backup.key"
    call_command("keys", "backup-key", "--out", str(offline))
    assert oct(offline.stat().st_mode & 0o777) == "0o600"
    assert load_public_key(own_keys / "backup.pub")
    backup = tmp_path / "pardon.backup"
    call_command("backup", "create", "--output", str(backup))
    out = capsys.readouterr().out
    assert "3 stored documents" in out
    raw = backup.read_bytes()
    assert MARKER.encode() not in raw
    assert b"CREATE TABLE" not in raw

    url, restored_db = fresh_database
    restored_keys = tmp_path / "restored-keys"
    target_bucket = s3_server.new_bucket()
    # A production process on a new host: it starts without keys only to restore them.
    env = production_environ(
        tmp_path / "new-host",
        DATABASE_URL=url,
        KEY_SOURCE="directory",
        KEY_DIR=str(restored_keys),
        DOCUMENT_STORAGE="s3",
        S3_ENDPOINT_URL=s3_server.endpoint_url,
        S3_BUCKET=target_bucket,
        S3_ACCESS_KEY_ID=s3_server.access_key,
        S3_SECRET_ACCESS_KEY=s3_server.secret_key,
    )
    assert run(["manage.py", "keys", "verify"], env).returncode != 0  # no keys: no start
    wrong = tmp_path / "wrong.key"
    wrong.write_text(new_backup_keys().offline.dumps())
    wrong.chmod(0o600)
    refused = run(["manage.py", "backup", "restore", str(backup), "--private-key", str(wrong)], env)
    assert refused.returncode != 0
    assert "The backup does not open" in refused.stderr

    # As README's docker-compose restore: the offline key on stdin.
    restore = subprocess.run(
        [sys.executable, "manage.py", "backup", "restore", str(backup), "--private-key", "-"],
        cwd=ROOT,
        env=env,
        input=offline.read_text(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert restore.returncode == 0, restore.stderr
    assert "3 stored documents" in restore.stdout
    verify = run(["manage.py", "keys", "verify"], env)
    assert verify.returncode == 0, verify.stderr + verify.stdout
    assert "Case keys: 3 unwrapped." in verify.stdout
    assert f"Documents: 3 decrypted ({3 * len(PDF)} bytes)." in verify.stdout
    assert "All encrypted values and documents decrypt." in verify.stdout
    names = run(
        [
            "-c",
            "import django; django.setup()\n"
            "from cases.models import Applicant\n"
            "print(sorted(a.legal_name for a in Applicant.objects.select_related('case')))",
        ],
        env,
    )
    assert names.returncode == 0, names.stderr
    assert names.stdout.strip() == str(sorted(a.legal_name for a in _live_applicants()))
    again = run(["manage.py", "backup", "restore", str(backup), "--private-key", str(offline)], env)
    assert again.returncode != 0
    assert "not empty" in again.stderr

    # The shredded case: a tombstone without its key, no object, and its old wrapped key (from
    # the live database's dead rows) opens nothing with the restored key set.
    with psycopg.connect(**restored_db) as conn:
        row = conn.execute(
            "SELECT wrapped_key, shredded_at FROM cases_case WHERE id = %s", [shredded.pk]
        ).fetchone()
        assert row[0] is None  # no key
        assert row[1] is not None  # but the tombstone
        count = conn.execute("SELECT count(*) FROM cases_document").fetchone()[0]
        assert count == Document.objects.count() == 3
    listed = client.list_objects_v2(Bucket=target_bucket).get("Contents", [])
    assert gone.object_name not in {item["Key"] for item in listed}
    assert len(listed) == 3
    with pytest.raises(SecurityError):
        unwrap_case_key(stolen, case_id=shredded.pk, provider=load_directory(restored_keys))


def _live_applicants():
    return Applicant.objects.select_related("case").filter(case__shredded_at__isnull=True)


@pytest.mark.django_db
def test_create_needs_the_backup_public_key_and_a_new_file(own_keys, tmp_path):
    with pytest.raises(CommandError, match="keys backup-key"):
        call_command("backup", "create", "--output", str(tmp_path / "b"))
    call_command("keys", "backup-key", "--out", str(tmp_path / "offline.key"), stdout=io.StringIO())
    with pytest.raises(CommandError, match="already exists"):
        call_command("keys", "backup-key", "--out", str(tmp_path / "other.key"))
    (tmp_path / "b").write_text("")
    with pytest.raises(CommandError, match="already exists"):
        call_command("backup", "create", "--output", str(tmp_path / "b"))


@pytest.mark.django_db
def test_restore_refuses_a_database_that_is_not_empty(own_keys, tmp_path, settings):
    call_command("keys", "backup-key", "--out", str(tmp_path / "offline.key"), stdout=io.StringIO())
    settings.KEY_DIR = tmp_path / "empty-keys"
    with pytest.raises(CommandError, match="restore into an empty one"):
        call_command(
            "backup",
            "restore",
            str(tmp_path / "none"),
            "--private-key",
            str(tmp_path / "offline.key"),
        )
    assert Case.objects.count() == 0


def test_backup_and_restore_of_the_development_site(tmp_path):
    """What `make backup` and `make restore` run, on the SQLite site `make run` makes."""

    def site(name: str) -> dict[str, str]:
        return clean_environ() | {
            "DJANGO_ENV": "development",
            "DATABASE_URL": f"sqlite:///{tmp_path / name / 'db.sqlite3'}",
            "KEY_SOURCE": "directory",
            "KEY_DIR": str(tmp_path / name / "keys"),
            "MEDIA_ROOT": str(tmp_path / name / "media"),
            "DOCUMENT_STORAGE": "local",
            "DEMO_PASSWORD": "demo-password-for-the-drill",
        }

    def manage(env: dict[str, str], *args: str) -> str:
        result = run(["manage.py", *args], env)
        assert result.returncode == 0, result.stderr + result.stdout
        return result.stdout

    source, target = site("source"), site("target")
    (tmp_path / "source").mkdir()
    manage(source, "keys", "init")
    manage(source, "migrate", "--no-input")
    manage(source, "seed_demo")
    manage(source, "keys", "backup-key", "--out", str(tmp_path / "offline.key"))
    made = manage(source, "backup", "create", "--output", str(tmp_path / "site.backup"))
    documents = int(made.split(" stored documents")[0].rsplit(" ", 1)[1])
    assert documents > 0

    (tmp_path / "target").mkdir()
    restored = manage(
        target,
        "backup",
        "restore",
        str(tmp_path / "site.backup"),
        "--private-key",
        str(tmp_path / "offline.key"),
    )
    assert f"{documents} stored documents" in restored
    verified = manage(target, "keys", "verify")
    assert f"Documents: {documents} decrypted" in verified
    assert verified == manage(source, "keys", "verify")  # the same counts, value for value


@pytest.mark.django_db(transaction=True)
def test_backups_into_a_directory_are_named_by_time_and_old_ones_deleted(
    migrated_rows, own_keys, tmp_path
):
    call_command("keys", "backup-key", "--out", str(tmp_path / "offline.key"), stdout=io.StringIO())
    into = tmp_path / "backups"
    into.mkdir()
    old, recent = into / "pardon-20260101T030000Z.backup", into / "pardon-20261130T030000Z.backup"
    for path, age_days in ((old, 40), (recent, 1)):
        path.write_bytes(b"an older backup")
        made = time.time() - age_days * 86400
        os.utime(path, (made, made))
    out = io.StringIO()
    call_command("backup", "create", "--into", str(into), "--keep-days", "30", stdout=out)
    assert f"Deleted {old.name} (older than 30 days)." in out.getvalue()
    names = sorted(p.name for p in into.iterdir())
    assert len(names) == 2
    assert recent.name in names
    with pytest.raises(CommandError, match="--keep-days goes with --into"):
        call_command("backup", "create", "--output", str(tmp_path / "x"), "--keep-days", "3")


def _offline_key(tmp_path):
    call_command("keys", "backup-key", "--out", str(tmp_path / "offline.key"), stdout=io.StringIO())
    return OfflineBackupKey.loads((tmp_path / "offline.key").read_text())


@pytest.mark.django_db(transaction=True)
def test_an_object_deleted_after_the_snapshot_leaves_a_whole_backup(
    migrated_rows, own_keys, tmp_path
):
    """A shred or a removed file between the snapshot and the copy of its object: the backup
    says so and stays readable to its end."""
    offline = _offline_key(tmp_path)
    cases = [ApplicantFactory().case for _ in range(2)]
    documents = [
        document_store(case=case, actor=None, kind="rap_sheet", content=PDF) for case in cases
    ]
    from clemency.security.storage import EncryptedDocumentStorage

    EncryptedDocumentStorage().delete(documents[0].object_name)
    out = io.StringIO()
    call_command("backup", "create", "--output", str(tmp_path / "b"), stdout=out)
    assert "1 stored documents" in out.getvalue()
    assert "1 objects were deleted meanwhile" in out.getvalue()
    with (tmp_path / "b").open("rb") as backup:
        names = [name for name, _chunks in read_backup(backup, offline)]
    assert f"objects/{documents[1].object_name}" in names
    assert names[-1] == "manifest.json"


@pytest.mark.django_db(transaction=True)
def test_a_backup_whose_keys_do_not_open_its_rows_is_refused(migrated_rows, own_keys, tmp_path):
    _offline_key(tmp_path)
    ApplicantFactory()  # wrapped under KEK 1
    from clemency.security.keys import add_kek, kek_path

    add_kek(own_keys)
    kek_path(own_keys, 1).unlink()  # as a retirement racing the backup would have left it
    with pytest.raises(CommandError, match=r"needs key files that are gone \(kek/0001.key\)"):
        call_command("backup", "create", "--output", str(tmp_path / "b"))
    assert not (tmp_path / "b").exists()
    assert not list(tmp_path.glob(".b.partial"))


class _ReadOnce(io.RawIOBase):
    """A file that gives its genuine bytes on the first read through, and someone else's on any
    read after a seek back: what replacing the file after its check would do."""

    def __init__(self, genuine: bytes, forged: bytes) -> None:
        self.genuine, self.forged, self.position, self.rewound = genuine, forged, 0, False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset, whence=io.SEEK_SET):
        self.rewound, self.position = True, offset
        return offset

    def readinto(self, buffer) -> int:
        data = (self.forged if self.rewound else self.genuine)[
            self.position : self.position + len(buffer)
        ]
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)


def test_a_backup_replaced_after_its_check_is_not_what_is_restored():
    made = new_backup_keys()
    genuine = _written({"database.sql": [b"SELECT 1;"]}, made)
    forger = BackupKeys(made.offline, made.public, new_backup_keys().signing)
    forged = _written({"database.sql": [b"\\! id\n"]}, forger)
    source = _ReadOnce(genuine, forged.ljust(len(genuine), b"\0"))
    entries = {name: b"".join(chunks) for name, chunks in read_backup(source, made.offline)}
    assert entries == {"database.sql": b"SELECT 1;"}
    assert not source.rewound  # read once: the checked copy is what was decrypted
