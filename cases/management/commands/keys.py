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
manage.py keys schedule          what is due, run daily: a new KEK every KEK_ROTATION_DAYS, and
                                 every older KEK deleted once nothing uses it (ADR 0015)
"""

import time

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from cases.models import Case, Document
from cases.services import purge_pending_deletions
from clemency.security import keys
from clemency.security.casekeys import case_key, key_scope, rewrap
from clemency.security.errors import SecurityError
from clemency.security.fields import EncryptedField
from clemency.security.provider import forget_provider, get_provider
from clemency.security.storage import EncryptedDocumentStorage

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
        sub.add_parser(
            "schedule",
            help="run daily: rotate the KEK when due, retire older KEKs (shreds become final)",
        )

    def handle(self, *args, action: str, **options) -> None:
        try:
            getattr(self, f"do_{action}")(**options)
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
        if if_missing and (directory / "index.key").exists():
            added = keys.add_missing(directory)
            forget_provider()
            self.stdout.write(
                f"Keys already present in {directory}"
                + (f"; added {', '.join(p.name for p in added)}." if added else ".")
            )
            return
        if settings.PRODUCTION:
            self.stderr.write("Creating production keys: back up KEY_DIR safely, or lose all data.")
        written = keys.init_directory(directory)
        forget_provider()
        self.stdout.write(f"Created {len(written)} key files in {directory} (mode 0600).")

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
            if connection.vendor == "postgresql":
                # No case key can be written while we count and delete.
                with connection.cursor() as cursor:
                    cursor.execute("LOCK TABLE cases_case IN SHARE ROW EXCLUSIVE MODE")
            in_use = Case.objects.filter(kek_version=version, wrapped_key__isnull=False).count()
            if in_use:
                raise CommandError(f"{in_use} case keys still use KEK {version}; not retired.")
            keys.remove_kek(directory, version)
        forget_provider()
        self.stdout.write(f"Retired KEK version {version}.")

    def do_schedule(self, **options) -> None:
        """Rotate when the current KEK is KEK_ROTATION_DAYS old; retire every older KEK that no
        case key uses once every process has had time to load the newer one. Idempotent: run it
        daily (the worker's schedule, cron or a systemd timer)."""
        directory = self._directory()
        provider = get_provider()
        current = provider.current_kek_version()
        age_days = (time.time() - keys.kek_path(directory, current).stat().st_mtime) / 86400
        if age_days >= settings.KEK_ROTATION_DAYS:
            self.do_rotate(retire=None)
            current = get_provider().current_kek_version()
        newest_age = time.time() - keys.kek_path(directory, current).stat().st_mtime
        older = [version for version in get_provider().kek_versions() if version < current]
        if older and newest_age < 2 * settings.KEY_RELOAD_SECONDS:
            self.stdout.write(
                f"KEK {current} is new: older KEKs {older} are retired at the next run."
            )
            return
        for version in older:
            self.do_retire(version=version)
        if not older:
            self.stdout.write(f"Nothing due: KEK {current} is {age_days:.1f} days old.")

    def do_rewrap(self, **options) -> None:
        current = get_provider().current_kek_version()
        done = 0
        while True:
            with transaction.atomic(), key_scope():
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
