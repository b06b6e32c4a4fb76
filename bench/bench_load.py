"""Load behind the production proxy: applicants and staff at once.

gunicorn as docker-compose runs it (3 sync workers) on this PostgreSQL, behind Caddy with
deploy/Caddyfile, and the task worker opening submissions into cases. 50 concurrent clients, each
from its own loopback address (so per-person limits count as they would on the internet), send
2,000 requests: half the clients fill and send applications, the other half are staff and
attorneys reading the pipeline, case pages and their own cases. Afterwards every sent application
must be sealed in the database and opened into a case by the worker.
"""

import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client

from bench.bench_intake import STEP_DATA
from bench.timing import sign_in

TITLE = "Load behind the proxy"
DESCRIPTION = """
gunicorn (3 sync workers, as in docker-compose.yml) on 127.0.0.1 and this PostgreSQL, behind
Caddy with `deploy/Caddyfile`, with the task worker running. 50 concurrent clients, each from
its own loopback address, send 2,000 requests in all: 25 applicants start, fill and send
applications (every step a real form post with its CSRF token), 25 staff members and attorneys
(signed in with their second factor) read the pipeline, case pages and "my cases". Errors are
answers other than 200 and 302 and failed connections. Afterwards: sent applications in the
database and opened into cases by the worker (lost = confirmed to the applicant but not there).
Two cores run everything (proxy, app, worker, PostgreSQL and the 50 clients), and every new
application and every send costs an Argon2 hash by design, so times are mostly queueing.
"""
CLIENTS = 50
REQUESTS = 2000
TIME_LIMIT = 900
STEPS = STEP_DATA  # the same answers as the intake benchmark
CADDYFILE = Path(__file__).resolve().parent.parent / "deploy" / "Caddyfile"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CASE_LINK = re.compile(r'href="(/cases/[0-9a-f-]{36}/)"')


class _Budget:
    """The requests left to send, shared by every client."""

    def __init__(self, total: int, seconds: int) -> None:
        self.left, self.stop_at, self.lock = total, time.monotonic() + seconds, threading.Lock()

    def take(self) -> bool:
        with self.lock:
            if self.left <= 0 or time.monotonic() > self.stop_at:
                return False
            self.left -= 1
            return True


class _Browser:
    def __init__(self, port: int, address: str, budget: _Budget, log: list, cookies=None):
        self.port, self.address, self.budget, self.log = port, address, budget, log
        self.cookies = dict(cookies or {})

    def request(self, kind: str, method: str, path: str, form: dict | None = None) -> str | None:
        """The page's text (for a redirect: the address it sends to); None on an error or when
        the budget is spent."""
        if not self.budget.take():
            return None
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        began = time.perf_counter()
        status, text, location = 0, "", ""
        try:
            conn = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=120, source_address=(self.address, 0)
            )
            conn.request(method, path, body, headers)
            response = conn.getresponse()
            status, text = response.status, response.read().decode()
            location = response.getheader("Location", "")
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _, val = value.partition(";")[0].partition("=")
                    self.cookies[key] = val
            conn.close()
        except OSError:
            status = 0
        self.log.append((kind, (time.perf_counter() - began) * 1000, status))
        if status == 302:
            return location
        return text if status == 200 else None


def _applicant(browser: _Browser, sent: list) -> None:
    """Start, fill every step (each page fetched, as a browser follows the redirect), send."""
    while True:
        page = browser.request("intake: form page", "GET", "/intake/start/")
        if page is None:
            return
        page = browser.request("intake: new application", "POST", "/intake/start/", _form(page, {}))
        for identifier, data in STEPS.items():
            if page is None:
                return
            following = browser.request(
                "intake: save a step",
                "POST",
                f"/intake/{identifier}/",
                _form(page, data | {"action": "next"}),
            )
            if following is None:
                return
            page = browser.request("intake: form page", "GET", following)
        if page is None:
            return
        done = browser.request("intake: send", "POST", "/intake/review/", _form(page, {}))
        if done is not None and "PP-" in done:  # the confirmation with the reference
            sent.append(1)


def _form(page: str, data: dict) -> dict:
    match = TOKEN.search(page)
    return data | {"csrfmiddlewaretoken": match.group(1) if match else ""}


def _staff(browser: _Browser, attorney: bool) -> None:
    home = "/cases/mine/" if attorney else "/cases/"
    kind = "staff: my cases" if attorney else "staff: pipeline"
    while True:
        page = browser.request(kind, "GET", home)
        if page is None:
            return
        for link in CASE_LINK.findall(page)[:2]:
            if browser.request("staff: case page", "GET", link) is None:
                return


def _signed_in_cookie(user) -> str:
    """A session that has passed the second factor, as after a real sign-in."""
    return sign_in(Client(), user)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port: int, seconds: int = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answers on port {port}")


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def _people():
    """Staff, a coordinator and attorneys with cases to read (opened from real submissions)."""
    from cases.models import Case
    from cases.workflow import case_assign
    from clemency.accounts.models import User
    from clemency.accounts.roles import Role
    from intake.tasks import open_submission

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    staff = []
    for number in range(13):
        user = User.objects.create_user(f"load-staff{number}@example.org", "load password 1")
        user.groups.add(Group.objects.get(name=Role.INTAKE_STAFF.value))
        staff.append(user)
    coordinator = User.objects.create_user("load-coordinator@example.org", "load password 1")
    coordinator.groups.add(Group.objects.get(name=Role.COORDINATOR.value))
    attorneys = []
    for number in range(12):
        user = User.objects.create_user(f"load-attorney{number}@example.org", "load password 1")
        user.groups.add(Group.objects.get(name=Role.VOLUNTEER_ATTORNEY.value))
        attorneys.append(user)
    for _ in range(24):
        sender = Client(HTTP_HOST="127.0.0.1")
        sender.post("/intake/start/")
        for identifier, data in STEPS.items():
            sender.post(f"/intake/{identifier}/", data | {"action": "next"})
        sender.post("/intake/review/")
    from intake.models import Draft

    for draft in Draft.objects.filter(submitted_at__isnull=False):
        open_submission.call(draft_id=str(draft.pk))
    Case.objects.update(state="accepted")
    for number, case in enumerate(Case.objects.order_by("created_at")):
        case_assign(
            case=case,
            actor=coordinator,
            expected_state="accepted",
            attorney=attorneys[number % len(attorneys)],
        )
    return staff, attorneys


