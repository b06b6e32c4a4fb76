"""What every staff-side page may need (installed only where the case app is)."""

import threading
import time

from django.http import HttpRequest

from cases import rules
from cases.opening import waiting_to_be_opened

# The count is an operational warning: each process counts at most every 30 seconds, not on
# every page (a staff member clicking through the pipeline needs no fresher number).
RECOUNT_SECONDS = 30
_lock = threading.Lock()
_counted: tuple[float, int] | None = None


def waiting_count() -> int:
    global _counted
    with _lock:
        if _counted is None or time.monotonic() - _counted[0] >= RECOUNT_SECONDS:
            _counted = (time.monotonic(), waiting_to_be_opened())
        return _counted[1]


def forget_count() -> None:
    global _counted
    with _lock:
        _counted = None


def waiting_submissions(request: HttpRequest) -> dict:
    """Staff who see every case are told when sent applications are not becoming cases: the
    background worker is not running (README). A callable: counted by the template that shows
    it, at most every RECOUNT_SECONDS per process."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_verified():
        return {}  # nothing of the work before the second factor
    if not rules.sees_all(user):
        return {}
    return {"waiting_submissions": waiting_count}
