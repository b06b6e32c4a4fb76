"""Encrypted backups of the database, the key set and the stored documents (ADR 0016).

manage.py backup create --output FILE
manage.py backup create --into DIRECTORY [--keep-days N]   (N: BACKUP_KEEP_DAYS, 30)
    As the owner of the tables (it reads every one): one file, encrypted to BACKUP_PUBLIC_KEY,
    holding a consistent snapshot of the database, the key directory and the ciphertext of
    every document the snapshot refers to. Nothing is written to disk unencrypted on the way.
    With --into, the file is named by the time (pardon-YYYYMMDDTHHMMSSZ.backup) and, once it is
    written, backups there older than N days are deleted: a case shredded today can be read
    from a backup (with the offline key) until that backup is deleted, so N bounds how long.
manage.py backup restore FILE --private-key OFFLINE_KEY    ("-" reads the key from stdin)
    Into an empty database, an empty KEY_DIR and the configured document storage (objects of
    the same name are never replaced). Then: `migrate`, `db_grants`, `keys verify`.

Only the staff side has this command (the public intake holds no key and no documents).
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder

from clemency.security import keys
from clemency.security.backup import (
    BackupWriter,
    OfflineBackupKey,
    backup_signing_path,
    load_offline_key,
    load_signing_key,
    read_backup,
)
from clemency.security.errors import SecurityError
from clemency.security.keylock import using_keys
from clemency.security.sealing import sealed_header
from clemency.security.storage import EncryptedDocumentStorage, StorageUnavailable

FORMAT = "clemency-backup/1"
CHUNK = 1024 * 1024
# Every table that names a stored object (the objects are backed up with the snapshot).
OBJECT_TABLES = ("cases_document", "intake_draftdocument", "intake_replydocument")
PUBLIC_KEY_FILES = {keys.PUBLIC_KEY_FILE}  # 0644 when restored; the rest 0600
BACKUP_KEY_FILES = {"backup.pub", "backup-signing.key"}  # beside the keys in development


class Command(BaseCommand):
    help = "Make or restore an encrypted backup (database, key set, documents)."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="write an encrypted backup file")
        where = create.add_mutually_exclusive_group(required=True)
        where.add_argument("--output", help="the new backup file")
        where.add_argument("--into", help="a directory: the file is named by the time")
        create.add_argument(
            "--keep-days",
            type=int,
            help="with --into: then delete backups older than this (default BACKUP_KEEP_DAYS)",
        )
        restore = sub.add_parser("restore", help="restore a backup into empty targets")
        restore.add_argument("file")
        restore.add_argument(
            "--private-key", required=True, help='the offline backup key ("-": read it from stdin)'
        )

    def handle(self, *args, action: str, **options) -> None:
        if settings.KEY_SOURCE != "directory":
            raise CommandError("A backup holds the key set: it needs KEY_SOURCE=directory.")
        try:
            getattr(self, f"do_{action}")(**options)
        except SecurityError as exc:
            if action == "create":
                raise CommandError(f"The backup could not be made: {exc}") from exc
            raise CommandError(
                f"The backup does not open: {exc} (wrong private key, or a damaged or cut-short "
                "file)."
            ) from exc
        except StorageUnavailable as exc:
            raise CommandError(f"The document storage did not answer: {exc}") from exc

    # --- create ---------------------------------------------------------------------------------

    def do_create(
        self, *, output: str | None, into: str | None, keep_days: int | None, **options
    ) -> None:
        if keep_days is not None and (into is None or keep_days < 1):
            raise CommandError("--keep-days goes with --into and is at least 1.")
        if into is not None:
            keep_days = keep_days or settings.BACKUP_KEEP_DAYS
            if keep_days < 1:
                raise CommandError("BACKUP_KEEP_DAYS must be at least 1.")
            Path(into).mkdir(mode=0o700, parents=True, exist_ok=True)
            output = str(Path(into) / f"pardon-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.backup")
        target = Path(output)
        if target.exists():
            raise CommandError(f"{target} already exists; not overwritten.")
        try:
            public_key = keys.load_public_key(settings.BACKUP_PUBLIC_KEY)
            signing = load_signing_key(backup_signing_path())
        except OSError:
            raise CommandError(
                f"No backup key set beside {settings.BACKUP_PUBLIC_KEY}: run `manage.py keys "
                "backup-key --out FILE` once and keep FILE offline."
            ) from None
        partial = target.with_name(f".{target.name}.partial")
        manifest = {"format": FORMAT, "created": datetime.now(UTC).isoformat()}
        try:
            with os.fdopen(
                os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb"
            ) as out:
                writer = BackupWriter(out, public_key, signing=signing)
                manifest["backup_id"] = str(writer.backup_id)
                manifest |= self._add_database_keys_and_objects(writer)
                writer.add("manifest.json", [json.dumps(manifest).encode()])
                writer.close()
                out.flush()
                os.fsync(out.fileno())
            partial.rename(target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        if keep_days is not None:
            self._prune(Path(into), keep_days, keep=target)
        missing = manifest["objects_missing"]
        self.stdout.write(
            f"Backup {manifest['backup_id']} written to {target}: {manifest['tables']} tables, "
            f"{manifest['objects']} stored documents, {len(manifest['keys'])} key files"
            + (
                f"; {missing} objects were deleted meanwhile (a shred, a removed file)."
                if missing
                else "."
            )
        )

    def _prune(self, directory: Path, keep_days: int, *, keep: Path) -> None:
        """Only after a backup that succeeded: while backups fail, the old ones stay."""
        cutoff = time.time() - keep_days * 86400
        for path in directory.glob("pardon-*.backup"):
            if path != keep and path.stat().st_mtime < cutoff:
                path.unlink()
                self.stdout.write(f"Deleted {path.name} (older than {keep_days} days).")
        for path in directory.glob(".pardon-*.backup.partial"):  # a run killed half-way
            if path.stat().st_mtime < time.time() - 86400:
                path.unlink()

    def _add_keys(self, writer: BackupWriter, needed: set[str]) -> list[str]:
        """The key directory as it is now; ``needed`` (key files the snapshot's rows need) must
        all be there."""
        directory = Path(settings.KEY_DIR)
        names = []
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            name = path.relative_to(directory).as_posix()
            if name.startswith(".") or "/." in name:
                continue  # a public key being replaced
            if name in BACKUP_KEY_FILES:
                continue  # the signing key never leaves the backup job; a new host makes its own
            writer.add(f"keys/{name}", [path.read_bytes()])
            names.append(name)
        present = set(names)
        if "intake.key" in present:  # an older key set's single intake key is version 1
            present.add(keys.intake_key_path(Path(), 1).as_posix())
        if missing := needed - present:
            raise CommandError(
                f"The snapshot needs key files that are gone ({', '.join(sorted(missing))}); "
                "run the backup again."
            )
        return names

    def _add_database_keys_and_objects(self, writer: BackupWriter) -> dict:
        """The database snapshot, then the keys it needs (read while no key can be retired),
        then the objects it refers to."""
        if connection.vendor == "postgresql":
            with transaction.atomic(), connection.cursor() as cursor:
                # One snapshot for the dump, the keys it needs and the objects it refers to.
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                using_keys()  # no key is retired until this backup has read the key set
                cursor.execute("SELECT pg_export_snapshot()")
                (snapshot,) = cursor.fetchone()
                writer.add("database.sql", self._pg_dump(snapshot))
                key_files = self._add_keys(writer, _needed_key_files(cursor))
                names = _object_names(cursor)
                tables = len(connection.introspection.table_names(cursor))
        elif connection.vendor == "sqlite":
            # A consistent copy in memory: never an unencrypted file on disk.
            with connection.cursor():
                data = connection.connection.serialize()
            writer.add(
                "database.sqlite3", [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)]
            )
            copy = sqlite3.connect(":memory:")
            try:
                # Read in memory: bytes 18 and 19 of the header say "WAL", which a database in
                # memory cannot be; 1 and 1 say "rollback journal", the same data.
                copy.deserialize(data[:18] + b"\x01\x01" + data[20:])
                del data
                cursor = copy.cursor()
                key_files = self._add_keys(writer, _needed_key_files(cursor))
                names = _object_names(cursor)
                tables = copy.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                ).fetchone()[0]
            finally:
                copy.close()
        else:
            raise CommandError(f"Backups of {connection.vendor} databases are not supported.")
        storage = EncryptedDocumentStorage()
        stored = missing = 0
        for name in names:
            try:
                writer.add(f"objects/{name}", storage.ciphertext(name))
                stored += 1
            except FileNotFoundError:
                missing += 1  # deleted since the snapshot (a shred, a removed file)
        return {
            "database": connection.vendor,
            "migrations": MigrationRecorder.Migration.objects.count(),
            "tables": tables,
            "keys": key_files,
            "objects": stored,
            "objects_missing": missing,
        }

    def _pg_dump(self, snapshot: str) -> Iterator[bytes]:
        command = ["pg_dump", "--no-owner", "--no-privileges", f"--snapshot={snapshot}"]
        with _postgres(command) as process:
            while chunk := process.stdout.read(CHUNK):
                yield chunk

    # --- restore --------------------------------------------------------------------------------

    def do_restore(self, *, file: str, private_key: str, **options) -> None:
        try:
            if private_key == "-":  # e.g. `docker compose run -T ... --private-key - < KEY`
                offline = OfflineBackupKey.loads(sys.stdin.read())
            else:
                offline = load_offline_key(private_key)
        except OSError as exc:
            raise CommandError(f"Cannot read the offline backup key: {exc}") from None
        directory = Path(settings.KEY_DIR)
        if directory.exists() and any(directory.iterdir()):
            raise CommandError(f"KEY_DIR {directory} is not empty: restore into a new one.")
        self._check_empty_database()
        manifest, restored, keys_written, started = None, 0, 0, False
        sqlite_copy = _sqlite_partial() if connection.vendor == "sqlite" else None
        try:
            # read_backup checks the whole file's signature before the first entry: nothing
            # is written from a damaged, cut or forged backup.
            with open(file, "rb") as backup:
                for name, chunks in read_backup(backup, offline):
                    started = True
                    if name.startswith("keys/"):
                        _restore_key(directory, name.removeprefix("keys/"), b"".join(chunks))
                        keys_written += 1
                    elif name == "database.sql":
                        self._psql(chunks)
                    elif name == "database.sqlite3":
                        self._sqlite(chunks, sqlite_copy)
                    elif name.startswith("objects/"):
                        EncryptedDocumentStorage().restore_ciphertext(
                            name.removeprefix("objects/"), chunks
                        )
                        restored += 1
                    elif name == "manifest.json":
                        manifest = json.loads(b"".join(chunks))
                    else:
                        raise CommandError(f"The backup holds an unknown entry {name!r}.")
            if manifest is None or manifest.get("format") != FORMAT:
                raise CommandError("The backup has no manifest of a known format.")
            if restored != manifest["objects"] or keys_written != len(manifest["keys"]):
                raise CommandError("The backup holds fewer entries than its manifest lists.")
            if sqlite_copy is not None:
                sqlite_copy.replace(settings.DATABASES["default"]["NAME"])
        except BaseException:
            if sqlite_copy is not None:
                sqlite_copy.unlink(missing_ok=True)
            if started:
                self.stderr.write(
                    "The restore did not finish: drop the database, empty KEY_DIR and the "
                    "restored objects before trying again."
                )
            raise
        self.stdout.write(
            f"Restored backup {manifest['backup_id']} of {manifest['created']}: the database, "
            f"{keys_written} key files and {restored} stored documents. Next: `migrate`, "
            "`db_grants` (PostgreSQL, as the owner), then `keys verify`."
        )

    def _check_empty_database(self) -> None:
        with connection.cursor() as cursor:
            tables = connection.introspection.table_names(cursor)
        if tables:
            raise CommandError(
                f"The database already has {len(tables)} tables: restore into an empty one."
            )

    def _psql(self, chunks: Iterator[bytes]) -> None:
        command = ["psql", "--no-psqlrc", "--quiet", "--single-transaction"]
        command += ["--set=ON_ERROR_STOP=1", "--output=/dev/null"]
        with _postgres(command, stdin=True) as process:
            try:
                for chunk in chunks:
                    process.stdin.write(chunk)
            except BaseException:
                process.kill()  # the single transaction is rolled back
                raise
            process.stdin.close()

    def _sqlite(self, chunks: Iterator[bytes], partial: Path) -> None:
        connection.close()
        with open(partial, "xb") as out:
            for chunk in chunks:
                out.write(chunk)


def _sqlite_partial() -> Path:
    target = Path(settings.DATABASES["default"]["NAME"])
    return target.with_name(f".{target.name}.restoring")


def _needed_key_files(cursor) -> set[str]:
    """The key files the snapshot's rows need: every KEK a live case key is wrapped under, and
    every intake key an unopened application or unattached reply is sealed to."""
    cursor.execute("SELECT DISTINCT kek_version FROM cases_case WHERE wrapped_key IS NOT NULL")
    needed = {keys.kek_path(Path(), version).as_posix() for (version,) in cursor.fetchall()}
    cursor.execute(
        "SELECT sealed_key FROM intake_draft WHERE sealed_key IS NOT NULL "
        "UNION ALL SELECT sealed_key FROM intake_reply WHERE sealed_key IS NOT NULL"
    )
    for (sealed,) in cursor.fetchall():
        version = sealed_header(bytes(sealed)).key_version
        needed.add(keys.intake_key_path(Path(), version).as_posix())
    return needed


def _object_names(cursor) -> list[str]:
    names = []
    for table in OBJECT_TABLES:
        cursor.execute(f"SELECT object_name FROM {table} ORDER BY object_name")  # noqa: S608
        names += [row[0] for row in cursor.fetchall()]
    return names


def _restore_key(directory: Path, name: str, content: bytes) -> None:
    path = (directory / name).resolve()
    if directory.resolve() not in path.parents:
        raise CommandError(f"The backup holds a key file outside the key directory: {name!r}.")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    directory.chmod(0o700)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = 0o644 if path.name in PUBLIC_KEY_FILES and path.parent == directory.resolve() else 0o600
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)


class _postgres:
    """pg_dump / psql against the configured database, its password in the environment."""

    def __init__(self, command: list[str], *, stdin: bool = False) -> None:
        database = settings.DATABASES["default"]
        program = shutil.which(command[0])
        if program is None:
            raise CommandError(f"{command[0]} is not installed (PostgreSQL's client programs).")
        self.command = [program, *command[1:], f"--dbname={database['NAME']}"]
        for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
            if database.get(key):
                self.command.append(f"{option}={database[key]}")
        self.environment = os.environ | {"PGPASSWORD": database.get("PASSWORD") or ""}
        self.stdin = stdin

    def __enter__(self) -> subprocess.Popen:
        # Messages go to a file: a pipe nobody reads while we stream could fill and stall.
        self.messages = tempfile.TemporaryFile()
        self.process = subprocess.Popen(  # noqa: S603 (a fixed program, arguments from settings)
            self.command,
            stdin=subprocess.PIPE if self.stdin else subprocess.DEVNULL,
            stdout=subprocess.DEVNULL if self.stdin else subprocess.PIPE,
            stderr=self.messages,
            env=self.environment,
        )
        return self.process

    def __exit__(self, kind, error, traceback) -> None:
        with self.messages:
            if kind is not None:
                self.process.kill()
                self.process.wait()
                return
            if self.process.wait() != 0:
                self.messages.seek(0)
                text = self.messages.read().decode(errors="replace").strip()[-500:]
                raise CommandError(f"{Path(self.command[0]).name} failed: {text}")
