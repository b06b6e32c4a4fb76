"""Project-wide middleware: a health probe and privacy headers."""

from collections.abc import Callable

from django.db import connection
from django.db.utils import DatabaseError
from django.http import HttpRequest, HttpResponse

HEALTH_PATH = "/healthz"


class HealthCheckMiddleware:
    """Answer the container health probe before host validation, redirects and sessions.

    The probe comes from inside the container over plain HTTP with no configured Host, so it is
    answered here, first, and only says whether the database answers.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info != HEALTH_PATH:
            return self.get_response(request)
        try:
            connection.ensure_connection()
        except DatabaseError:
            return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
        return HttpResponse("ok\n", content_type="text/plain")


class PrivacyHeadersMiddleware:
    """Keep pages out of browser and proxy caches, and switch off device features we never use.

    People apply from shared or borrowed phones; the back button or a cache must not show a page
    to the next person. Static files are answered before this middleware and stay cacheable.
    """

    PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("Permissions-Policy", self.PERMISSIONS_POLICY)
        return response
