"""Small helpers shared by benchmarks: repeated timing with medians, and query counts."""

import statistics
import time
from collections.abc import Callable

from django.db import connection
from django.test.utils import CaptureQueriesContext


def measure(call: Callable[[], object], *, repeat: int, warmup: int = 5) -> dict:
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    with CaptureQueriesContext(connection) as queries:
        call()
    return {
        "median ms": f"{statistics.median(samples):.2f}",
        "p95 ms": f"{samples[int(len(samples) * 0.95) - 1]:.2f}",
        "queries": len(queries),
    }


def measure_pair(
    first: Callable[[], object], second: Callable[[], object], *, repeat: int, warmup: int = 5
) -> tuple[dict, dict]:
    """``measure`` for two calls taking turns, one request of each at a time: on a shared
    machine, both then meet the same load, and their ratio is steady from run to run."""
    for _ in range(warmup):
        first()
        second()
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for call, times in zip((first, second), samples, strict=True):
            start = time.perf_counter()
            call()
            times.append((time.perf_counter() - start) * 1000)
    results = []
    for call, times in zip((first, second), samples, strict=True):
        times.sort()
        with CaptureQueriesContext(connection) as queries:
            call()
        results.append(
            {
                "median ms": f"{statistics.median(times):.2f}",
                "p95 ms": f"{times[int(len(times) * 0.95) - 1]:.2f}",
                "queries": len(queries),
            }
        )
    return results[0], results[1]


def sign_in(client, user) -> str:
    """Sign `user` in on the test client as after a real sign-in: password and second factor
    (a confirmed authenticator app is made for them). Returns the session key."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    device = device or TOTPDevice.objects.create(user=user, name="benchmark", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return session.session_key


class QueryCounter:
    """Counts the queries run on the default connection while it is active (``with``), however
    many: Django's own query log keeps only the last 9,000."""

    def __init__(self) -> None:
        self.count = 0
        self._wrapper = None

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self) -> "QueryCounter":
        self._wrapper = connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._wrapper.__exit__(*exc)
