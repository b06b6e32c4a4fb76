"""Key management: init (development), rotate, rewrap, retire, verify.

It lives in cases/ because rotating, retiring and verifying walk the cases' keys, fields and
documents; clemency/security itself imports nothing from cases (and the public site, which does
not install cases, needs none of this: it holds only the intake public key).

manage.py keys init              create a key set in KEY_DIR (refuses to overwrite)
manage.py keys rotate            add a KEK (key directory only), then rewrap
manage.py keys rewrap            re-wrap every case key under the current KEK
manage.py keys rotate --retire N ... and delete KEK N once no case key uses it
manage.py keys retire N          delete KEK N once no case key uses it
manage.py keys verify            decrypt every encrypted value; non-zero exit on any failure
manage.py keys schedule          what is due, run daily: a new KEK and a new intake key pair
                                 every KEK_ROTATION_DAYS, and every older one deleted once
                                 nothing needs it (ADR 0015)
manage.py keys schedule --now    rotate both today whatever their age (to make a shred final
                                 sooner); the older keys go at a run 2 x KEY_RELOAD_SECONDS later
manage.py keys backup-key --out FILE
                                 make the backup key pair: the private key goes to FILE (take
                                 it offline; "-" prints it), the public key to BACKUP_PUBLIC_KEY
"""

import base64
import time
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cases.models import Case, Document
from cases.services import purge_pending_deletions
from clemency.security import keys
from clemency.security.backup import backup_signing_path, new_backup_keys
from clemency.security.casekeys import case_key, key_scope, rewrap
from clemency.security.errors import SecurityError
from clemency.security.fields import EncryptedField
from clemency.security.init_keys import ensure_key_set
from clemency.security.keylock import retiring_keys, using_keys
from clemency.security.provider import forget_provider, get_provider
from clemency.security.sealing import sealed_header
from clemency.security.storage import EncryptedDocumentStorage
from intake.models import Draft, Reply

BATCH = 500


def encrypted_models():
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedField)]
        if fields:
            yield model, fields


