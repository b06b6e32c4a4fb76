import json

import pytest

from tests.clemency.subprocess_env import production_environ, run, run_python

SETUP = "import django; django.setup(); print('started')"


@pytest.mark.parametrize("name", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"])
def test_production_refuses_to_start_without(name, tmp_path):
    env = production_environ(tmp_path)
    del env[name]
    result = run_python(SETUP, env)
    assert result.returncode != 0
    assert f"{name} is required" in result.stderr
    assert "started" not in result.stdout


def test_production_reads_secrets_from_files(tmp_path):
    secret = tmp_path / "secret_key"
    secret.write_text("f" * 64 + "\n")
    env = production_environ(tmp_path, SECRET_KEY=None, SECRET_KEY_FILE=str(secret))
    result = run_python(
        SETUP + "; from django.conf import settings; print(settings.SECRET_KEY)", env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["started", "f" * 64]


def test_unknown_mode_is_refused(tmp_path):
    result = run_python(SETUP, production_environ(tmp_path, DJANGO_ENV="staging"))
    assert result.returncode != 0
    assert "DJANGO_ENV must be" in result.stderr


def test_check_deploy_is_clean_in_production(tmp_path):
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_environ(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


PROBE = """
import json, django
django.setup()
from django.core.management import call_command
call_command("collectstatic", interactive=False, verbosity=0)
call_command("migrate", interactive=False, verbosity=0)
from django.test import Client
from clemency.accounts.models import User
User.objects.create_user("staff@example.org", "a long enough password")
client = Client(HTTP_HOST="pardon.example.org")
plain = client.get("/")
secure = client.get("/", secure=True)
login = client.post(
    "/accounts/login/",
    {"username": "staff@example.org", "password": "a long enough password"},
    secure=True,
)
print(json.dumps({
    "login_status": login.status_code,
    "login_cookies": {name: dict(morsel) for name, morsel in login.cookies.items()},
    "plain_status": plain.status_code,
    "plain_location": plain.get("Location"),
    "status": secure.status_code,
    "headers": dict(secure.headers),
    "cookies": {name: dict(morsel) for name, morsel in secure.cookies.items()},
    "body": secure.text,
}))
"""


@pytest.fixture(scope="module")
def production_response(tmp_path_factory):
    result = run_python(PROBE, production_environ(tmp_path_factory.mktemp("prod")))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_production_redirects_plain_http_to_https(production_response):
    assert production_response["plain_status"] == 301
    assert production_response["plain_location"] == "https://pardon.example.org/"


def test_production_sends_hsts_and_security_headers(production_response):
    headers = production_response["headers"]
    assert production_response["status"] == 200
    assert headers["Strict-Transport-Security"] == ("max-age=31536000; includeSubDomains; preload")
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "default-src 'self'" in headers["Content-Security-Policy"]


def test_production_cookies_are_https_only(production_response):
    csrf = production_response["cookies"]["__Host-csrftoken"]
    assert csrf["secure"] is True
    assert csrf["path"] == "/"
    assert csrf["samesite"] == "Lax"


def test_production_staff_session_cookie(production_response):
    assert production_response["login_status"] == 302
    session = production_response["login_cookies"]["__Host-session"]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["path"] == "/"
    assert session["samesite"] == "Lax"
    assert "domain" not in session or not session["domain"]
    assert session["max-age"] == ""  # ends with the browser; idle limit kept server-side


def test_production_serves_hashed_static_files(production_response):
    assert "/static/css/site." in production_response["body"]
    assert '/static/css/site.css"' not in production_response["body"]


def test_security_headers_on_every_response(client, db):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    assert "camera=()" in response.headers["Permissions-Policy"]


def test_templates_have_no_inline_script_or_style(settings):
    import re

    templates = list((settings.BASE_DIR / "templates").rglob("*.html"))
    assert len(templates) > 10
    for template in templates:
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=", text), template


def test_staff_sessions_are_short(settings):
    assert settings.SESSION_COOKIE_AGE <= 60 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_health_probe_answers_without_a_known_host(client, db):
    response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200
    assert response.text == "ok\n"


def test_production_refuses_to_start_without_keys(tmp_path):
    env = production_environ(tmp_path, KEY_DIR=str(tmp_path / "no-keys"))
    result = run_python(SETUP, env)
    assert result.returncode != 0
    assert "Encryption keys" in result.stderr
    assert "keys init" in result.stderr


def test_public_intake_deployment_needs_only_the_public_key(tmp_path):
    keys = tmp_path / "keys"
    public_only = tmp_path / "public-only"
    env = production_environ(tmp_path)
    public_only.mkdir()
    (public_only / "intake.pub").write_text((keys / "intake.pub").read_text())
    intake = run_python(SETUP, env | {"SITE_ROLE": "intake", "KEY_DIR": str(public_only)})
    assert intake.returncode == 0, intake.stderr
    staff = run_python(SETUP, env | {"SITE_ROLE": "staff", "KEY_DIR": str(public_only)})
    assert staff.returncode != 0
    assert "no key-encryption key" in staff.stderr
    assert "no intake private key" in staff.stderr


@pytest.mark.parametrize(
    ("key_file", "named"),
    [
        ("kek/0001.key", "a key-encryption key"),
        ("index.key", "the blind-index key"),
        ("audit.key", "the audit key"),
        ("intake/0001.key", "the intake private key"),
    ],
)
def test_public_intake_refuses_to_start_holding_a_decrypting_key(tmp_path, key_file, named):
    import shutil

    keys = tmp_path / "keys"
    env = production_environ(tmp_path)
    public = tmp_path / "public-plus-one"
    public.mkdir(mode=0o700)
    shutil.copy2(keys / "intake.pub", public / "intake.pub")
    (public / key_file).parent.mkdir(mode=0o700, exist_ok=True)
    shutil.copy2(keys / key_file, public / key_file)
    for mode in ("production", "development"):
        result = run_python(
            SETUP, env | {"SITE_ROLE": "intake", "KEY_DIR": str(public), "DJANGO_ENV": mode}
        )
        assert result.returncode != 0, mode
        assert f"can read {named}" in result.stderr
