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
