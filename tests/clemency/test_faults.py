"""A part failing in the middle of the work: the database connection, the S3 document storage,
the task worker (PostgreSQL; S3 on the test SeaweedFS server).

For each: the person reads a clear page in their language (never a stack trace or an empty
download), nothing is left half-saved (no row without its object, no object without its row, no
audit event for what did not happen), and the same request succeeds once the part is back.
"""

import contextlib
import io
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import textwrap
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from botocore.config import Config
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django_tasks_db.models import DBTaskResult

from cases.models import Applicant, BlindIndex, Case, CaseEvent, Conviction, Document, State
from cases.opening import case_open_submission, enqueue_waiting_submissions
from clemency.audit.models import AuditEvent
from intake import services as intake_services
from intake.models import Draft, DraftDocument
from intake.tasks import open_submission
from tests.cases.conftest import make_case
from tests.documents import encrypted_upload, pdf
from tests.intake import test_views as intake_views
from tests.intake.answers import VALID
from tests.s3 import REGION

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="terminating a backend: PostgreSQL"
    ),
]

ROOT = Path(__file__).resolve().parents[2]
DATABASE_DOWN = (
    "Our database did not answer, so this could not be finished. Nothing was saved "
    "halfway: please try again in a moment."
)
STORAGE_DOWN = (
    "Our document storage did not answer, so this could not be finished: no file "
    "was kept or sent. Please try again in a moment."
)
PDF = pdf("certificate of disposition", lines=12000)  # about 480 KB: several segments


@pytest.fixture(autouse=True)
def _restore_migrated_rows(migrated_rows):
    """Each test here empties the database (real transactions); put the role groups back."""


def in_language(response, language: str, message: str) -> None:
    """A 503 page in ``language``, saying ``message`` as that language's catalogue says it."""
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert f'<html lang="{language}"' in response.text
    with translation.override(language):
        assert escape(translation.gettext(message)) in response.text
        assert escape(translation.gettext("Please try again in a moment")) in response.text
    assert "Traceback" not in response.text


def reader(language: str) -> Client:
    client = Client(raise_request_exception=False)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    return client


# --- The database connection dropped ------------------------------------------------------------


