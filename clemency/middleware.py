"""Project-wide middleware: a health probe, privacy headers, and a page for a part that is down."""

import logging
from collections.abc import Callable

from django.db import connection, connections
from django.db.utils import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import get_template
from django.utils.translation import gettext as _

from clemency.context_processors import hotline
from clemency.security.storage import StorageUnavailable

logger = logging.getLogger(__name__)

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


class UnavailableMiddleware:
    """A 503 page in the reader's language when the database or the document storage fails
    under a view (a lost connection, a server that does not answer), instead of the 500 page.

    Every workflow writes in one transaction and deletes what it stored if that transaction
    fails, so nothing is left half-done and the same request can simply be sent again. The page
    is rendered without the request (no session or user is read from a database that is down).
    Other database errors (a bug in a query) stay 500s, reported as usual.
    """

    RETRY_AFTER = 30  # seconds

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OperationalError | InterfaceError):
            message = _(
                "Our database did not answer, so this could not be finished. Nothing was saved "
                "halfway: please try again in a moment."
            )
            # A connection broken outside a transaction would stay until the next request: drop
            # it now, so that the rest of this response (the session) can connect again.
            for conn in connections.all(initialized_only=True):
                broken = conn.connection is not None and conn.errors_occurred
                if broken and not conn.in_atomic_block and not conn.is_usable():
                    conn.close()
        elif isinstance(exception, StorageUnavailable):
            message = _(
                "Our document storage did not answer, so this could not be finished: no file "
                "was kept or sent. Please try again in a moment."
            )
        else:
            return None
        # django.request reports the 503 itself; this says which part failed, and how.
        logger.warning(
            "%s %s: 503, %s (%s)",
            request.method,
            request.path,
            type(exception).__name__,
            type(exception.__cause__).__name__,
        )
        context = {"message": message, "hotline": hotline()}
        response = HttpResponse(get_template("503.html").render(context), status=503)
        response.headers["Retry-After"] = str(self.RETRY_AFTER)
        return response
