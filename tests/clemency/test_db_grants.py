"""Least privilege on PostgreSQL: the roles docker-compose creates, made here the same way
(manage.py db_grants), and each refusal proved by connecting as them."""

import io
import json
import secrets
import shutil

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection
from psycopg import errors

from clemency.security.keys import init_directory
from tests.clemency.subprocess_env import clean_environ, run, run_python

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def roles(migrated_rows):
    if connection.vendor != "postgresql":
        pytest.skip("database roles are a PostgreSQL feature")
    suffix = secrets.token_hex(4)
    app, intake = f"test_app_{suffix}", f"test_intake_{suffix}"
    with connection.cursor() as cursor:
        for role in (app, intake):
            cursor.execute(f"CREATE ROLE {role} LOGIN")
    call_command("db_grants", app=app, intake=intake, stdout=io.StringIO())
    yield app, intake
    with connection.cursor() as cursor:
        for role in (app, intake):
            cursor.execute(f"DROP OWNED BY {role}")
            cursor.execute(f"DROP ROLE {role}")


def connect(role: str) -> psycopg.Connection:
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        dbname=settings["NAME"],
        user=role,
        password=settings["PASSWORD"] or None,
        autocommit=True,
    )


def refused(conn: psycopg.Connection, sql: str) -> bool:
    try:
        conn.execute(sql)
    except (errors.InsufficientPrivilege, errors.RaiseException):
        return True
    return False


APPEND = """
    INSERT INTO audit_auditevent (id, sequence, at, action, data, previous_hash, hash)
    VALUES (gen_random_uuid(), 999999, now(), 'test.appended', '{}', repeat('0', 64), %s)
"""


def test_the_app_role_appends_to_the_audit_log_and_cannot_rewrite_it(roles):
    app, _intake = roles
    with connect(app) as conn:
        conn.execute(APPEND, [secrets.token_hex(32)])
        assert conn.execute("SELECT count(*) FROM audit_auditevent").fetchone()[0] >= 1
        for sql in (
            "UPDATE audit_auditevent SET action = 'forged'",
            "DELETE FROM audit_auditevent",
            "TRUNCATE audit_auditevent",
            "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",
            "DROP TABLE audit_auditevent",
            "DELETE FROM audit_audithead",
            "TRUNCATE audit_audithead",
            "SET session_replication_role = replica",
        ):
            assert refused(conn, sql), sql
        # Everything else it serves, it may read and write.
        conn.execute("UPDATE cases_case SET urgency = urgency WHERE false")
        conn.execute("DELETE FROM django_session WHERE false")


def test_the_intake_role_touches_only_the_intake(roles):
    _app, intake = roles
    with connect(intake) as conn:
        for table in (
            "cases_case",
            "cases_applicant",
            "accounts_user",
            "audit_auditevent",
            "otp_totp_totpdevice",
            "cases_blindindex",
        ):
            assert refused(conn, f"SELECT 1 FROM {table} LIMIT 1"), table  # noqa: S608
        assert refused(conn, "UPDATE cases_case SET urgency = urgency WHERE false")
        assert refused(conn, APPEND % "'x'")
        conn.execute("SELECT 1 FROM intake_draft LIMIT 1")
        conn.execute("DELETE FROM clemency_counter WHERE false")


INTAKE_JOURNEY = """
import json, django
django.setup()
from django.test import Client
from tests.intake.answers import VALID
from intake.steps import STEPS
client = Client(HTTP_HOST="localhost")
started = client.post("/intake/start/").status_code
steps = {
    step.identifier: client.post(
        f"/intake/{step.identifier}/", VALID[step.identifier] | {"action": "next"}
    ).status_code
    for step in STEPS
}
sent = client.post("/intake/review/")
status = client.post("/status/", {"reference": "PP-0000-0000", "status_code": "AAAA-AAAA"})
# The staff side's projection, as if the case were opened and waited for a certificate (the
# intake role may write the submission's row; the worker is not part of this process).
import re
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from intake.models import Draft, Reply
from tests.documents import pdf
reference = re.search(r"PP-[0-9A-Z]{4}-[0-9A-Z]{4}", sent.text).group(0)
code = re.search(r'<dd class="code"[^>]*>([0-9A-Z]{4}-[0-9A-Z]{4})</dd>', sent.text).group(1)
Draft.objects.filter(reference=reference).update(
    opened_at=timezone.now(), stage="reviewing", requested=["disposition"]
)
opened = client.post("/status/", {"reference": reference, "status_code": code}, follow=True)
FIELDS = r'name="(application|once)" value="([^"]*)"'  # the page's hidden fields, as a browser
page = dict(re.findall(FIELDS, opened.content.decode()))
reply = client.post(
    "/status/reply/",
    page | {"message": "Here it is.", "files": [SimpleUploadedFile("c.pdf", pdf("Certificate"))]},
)
page = dict(re.findall(FIELDS, client.get("/status/").content.decode()))
news = client.post("/status/news/", page | {"email": "news@example.org"})
print(json.dumps({"start": started, "steps": sorted(set(steps.values())),
                  "sent": sent.status_code, "reference": "PP-" in sent.text,
                  "status": status.status_code, "opened": opened.status_code,
                  "reply": reply.status_code, "news": news.status_code,
                  "replies": Reply.objects.count()}))
"""


def test_the_public_intake_works_as_its_role(roles, tmp_path):
    """The real intake, as the intake role, with the intake public key only: it starts an
    application, saves every step, sends it (queueing the task that opens it), answers the
    status page and takes the applicant's reply and way to be reached; nothing needs more."""
    _app, intake = roles
    init_directory(tmp_path / "keys")
    public = tmp_path / "public"
    public.mkdir(mode=0o700)
    shutil.copy2(tmp_path / "keys" / "intake.pub", public / "intake.pub")
    settings = connection.settings_dict
    url = f"postgres://{intake}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
    env = clean_environ() | {
        "SITE_ROLE": "intake",
        "KEY_DIR": str(public),
        "DATABASE_URL": f"{url}/{settings['NAME']}",
        "VAR_DIR": str(tmp_path),
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    result = run_python(INTAKE_JOURNEY, env)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen == {
        "start": 200,
        "steps": [302],
        "sent": 200,
        "reference": True,
        "status": 400,
        "opened": 200,
        "reply": 302,
        "news": 302,
        "replies": 2,
    }


def test_the_scheduler_works_as_the_app_role(roles, tmp_path):
    """docker-compose's scheduler connects as the app role: rotating and retiring keys (which
    locks the case and draft tables), the sweep of unopened applications and every daily job
    need nothing more."""
    app, _intake = roles
    init_directory(tmp_path / "keys")
    settings = connection.settings_dict
    url = f"postgres://{app}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
    env = clean_environ() | {
        "SITE_ROLE": "staff",
        "KEY_DIR": str(tmp_path / "keys"),
        "KEY_RELOAD_SECONDS": "0",
        "DATABASE_URL": f"{url}/{settings['NAME']}",
        "VAR_DIR": str(tmp_path),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "INTAKE_PUBLIC_KEY_EXPORT": str(tmp_path / "public" / "intake.pub"),
    }
    for command in (
        ["keys", "schedule", "--now"],
        ["open_waiting_submissions"],
        ["daily"],
    ):
        result = run(["manage.py", *command], env)
        assert result.returncode == 0, (command, result.stderr)
    assert not (tmp_path / "keys" / "intake" / "0001.key").exists()
    assert (tmp_path / "public" / "intake.pub").read_text().startswith("2:")
