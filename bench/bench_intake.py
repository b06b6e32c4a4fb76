"""The public intake: server time and queries per step and for sending, and a load test.

The load test runs gunicorn on 127.0.0.1 against the benchmark's own database and sends complete
applications from concurrent clients (bounded in count and time), then checks that every one
arrived sealed.
"""

import http.cookiejar
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.timing import measure

TITLE = "Public intake"
DESCRIPTION = """
**Steps**: Django test client, median of 30 saves of each step (full middleware, session, key
unwrapping, encryption of the whole answer set) and of 10 sends (sealing with HPKE, the status
code's Argon2 hash). Starting an application includes the Argon2id wrapping of the draft key
under the resume code (64 MiB, 3 passes), by design the slowest step. **Load**: gunicorn (3
workers) on 127.0.0.1 and this PostgreSQL; each client starts an application, fills every step
and sends it; errors are any non-2xx/3xx answer; "arrived" counts sealed submissions in the
database afterwards.
"""
APPLICATIONS = 200
CLIENTS = 20
TIME_LIMIT = 600  # seconds: the load test stops by itself

STEP_DATA = {
    "filer": {"who": "applicant"},
    "applicant": {
        "legal_name": "Benchmark Applicant",
        "surname": "Applicant",
        "date_of_birth": "1985-03-14",
        "country_of_birth": "Demo",
        "language": "en",
    },
    "contact": {"where_now": "home", "method": "mail", "address": "1 Demo Street"},
    "immigration": {"status": "permanent_resident", "a_number": "A123456789"},
    "convictions": {
        "conviction-county": "Queens",
        "conviction-charge": "Demo charge",
        "outside_ny": "no",
    },
    "story": {"text": "Benchmark data. " * 200},
    "documents": {},
    "consent": {"understood": "on", "agrees": "on"},
}


def _step_rows() -> list[dict]:
    rows = []
    client = Client(HTTP_HOST="127.0.0.1")
    start = measure(lambda: client.post("/intake/start/"), repeat=10, warmup=1)
    rows.append({"request": "start (new draft, resume code)"} | start)
    for identifier, data in STEP_DATA.items():
        payload = data | {"action": "next"}
        url = f"/intake/{identifier}/"
        result = measure(lambda u=url, p=payload: client.post(u, p), repeat=30, warmup=2)
        rows.append({"request": f"save step {identifier}"} | result)
    rows.append(
        {"request": "review page"}
        | measure(lambda: client.get("/intake/review/"), repeat=30, warmup=2)
    )
    samples = []
    queries = 0
    for _ in range(10):
        sender = Client(HTTP_HOST="127.0.0.1")
        sender.post("/intake/start/")
        for identifier, data in STEP_DATA.items():
            sender.post(f"/intake/{identifier}/", data | {"action": "next"})
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            response = sender.post("/intake/review/")
            samples.append((time.perf_counter() - began) * 1000)
        assert b"PP-" in response.content
        queries = len(captured)
    rows.append(
        {
            "request": "send (seal, status code)",
            "median ms": f"{statistics.median(samples):.2f}",
            "p95 ms": f"{sorted(samples)[-1]:.2f}",
            "queries": queries,
        }
    )
    return rows


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Applicant:
    """One browser: cookies, CSRF token, and the steps of an application."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def _token(self, html: str) -> str:
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)

    def _post(self, path: str, token: str, data: dict) -> str:
        body = urllib.parse.urlencode(data | {"csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
            self.base + path, data=body, headers={"Referer": self.base + path}
        )
        with self.opener.open(request, timeout=60) as response:
            return response.read().decode()

    def apply(self) -> bool:
        with self.opener.open(self.base + "/intake/start/", timeout=60) as response:
            html = response.read().decode()
        html = self._post("/intake/start/", self._token(html), {})
        for identifier, data in STEP_DATA.items():
            html = self._post(
                f"/intake/{identifier}/", self._token(html), data | {"action": "next"}
            )
        html = self._post("/intake/review/", self._token(html), {})
        return "PP-" in html


def _load_rows() -> list[dict]:
    from intake.models import Draft

    before = Draft.objects.filter(submitted_at__isnull=False).count()
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "clemency.settings",
        "DATABASE_URL": _database_url(),
        "KEY_SOURCE": "directory",
        "KEY_DIR": str(settings.KEY_DIR),
        "INTAKE_START_LIMIT": "100000",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    server = subprocess.Popen(  # noqa: S603 - our own command line
        [
            sys.executable,
            "-m",
            "gunicorn",
            "clemency.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            "--workers=3",
            "--log-level=warning",
        ],
        cwd=Path(settings.BASE_DIR),
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).close()  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        errors = 0
        stop_at = time.monotonic() + TIME_LIMIT

        def one(_index: int) -> bool:
            if time.monotonic() > stop_at:
                return False
            try:
                return _Applicant(base).apply()
            except Exception:
                return False

        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            results = list(pool.map(one, range(APPLICATIONS)))
        elapsed = time.perf_counter() - began
        errors = results.count(False)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    arrived = Draft.objects.filter(submitted_at__isnull=False).count() - before
    sealed = Draft.objects.filter(submitted_at__isnull=False, sealed_key__isnull=False).count()
    return [
        {
            "request": f"{APPLICATIONS} applications, {CLIENTS} concurrent clients",
            "median ms": f"{elapsed:.1f} s in all",
            "p95 ms": f"{APPLICATIONS / elapsed:.1f} applications/s",
            "queries": f"errors {errors}, arrived {arrived}, sealed {sealed - before}",
        }
    ]


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        raise RuntimeError("The intake load test needs PostgreSQL (DATABASE_URL).")
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def run() -> list[dict]:
    settings.INTAKE_START_LIMIT = 1_000_000  # the benchmark starts many applications
    rows = _step_rows()
    if connection.vendor == "postgresql":
        # The test client's transactions are committed: gunicorn sees this database as is.
        rows += _load_rows()
    return rows
