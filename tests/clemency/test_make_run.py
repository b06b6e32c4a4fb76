"""`make run` as a newcomer runs it: the web server and the background worker in one command; a
sent application becomes a case without anyone starting anything; Ctrl-C stops both."""

import http.cookiejar
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.clemency.subprocess_env import ROOT, clean_environ
from tests.intake.answers import VALID

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Browser:
    """Just enough of a browser: cookies, and each form's CSRF token sent back."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.page = ""

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            self.page = response.read().decode()
        return self.page

    def post(self, path: str, data: dict) -> str:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.page).group(1)
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}, doseq=True)
        request = urllib.request.Request(  # noqa: S310 (http to the local server)
            self.base + path, data=body.encode(), headers={"Referer": self.base + path}
        )
        with self.opener.open(request, timeout=30) as response:
            self.page = response.read().decode()
        return self.page


def _processes_of(var: Path) -> list[int]:
    """Processes started with this VAR_DIR (the server, its reloader and the worker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                environ = (entry / "environ").read_bytes()
            except OSError:
                continue
            if f"VAR_DIR={var}".encode() in environ.split(b"\0"):
                found.append(int(entry.name))
    return found


def _wait_for(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.5)
    raise AssertionError(f"{what} did not happen within {seconds} s")


def test_make_run_serves_and_its_worker_opens_a_sent_application(tmp_path):
    var, port = tmp_path / "var", _free_port()
    env = clean_environ() | {"DEMO_PASSWORD": "demo-password-for-this-test"}
    make = subprocess.Popen(
        ["make", "run", f"VAR={var}", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=(tmp_path / "make.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # a process group, as a terminal gives it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        base = f"http://127.0.0.1:{port}"

        def serving():
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as response:  # noqa: S310
                    return response.status == 200
            except OSError:
                return False

        _wait_for(serving, 180, "make run serving")
        log = (tmp_path / "make.log").read_text()
        assert "with the background worker beside it. Ctrl-C stops both." in log

        browser = Browser(base)
        browser.get("/intake/start/")
        browser.post("/intake/start/", {})
        for step, answers in VALID.items():
            browser.get(f"/intake/{step}/")
            browser.post(f"/intake/{step}/", {**answers, "action": "next"})
        browser.get("/intake/review/")
        sent = browser.post("/intake/review/", {})
        reference = re.search(r"PP-[0-9A-Z]{4}-[0-9A-Z]{4}", sent).group(0)

        def opened():
            with sqlite3.connect(var / "db.sqlite3") as db:
                return db.execute(
                    "SELECT state, urgency FROM cases_case WHERE reference = ?", [reference]
                ).fetchone()

        # Nobody starts anything: the worker `make run` started opens it.
        assert _wait_for(opened, 60, "the worker opening the application") == ("intake", "P0")
        assert len(_processes_of(var)) >= 3  # server, its reloader, the worker
    finally:
        os.killpg(make.pid, signal.SIGINT)  # Ctrl-C
        make.wait(timeout=60)
    _wait_for(lambda: not _processes_of(var), 30, "every process stopping after Ctrl-C")