def run() -> list[dict]:
    if connection.vendor != "postgresql":
        raise RuntimeError("The load test needs PostgreSQL (DATABASE_URL).")
    caddy = shutil.which("caddy")
    if caddy is None:
        raise RuntimeError("The load test needs caddy (apt-get install caddy).")
    from intake.models import Draft

    settings.INTAKE_START_LIMIT = 1_000_000
    staff, attorneys = _people()
    cookie = settings.SESSION_COOKIE_NAME
    sessions = [(user, False) for user in staff] + [(user, True) for user in attorneys]
    sessions = [({cookie: _signed_in_cookie(user)}, is_attorney) for user, is_attorney in sessions]
    sent_before = Draft.objects.filter(reference__isnull=False).count()
    # Counted on the applications, which other benchmarks leave alone (they may empty cases).
    opened_before = Draft.objects.filter(opened_at__isnull=False).count()

    app_port, proxy_port, staff_port = _free_port(), _free_port(), _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "clemency.settings",
        "DATABASE_URL": _database_url(),
        "KEY_SOURCE": "directory",
        "KEY_DIR": str(settings.KEY_DIR),
        "ALLOWED_HOSTS": "127.0.0.1",
        "TRUSTED_PROXIES": "127.0.0.1",
        "INTAKE_START_LIMIT": "30",
    }
    scratch = tempfile.TemporaryDirectory()
    processes = [
        subprocess.Popen(  # noqa: S603 - our own command lines
            [
                sys.executable,
                "-m",
                "gunicorn",
                "clemency.wsgi:application",
                f"--bind=127.0.0.1:{app_port}",
                "--workers=3",
                "--timeout=60",
                "--forwarded-allow-ips=127.0.0.1",
                "--log-level=warning",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            start_new_session=True,
        ),
        subprocess.Popen(
            [sys.executable, "manage.py", "db_worker"],
            cwd=settings.BASE_DIR,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(  # noqa: S603
            [caddy, "run", "--adapter", "caddyfile", "--config", str(CADDYFILE)],
            cwd=scratch.name,
            env={
                "PATH": os.environ["PATH"],
                "HOME": scratch.name,
                "XDG_DATA_HOME": scratch.name,
                "XDG_CONFIG_HOME": scratch.name,
                "INTAKE_ADDRESS": f"http://127.0.0.1:{proxy_port}",
                "INTAKE_UPSTREAM": f"127.0.0.1:{app_port}",
                "STAFF_ADDRESS": f"http://127.0.0.1:{staff_port}",
                "STAFF_UPSTREAM": f"127.0.0.1:{app_port}",
            },
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    log: list = []
    sent: list = []
    try:
        _wait_for(app_port)
        _wait_for(proxy_port)
        _wait_for(staff_port)
        budget = _Budget(REQUESTS, TIME_LIMIT)

        def client(number: int) -> None:
            address = f"127.0.8.{number + 1}"
            if number < CLIENTS // 2:
                _applicant(_Browser(proxy_port, address, budget, log), sent)
            else:
                cookies, is_attorney = sessions[(number - CLIENTS // 2) % len(sessions)]
                _staff(_Browser(staff_port, address, budget, log, cookies), is_attorney)

        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            list(pool.map(client, range(CLIENTS)))
        elapsed = time.perf_counter() - began
        # The worker opens what was sent; give it time to finish.
        waiting = Draft.objects.filter(submitted_at__isnull=False, opened_at__isnull=True)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if not waiting.exists():
                break
            time.sleep(1)
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        scratch.cleanup()
    # Sent applications have a reference; the worker opens each into a case of the same id
    # and marks the application opened.
    arrived = Draft.objects.filter(reference__isnull=False).count() - sent_before
    opened = Draft.objects.filter(opened_at__isnull=False).count() - opened_before
    rows = []
    for kind in sorted({kind for kind, _ms, _status in log}):
        samples = sorted(ms for k, ms, _s in log if k == kind)
        errors = sum(1 for k, _ms, s in log if k == kind and s not in (200, 302))
        rows.append(
            {
                "requests": kind,
                "count": len(samples),
                "p50 ms": f"{statistics.median(samples):.1f}",
                "p95 ms": f"{samples[max(0, int(len(samples) * 0.95) - 1)]:.1f}",
                "errors": errors,
            }
        )
    errors = sum(1 for _k, _ms, s in log if s not in (200, 302))
    rows.append(
        {
            "requests": f"all, {CLIENTS} concurrent clients",
            "count": len(log),
            "p50 ms": f"{elapsed:.1f} s in all",
            "p95 ms": f"{len(log) / elapsed:.1f} requests/s",
            "errors": f"{errors}; sent {len(sent)}, arrived {arrived}, "
            f"opened into cases {opened}, lost {len(sent) - min(arrived, opened)}",
        }
    )
    return rows