def drop_connection() -> None:
    """End this connection's server process, as a database restart or a network cut does."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")


def drop_after(monkeypatch, owner, name: str) -> None:
    """Make ``owner.name`` do its work, then lose the database connection (once)."""
    original = getattr(owner, name)

    def then_drop(*args, **kwargs):
        result = original(*args, **kwargs)
        monkeypatch.setattr(owner, name, original)
        drop_connection()
        return result

    monkeypatch.setattr(owner, name, then_drop)


def audit_chain_is_whole() -> None:
    call_command("audit", "verify", stdout=open(os.devnull, "w"))  # noqa: SIM115


def test_connection_lost_while_sending_an_application(monkeypatch, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client = reader("es")
    intake_views.started(client)
    intake_views.fill_all(client)
    draft = Draft.objects.get()
    # Lost after the draft's row is written as sent, before the transaction commits.
    drop_after(monkeypatch, Draft, "save")

    response = client.post(reverse("intake:review"))

    in_language(response, "es", DATABASE_DOWN)
    draft.refresh_from_db()
    assert draft.submitted_at is None
    assert draft.reference is None
    assert draft.sealed_key is None
    assert draft.locator is not None  # still open: its resume code still works
    assert DBTaskResult.objects.count() == 0  # the case is not to be opened
    assert AuditEvent.objects.count() == 0
    # Sent again: it goes through, once.
    again = client.post(reverse("intake:review"))
    assert again.status_code == 200
    reference = re.search(r"PP-[0-9A-Z]{4}-[0-9A-Z]{4}", again.text).group(0)
    draft.refresh_from_db()
    assert draft.reference == reference
    assert draft.submitted_at is not None
    assert DBTaskResult.objects.count() == 1


def test_connection_lost_during_a_case_transition(monkeypatch, staff):
    import cases.workflow

    case = make_case(State.REVIEW)
    client = reader("fr")
    client.force_login(staff)
    audited = AuditEvent.objects.count()
    # Lost after the state, the case event and the audit event are written, before the commit.
    drop_after(monkeypatch, cases.workflow, "record")
    url = reverse("cases:case-accept", kwargs={"case_id": case.pk})

    response = client.post(url, {"expected_state": State.REVIEW})

    in_language(response, "fr", DATABASE_DOWN)
    case.refresh_from_db()
    assert case.state == State.REVIEW
    assert not CaseEvent.objects.filter(case=case).exists()
    assert AuditEvent.objects.count() == audited
    audit_chain_is_whole()
    # The same button again: done, once, and the audit chain still holds.
    again = client.post(url, {"expected_state": State.REVIEW})
    assert again.status_code == 302
    case.refresh_from_db()
    assert case.state == State.ACCEPTED
    assert CaseEvent.objects.filter(case=case).count() == 1
    assert AuditEvent.objects.filter(action="case.accept", case_id=case.pk).count() == 1
    audit_chain_is_whole()


# --- The S3 storage stopped ---------------------------------------------------------------------


class CuttableLink:
    """A TCP relay in front of the S3 server that the test can cut, as a crashed server or a
    network failure would: open connections are reset, new ones closed at once."""

    def __init__(self, port: int) -> None:
        self._target = ("127.0.0.1", port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._up = True
        self._budget: int | None = None  # bytes (either way) until the cut, when armed
        self._graceful = False  # at the cut: end the streams cleanly instead of resetting
        threading.Thread(target=self._accept, daemon=True).start()

    def cut_after(self, count: int) -> None:
        with self._lock:
            self._budget, self._graceful = count, False

    def end_after(self, count: int) -> None:
        """Pass exactly `count` more bytes, then end the stream cleanly (no reset): what was
        passed arrives whole, and the rest never comes."""
        with self._lock:
            self._budget, self._graceful = count, True

    def cut(self) -> None:
        with self._lock:
            self._up, self._budget = False, None
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.shutdown(socket.SHUT_RDWR)  # wakes the relay's threads
            sock.close()

    def restore(self) -> None:
        with self._lock:
            self._up = True

    def close(self) -> None:
        self.cut()
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _address = self._listener.accept()
            except OSError:
                return
            if not self._up:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self._target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets |= {client, upstream}
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                with self._lock:
                    if self._budget is not None:
                        self._budget -= len(data)
                    over = self._budget is not None and self._budget < 0
                    graceful, left = self._graceful, len(data) + (self._budget or 0)
                if over and graceful:
                    target.sendall(data[:left])
                    with self._lock:
                        self._up, self._budget = False, None
                    return  # the finally below ends both streams with a FIN
                if over:
                    self.cut()
                    return
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def s3_link(s3_server, settings):
    """The documents storage on the test S3 server, through a link the test can cut. Returns
    the link and a function listing the bucket's objects (read directly, not through the link).

    One attempt per request (production's botocore retries only make the refusal slower)."""
    from clemency.security.s3 import transfer_config

    port = int(s3_server.endpoint_url.rsplit(":", 1)[1])
    link = CuttableLink(port)
    bucket = s3_server.new_bucket()
    settings.STORAGES = settings.STORAGES | {
        "documents": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "endpoint_url": f"http://127.0.0.1:{link.port}",
                "bucket_name": bucket,
                "access_key": s3_server.access_key,
                "secret_key": s3_server.secret_key,
                "region_name": REGION,
                "default_acl": None,
                "file_overwrite": False,
                "transfer_config": transfer_config(),
                "client_config": Config(
                    s3={"addressing_style": "path"},
                    retries={"max_attempts": 1, "mode": "standard"},
                    connect_timeout=5,
                    read_timeout=10,
                ),
            },
        }
    }
    s3 = s3_server.client()

    def objects() -> list[str]:
        return [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]

    yield link, objects
    link.close()


def test_s3_stopped_while_an_applicant_uploads(s3_link):
    link, objects = s3_link
    client = reader("ht")
    intake_views.started(client)
    url = intake_views.step_url("documents")
    link.cut_after(20_000)  # in the middle of the object's upload

    response = client.post(url, {"file": SimpleUploadedFile("a.pdf", PDF), "action": "upload"})

    in_language(response, "ht", STORAGE_DOWN)
    assert DraftDocument.objects.count() == 0
    link.restore()
    assert objects() == []  # nothing half-written left behind
    again = client.post(
        url, {"file": SimpleUploadedFile("a.pdf", PDF), "action": "upload"}, follow=True
    )
    assert again.status_code == 200
    (document,) = DraftDocument.objects.all()
    assert objects() == [document.object_name]


