"""The public intake over real HTTP: behind the production proxy configuration (deploy/Caddyfile,
run by Debian's caddy), and under the threaded live server with requests racing.

Clients are told apart by their source address: Linux routes all of 127.0.0.0/8 to the loopback,
so a connection bound to 127.0.1.7 reaches Caddy from that address, as a person on the internet
would reach the production proxy from theirs.
"""

import http.client
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from django.urls import reverse

from intake.models import Draft
from tests.clemency.subprocess_env import ROOT

WRONG = "AAAA-BBBB-CCCC-DDDD"
CODE = re.compile(r'<p class="code"[^>]*>([0-9A-Z-]+)</p>')
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Person:
    """A browser at one address: cookies kept, forms posted with their CSRF token."""

    def __init__(self, base: str, address: str, *, forwarded_for: str = "") -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.address, self.forwarded_for = address, forwarded_for
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        connection = http.client.HTTPConnection(
            self.host, self.port, timeout=120, source_address=(self.address, 0)
        )
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if self.forwarded_for:
            headers["X-Forwarded-For"] = self.forwarded_for
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body, headers)
            response = connection.getresponse()
            text = response.read().decode()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    cookie, _, rest = value.partition(";")
                    key, _, val = cookie.partition("=")
                    if "max-age=0" in rest.lower():
                        self.cookies.pop(key, None)
                    else:
                        self.cookies[key] = val
            return response.status, text
        finally:
            connection.close()

    def submit(self, path: str, data: dict | None = None) -> tuple[int, str]:
        _status, page = self.request("GET", path)
        token = TOKEN.search(page).group(1)
        return self.request("POST", path, {**(data or {}), "csrfmiddlewaretoken": token})

    def start(self) -> str:
        status, page = self.submit(reverse("intake:start"))
        assert status == 200, page[:500]
        return CODE.search(page).group(1)

    def resume(self, code: str) -> int:
        return self.submit(reverse("intake:resume"), {"code": code})[0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def proxy(live_server, settings, tmp_path):
    """Caddy with the production configuration in front of the live server."""
    caddy = shutil.which("caddy")
    if caddy is None:
        message = "The proxy tests need Debian's caddy: apt-get install caddy"
        if os.environ.get("CI", "").lower() not in {"", "0", "false"}:
            pytest.fail(message)
        pytest.skip(message)
    settings.TRUSTED_PROXIES = ["127.0.0.1"]  # Caddy reaches the live server from here
    port, staff_port = _free_port(), _free_port()
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        # Both sites of the configuration, in front of the one live server.
        "INTAKE_ADDRESS": f"http://127.0.0.1:{port}",
        "INTAKE_UPSTREAM": urlsplit(live_server.url).netloc,
        "STAFF_ADDRESS": f"http://127.0.0.1:{staff_port}",
        "STAFF_UPSTREAM": urlsplit(live_server.url).netloc,
    }
    process = subprocess.Popen(
        [caddy, "run", "--config", str(ROOT / "deploy" / "Caddyfile"), "--adapter", "caddyfile"],
        env=environment,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "caddy.log").open("w"),
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail(Path(tmp_path / "caddy.log").read_text())
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_ten_wrong_codes_from_ten_people_leave_the_eleventh_alone(proxy):
    owner = Person(proxy, "127.0.1.11")
    code = owner.start()
    for number in range(1, 11):
        assert Person(proxy, f"127.0.1.{number}").resume(WRONG) == 400
    assert Person(proxy, "127.0.1.12").resume(WRONG) == 400  # judged, not "too many tries"
    assert owner.resume(code) == 302


def test_thirty_one_applications_from_thirty_one_people(proxy):
    for number in range(1, 32):
        Person(proxy, f"127.0.2.{number}").start()
    assert Draft.objects.count() == 31


def test_a_client_cannot_choose_its_address_through_the_proxy(proxy, settings):
    settings.INTAKE_GUESS_LIMIT = 3
    answers = [
        Person(proxy, "127.0.3.1", forwarded_for=f"10.9.9.{n}").resume(WRONG) for n in range(4)
    ]
    assert answers == [400, 400, 400, 429]
    assert Person(proxy, "127.0.3.2").resume(WRONG) == 400


def test_parallel_starts_and_resumes_under_a_threaded_server(live_server):
    """Eight people start and resume at once (Argon2 in eight threads): every one gets the right
    answer, and nothing hangs."""

    def journey(number: int) -> tuple[int, int, int]:
        person = Person(live_server.url, f"127.0.4.{number}")
        code = person.start()
        stranger = Person(live_server.url, f"127.0.5.{number}")
        return person.resume(code), stranger.resume(WRONG), stranger.resume(code)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(journey, range(1, 9), timeout=300))
    assert results == [(302, 400, 302)] * 8
    assert Draft.objects.count() == 8


def test_parallel_guesses_are_counted_exactly_over_http(live_server, settings):
    settings.INTAKE_GUESS_LIMIT = 5
    barrier = threading.Barrier(8)

    def guess(_):
        person = Person(live_server.url, "127.0.6.1")
        path = reverse("intake:resume")
        _status, page = person.request("GET", path)
        token = TOKEN.search(page).group(1)
        barrier.wait()
        return person.request("POST", path, {"code": WRONG, "csrfmiddlewaretoken": token})[0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = sorted(pool.map(guess, range(8), timeout=300))
    assert answers == [400] * 5 + [429] * 3


def test_a_reply_with_several_files_passes_the_proxy_and_other_big_bodies_do_not(proxy):
    """A reply from the status page may carry a day's files (INTAKE_MAX_TOTAL_MB); every other
    public request stops at one upload's size (25 MB)."""
    person = Person(proxy, "127.0.1.9")
    boundary = "reply-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="a.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + b"x" * (30 * 1024 * 1024)
        + f"\r\n--{boundary}--\r\n".encode()
    )

    person.request("GET", reverse("intake:status"))  # a CSRF cookie: the body is then read

    def post(path: str) -> int | str:
        connection = http.client.HTTPConnection(person.host, person.port, timeout=120)
        try:
            headers = {
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Cookie": "; ".join(f"{k}={v}" for k, v in person.cookies.items()),
            }
            connection.request("POST", path, body, headers)
            return connection.getresponse().status
        except (BrokenPipeError, ConnectionResetError):
            return "cut"  # the proxy closed the connection before the body was all sent
        finally:
            connection.close()

    # Stopped at the proxy: 413, or 502 from this caddy when the limit is met while the body
    # streams to the application, or the connection cut while sending (the application never
    # sees the rest).
    assert post(reverse("intake:resume")) in (413, 502, "cut")
    # Read whole by the application, which answers itself (here: the token is missing).
    assert post(reverse("intake:status_reply")) == 403