class Command(BaseCommand):
    help = "Create, rotate and verify encryption keys."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        init = sub.add_parser("init", help="create a key set in KEY_DIR (development)")
        init.add_argument("--if-missing", action="store_true", help="do nothing if keys exist")
        rotate = sub.add_parser("rotate", help="add a KEK and re-wrap every case key")
        rotate.add_argument("--retire", type=int, metavar="VERSION", help="then delete this KEK")
        sub.add_parser("rewrap", help="re-wrap every case key under the current KEK")
        retire = sub.add_parser("retire", help="delete a KEK that no case key uses any more")
        retire.add_argument("version", type=int)
        sub.add_parser("verify", help="decrypt everything; fail on any error")
        schedule = sub.add_parser(
            "schedule",
            help="run daily: rotate the KEK and the intake key pair when due, retire older ones "
            "(shreds become final)",
        )
        schedule.add_argument("--now", action="store_true", help="rotate now, whatever the age")
        backup_key = sub.add_parser(
            "backup-key", help="make the backup key pair; the private key goes offline"
        )
        backup_key.add_argument("--out", required=True, help="where to write the private key")

    def handle(self, *args, action: str, **options) -> None:
        try:
            getattr(self, f"do_{action.replace('-', '_')}")(**options)
        except SecurityError as exc:
            raise CommandError(str(exc)) from exc

    def _directory(self):
        if settings.KEY_SOURCE != "directory":
            raise CommandError(
                "This needs KEY_SOURCE=directory; with environment keys, add the "
                "new KEK to KEKS and run `keys rewrap`."
            )
        return settings.KEY_DIR

    def do_init(self, *, if_missing: bool, **options) -> None:
        directory = self._directory()
        if (directory / "index.key").exists() and not if_missing:
            raise CommandError(f"{directory} already holds keys.")
        if settings.PRODUCTION and not (directory / "index.key").exists():
            self.stderr.write("Creating production keys: back up KEY_DIR safely, or lose all data.")
        done = ensure_key_set(directory, settings.INTAKE_PUBLIC_KEY_EXPORT or None)
        forget_provider()
        self.stdout.write("\n".join(done) or f"Keys already present in {directory}.")

    def _export_public_key(self) -> None:
        """Copy the published intake public key to INTAKE_PUBLIC_KEY_EXPORT, if set and stale."""
        export = settings.INTAKE_PUBLIC_KEY_EXPORT
        public = get_provider().intake_public_key()
        if export and keys.export_public_key(public, export):
            self.stdout.write(f"Published intake public key {public.version} to {export}.")

    def do_backup_key(self, *, out: str, **options) -> None:
        """The backup key set (ADR 0016): the offline key (the private key that opens backups
        and the public key that proves who made them) is written once, to ``out``, and never
        kept here; the servers keep the public key and the signing key."""
        public_path = settings.BACKUP_PUBLIC_KEY
        signing_path = backup_signing_path()
        if public_path.exists() or signing_path.exists():
            raise CommandError(
                f"{public_path} already exists: backups are encrypted to it. Delete it and "
                f"{signing_path.name} first to replace the backup key (older backups still need "
                "the old offline key)."
            )
        made = new_backup_keys()
        text = made.offline.dumps()
        if out != "-":
            try:
                keys.write_secret_text(text, out)
            except FileExistsError:
                raise CommandError(f"{out} already exists; not overwritten.") from None
        keys.write_secret_text(base64.b64encode(made.signing).decode("ascii"), signing_path)
        keys.publish_public_key(made.public, public_path)
        warning = (
            "Keep it off this machine (print it, or a drive kept in a safe): without it no "
            "backup can be restored; with it, every backup can be read."
        )
        if out == "-":  # e.g. `docker compose run --rm -T scheduler ... --out - > backup.key`
            self.stdout.write(text)
            self.stderr.write(f"Printed the offline backup key. {warning}")
        else:
            self.stdout.write(f"Wrote the offline backup key to {out} (mode 0600). {warning}")

    def do_rotate(self, *, retire: int | None, **options) -> None:
        directory = self._directory()
        version = keys.add_kek(directory)
        forget_provider()
        self.stdout.write(f"Added KEK version {version}.")
        self.do_rewrap()
        if retire is not None:
            self.do_retire(version=retire)

    def do_retire(self, *, version: int, **options) -> None:
        """Delete a KEK once no running process can still be wrapping under it."""
        directory = self._directory()
        current = get_provider().current_kek_version()
        age = time.time() - keys.kek_path(directory, current).stat().st_mtime
        wait = 2 * settings.KEY_RELOAD_SECONDS
        if age < wait:
            raise CommandError(
                f"KEK {current} is only {age:.0f} s old: running processes may still wrap new "
                f"case keys under KEK {version}. Run `keys retire {version}` again in "
                f"{wait - age:.0f} s (or once every process has restarted)."
            )
        self.do_rewrap()  # case keys wrapped under the old KEK meanwhile
        with transaction.atomic():
            if not retiring_keys():  # no case key can be wrapped while we count and delete
                self.stdout.write(f"Keys are in use right now: KEK {version} is retired later.")
                return
            in_use = Case.objects.filter(kek_version=version, wrapped_key__isnull=False).count()
            if in_use:
                raise CommandError(f"{in_use} case keys still use KEK {version}; not retired.")
            keys.remove_kek(directory, version)
        forget_provider()
        self.stdout.write(f"Retired KEK version {version}.")

    def do_schedule(self, *, now: bool = False, **options) -> None:
        """Rotate the KEK and the intake key pair when KEK_ROTATION_DAYS old (or ``now``); retire
        every older one that nothing needs once every process has had time to load the newer
        one. Idempotent: run it daily (the worker's schedule, cron or a systemd timer)."""
        directory = self._directory()
        # An hour's slack: a daily run that starts a few minutes earlier than last week's must
        # not put the rotation, and so every shred's finality, off by a day.
        due = 0 if now else settings.KEK_ROTATION_DAYS * 86400 - 3600
        self._schedule_keks(directory, due)
        self._schedule_intake_keys(directory, due)

    def _schedule_keks(self, directory, due: float) -> None:
        current = get_provider().current_kek_version()
        age = time.time() - keys.kek_created(directory, current)
        if age >= due:
            self.do_rotate(retire=None)
            current = get_provider().current_kek_version()
        older = [version for version in get_provider().kek_versions() if version < current]
        if not older:
            self.stdout.write(f"KEKs: nothing due; KEK {current} is {age / 86400:.1f} days old.")
        elif time.time() - keys.kek_created(directory, current) < 2 * settings.KEY_RELOAD_SECONDS:
            self.stdout.write(
                f"KEK {current} is new: older KEKs {older} are retired at the next run."
            )
        else:
            for version in older:
                self.do_retire(version=version)

    def _schedule_intake_keys(self, directory, due: float) -> None:
        """The intake key pair: a new one is kept, then published (the intake seals to it within
        KEY_RELOAD_SECONDS); an older private key goes once no intake process can still seal to
        it and every submission sealed to it has been opened."""
        self._export_public_key()  # again, in case an earlier run could not
        published = get_provider().intake_public_key().version
        age = time.time() - keys.intake_key_created(directory, published)
        if age >= due:
            new = keys.add_intake_key(directory)
            keys.publish_public_key(new.public_key(), directory / keys.PUBLIC_KEY_FILE)
            forget_provider()
            self._export_public_key()
            published = new.version
            self.stdout.write(f"Added intake key version {published} and published it.")
        older = [v for v in get_provider().intake_private_versions() if v < published]
        # Since when the intake can have read it: the later of the two copies (the export is
        # what a separate intake site reads).
        copies = [directory / keys.PUBLIC_KEY_FILE]
        if settings.INTAKE_PUBLIC_KEY_EXPORT:
            copies.append(Path(settings.INTAKE_PUBLIC_KEY_EXPORT))
        since = time.time() - max(path.stat().st_mtime for path in copies)
        if not older:
            self.stdout.write(
                f"Intake keys: nothing due; key {published} is {age / 86400:.1f} days old."
            )
        elif since < 2 * settings.KEY_RELOAD_SECONDS:
            self.stdout.write(
                f"Intake key {published} is new: older intake keys {older} are retired at the "
                "next run."
            )
        else:
            for version in older:
                self._retire_intake_key(directory, version)

    def _retire_intake_key(self, directory, version: int) -> None:
        with transaction.atomic():
            if not retiring_keys():  # no application can be sealed while we count and delete
                self.stdout.write(
                    f"Keys are in use right now: intake key {version} is retired at the next run."
                )
                return
            waiting = sum(
                sealed_header(bytes(sealed)).key_version == version
                for model in (Draft, Reply)
                for sealed in model.objects.filter(sealed_key__isnull=False)
                .values_list("sealed_key", flat=True)
                .iterator(chunk_size=BATCH)
            )
            if waiting:
                self.stderr.write(
                    f"{waiting} sent applications or replies sealed to intake key {version} are "
                    "not opened yet: it is retired once the worker has opened them."
                )
                return
            keys.remove_intake_key(directory, version)
        forget_provider()
        self.stdout.write(f"Retired intake key version {version}.")

    def do_rewrap(self, **options) -> None:
        current = get_provider().current_kek_version()
        done = 0
        while True:
            with transaction.atomic(), key_scope():
                using_keys()
                batch = list(
                    Case.objects.select_for_update()
                    .filter(wrapped_key__isnull=False)
                    .exclude(kek_version=current)
                    .order_by("pk")[:BATCH]
                )
                for case in batch:
                    rewrap(case)
                    case.save(update_fields=["kek_version", "wrapped_key"])
            done += len(batch)
            if len(batch) < BATCH:
                break
        self.stdout.write(f"Re-wrapped {done} case keys under KEK version {current}.")

    def do_verify(self, **options) -> None:
        failures = self._verify_case_keys()
        for model, fields in encrypted_models():
            checked = 0
            with key_scope():
                for row in model._default_manager.iterator(chunk_size=BATCH):
                    for field in fields:
                        if field.raw_value(row) is None:
                            continue
                        try:
                            getattr(row, field.attname)
                            checked += 1
                        except SecurityError as exc:
                            failures += 1
                            self.stderr.write(f"{field.label} row {row.pk}: {type(exc).__name__}")
            self.stdout.write(f"{model._meta.label}: {checked} values decrypted.")
        failures += self._verify_documents()
        failures += self._pending_deletions()
        if failures:
            raise CommandError(f"{failures} values or documents failed to decrypt.")
        self.stdout.write("All encrypted values and documents decrypt.")

    def _verify_case_keys(self) -> int:
        checked = failures = 0
        for case in Case.objects.filter(wrapped_key__isnull=False).iterator(chunk_size=BATCH):
            try:
                case_key(case)
                checked += 1
            except SecurityError as exc:
                failures += 1
                self.stderr.write(f"case {case.pk}: {type(exc).__name__}")
        self.stdout.write(f"Case keys: {checked} unwrapped.")
        return failures

    def _pending_deletions(self) -> int:
        left = purge_pending_deletions()
        if left:
            self.stderr.write(f"{left} stored objects of shredded cases could not be deleted yet.")
        return left

    def _verify_documents(self) -> int:
        storage = EncryptedDocumentStorage()
        checked = failures = size = 0
        with key_scope():
            for document in Document.objects.select_related("case").iterator(chunk_size=BATCH):
                try:
                    key = case_key(document.case)
                    for segment in storage.open_plaintext(
                        document.object_name,
                        key=key.key,
                        case_id=document.case_id,
                        document_id=document.pk,
                    ):
                        size += len(segment)
                    checked += 1
                except (SecurityError, OSError) as exc:
                    failures += 1
                    self.stderr.write(f"document {document.pk}: {type(exc).__name__}")
        self.stdout.write(f"Documents: {checked} decrypted ({size} bytes).")
        return failures