def test_s3_stopped_while_staff_upload(s3_link, staff):
    link, objects = s3_link
    case = make_case(State.REVIEW)
    client = reader("ar")
    client.force_login(staff)
    url = reverse("cases:document-upload", kwargs={"case_id": case.pk})
    link.cut_after(20_000)

    response = client.post(url, {"kind": "rap_sheet", "file": SimpleUploadedFile("a.pdf", PDF)})

    in_language(response, "ar", STORAGE_DOWN)
    assert '<html lang="ar" dir="rtl">' in response.text
    assert not Document.objects.filter(case=case).exists()
    assert not AuditEvent.objects.filter(action="document.uploaded").exists()
    link.restore()
    assert objects() == []
    client.post(url, {"kind": "rap_sheet", "file": SimpleUploadedFile("a.pdf", PDF)})
    (document,) = Document.objects.filter(case=case)
    assert objects() == [document.object_name]
    assert AuditEvent.objects.filter(action="document.uploaded").count() == 1


def stored_document(case) -> Document:
    from cases.services import document_store

    return document_store(case=case, actor=None, kind="rap_sheet", content=PDF)


def test_s3_stopped_when_a_download_starts(s3_link, staff):
    link, _objects = s3_link
    case = make_case(State.REVIEW)
    document = stored_document(case)
    client = reader("bn")
    client.force_login(staff)
    url = reverse(
        "cases:document-download", kwargs={"case_id": case.pk, "document_id": document.pk}
    )
    link.cut()

    response = client.get(url)

    # An error page, not a "successful" empty or cut-off download.
    in_language(response, "bn", STORAGE_DOWN)
    assert "Content-Disposition" not in response.headers
    assert not AuditEvent.objects.filter(action="document.downloaded").exists()
    link.restore()
    again = client.get(url)
    assert again.status_code == 200
    assert b"".join(again.streaming_content) == PDF
    assert AuditEvent.objects.filter(action="document.downloaded").count() == 1


def test_s3_stopped_in_the_middle_of_a_download_cuts_it_off(s3_link, staff):
    from clemency.security.storage import StorageUnavailable

    link, _objects = s3_link
    case = make_case(State.REVIEW)
    document = stored_document(case)
    client = Client()
    client.force_login(staff)
    url = reverse(
        "cases:document-download", kwargs={"case_id": case.pk, "document_id": document.pk}
    )
    link.end_after(200_000)  # after the first segments have come, long before the last

    response = client.get(url)

    # The length is announced: a browser shows a download cut short as failed, never as done.
    assert response.status_code == 200
    assert response["Content-Length"] == str(len(PDF))
    received = bytearray()

    def read_all() -> None:
        for chunk in response.streaming_content:
            received.extend(chunk)

    with pytest.raises(StorageUnavailable):
        read_all()
    response.close()
    assert 0 < len(received) < len(PDF)
    link.restore()
    assert b"".join(client.get(url).streaming_content) == PDF


# --- The worker killed while opening a submission -----------------------------------------------

WORKER = """
import os, signal, sys
import django

django.setup()
if sys.argv[1] == "crash":
    import cases.opening

    # Everything of the case is written, the draft marked opened; the commit has not come.
    def crash(case):
        os.kill(os.getpid(), signal.SIGKILL)

    cases.opening.publish_status = crash
from django.core.management import call_command

call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0.1")
"""


