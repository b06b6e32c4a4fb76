"""What every staff-side page may need (installed only where the case app is)."""

from django.http import HttpRequest

from cases import rules
from cases.opening import waiting_to_be_opened


def waiting_submissions(request: HttpRequest) -> dict:
    """Staff who see every case are told when sent applications are not becoming cases: the
    background worker is not running (README). A callable: counted once, by the template that
    shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_verified():
        return {}  # nothing of the work before the second factor
    if not rules.sees_all(user):
        return {}
    return {"waiting_submissions": waiting_to_be_opened}