def run_worker(mode: str, key_directory: Path) -> subprocess.CompletedProcess:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "clemency.settings",
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "KEY_SOURCE": "directory",
        "KEY_DIR": str(key_directory),
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
    }
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(WORKER), mode],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_worker_killed_while_opening_a_submission(settings, key_directory):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    draft, dek, _code = intake_services.draft_start(language="es")
    answers = {
        "applicant": {
            "legal_name": VALID["applicant"]["legal_name"],
            "surname": "Garcia",
            "date_of_birth": "1990-05-17",
        },
        "immigration": {"status": "permanent_resident", "a_number": "A123456789"},
        "convictions": {"list": [{"county": "Queens", "charge": "Possession"}]},
    }
    for step, data in answers.items():
        intake_services.draft_save_step(draft=draft, dek=dek, step=step, data=data)
    upload = encrypted_upload(PDF, name="a.pdf", key=dek, case_id=draft.pk)
    intake_services.draft_add_document(draft=draft, dek=dek, upload=upload)
    intake_services.draft_submit(draft=draft, dek=dek)
    assert DBTaskResult.objects.count() == 1

    crashed = run_worker("crash", key_directory)

    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-3000:]
    draft.refresh_from_db()
    assert draft.submitted_at is not None
    assert draft.opened_at is None
    assert draft.sealed_key is not None  # still sealed, answers and all
    assert draft.answers is not None
    assert DraftDocument.objects.filter(draft=draft).count() == 1
    assert not Case.objects.exists()
    for part in (Applicant, Conviction, Document, BlindIndex):
        assert not part.objects.exists(), part
    assert AuditEvent.objects.count() == 0

    # The killed run is left "running" (django_tasks_db never retries it). While it could still
    # be at work, the sweep leaves it; ten minutes on, it queues the opening again, once.
    assert enqueue_waiting_submissions() == 0
    eleven_minutes = timedelta(minutes=11)
    Draft.objects.filter(pk=draft.pk).update(submitted_at=F("submitted_at") - eleven_minutes)
    assert enqueue_waiting_submissions() == 0  # its task started less than ten minutes ago
    DBTaskResult.objects.update(started_at=F("started_at") - eleven_minutes)
    assert enqueue_waiting_submissions() == 1
    assert enqueue_waiting_submissions() == 0  # queued, and not twice
    finished = run_worker("run", key_directory)
    assert finished.returncode == 0, finished.stderr[-3000:]
    case = Case.objects.get()
    assert case.pk == draft.pk
    assert Conviction.objects.filter(case=case).count() == 1
    assert Document.objects.filter(case=case).count() == 1
    assert not DraftDocument.objects.exists()
    draft.refresh_from_db()
    assert draft.opened_at is not None
    assert draft.sealed_key is None
    # And once more: nothing new.
    assert case_open_submission(draft_id=draft.pk) is None
    assert Case.objects.count() == 1
    assert AuditEvent.objects.filter(action="case.opened").count() == 1
    assert enqueue_waiting_submissions() == 0


def test_a_sent_application_whose_task_was_lost_is_opened_by_the_sweep(settings):
    """The send committed but its task never reached the queue (the connection dropped between
    the commit and the enqueue): the scheduler's sweep queues it after ten minutes."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    draft, dek, _code = intake_services.draft_start(language="en")
    intake_services.draft_save_step(
        draft=draft, dek=dek, step="applicant", data={"legal_name": "A", "surname": "B"}
    )
    intake_services.draft_submit(draft=draft, dek=dek)
    DBTaskResult.objects.all().delete()  # lost
    Draft.objects.filter(pk=draft.pk).update(submitted_at=F("submitted_at") - timedelta(minutes=11))
    out = io.StringIO()
    call_command("open_waiting_submissions", stdout=out)
    assert out.getvalue() == (
        "Queued 1 sent applications to be opened again, 0 replies to be attached again.\n"
    )
    (task,) = DBTaskResult.objects.all()
    assert task.args_kwargs == {"args": [], "kwargs": {"draft_id": str(draft.pk)}}
    assert task.task_path == open_submission.module_path


def test_the_sweep_leaves_an_opening_that_failed(settings):
    """An opening that ran and failed (a missing key, damaged data) would fail again: the sweep
    does not queue it every five minutes; its failure was reported when it happened."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    draft, dek, _code = intake_services.draft_start(language="en")
    intake_services.draft_save_step(
        draft=draft, dek=dek, step="applicant", data={"legal_name": "A", "surname": "B"}
    )
    intake_services.draft_submit(draft=draft, dek=dek)
    DBTaskResult.objects.update(status="FAILED")
    Draft.objects.filter(pk=draft.pk).update(submitted_at=F("submitted_at") - timedelta(minutes=11))
    assert enqueue_waiting_submissions() == 0
    assert DBTaskResult.objects.count() == 1
