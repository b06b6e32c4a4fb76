"""Error reports and log lines that cannot carry what people told us.

Django's reports (debug pages, e-mails to ADMINS) and logged tracebacks include request values,
local variables and exception messages, and a database error message can quote the row it failed
on. Here a report keeps what is needed to find the bug (the exception type, the stack, the names
of parameters and variables, the path) and withholds every value.
"""

import logging
import re
import traceback

from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

WITHHELD = "[withheld]"
# Request metadata that is about the server and the request's shape, never about a person.
SAFE_META = {
    "CONTENT_LENGTH",
    "CONTENT_TYPE",
    "PATH_INFO",
    "REQUEST_METHOD",
    "SCRIPT_NAME",
    "SERVER_NAME",
    "SERVER_PORT",
    "SERVER_PROTOCOL",
    "wsgi.url_scheme",
}


def describe(exc: BaseException) -> str:
    kind = type(exc)
    return f"{kind.__module__}.{kind.__qualname__} (message withheld)"


class _Withheld:
    """Stands in for an exception in a report: its type, never its message."""

    def __init__(self, exc: BaseException) -> None:
        self.text = describe(exc)

    def __str__(self) -> str:
        return self.text


# Credentials written into a URL ("postgres://user:password@host/db").
_URL_WITH_CREDENTIALS = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s]*@", re.IGNORECASE)


class ConfidentialExceptionReporterFilter(SafeExceptionReporterFilter):
    """Cleanse every POST value, cookie and local variable, in every mode (not only DEBUG off).

    Settings: Django hides names with KEY, SECRET, PASS, TOKEN...; here also every URL and DSN
    (DATABASE_URL carries the database password), every *_FILE path and anything private or a
    credential, and any value that holds a URL with credentials, whatever its setting's name.
    """

    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|URL|DSN|_FILE|CREDENTIAL|PRIVATE|KEK",
        flags=re.IGNORECASE,
    )

    def cleanse_setting(self, key, value):
        cleansed = super().cleanse_setting(key, value)
        if isinstance(cleansed, str) and _URL_WITH_CREDENTIALS.search(cleansed):
            return self.cleansed_substitute
        return cleansed

    def is_active(self, request):
        return True

    def get_post_parameters(self, request):
        if request is None:
            return {}
        return dict.fromkeys(request.POST, self.cleansed_substitute)

    def get_safe_cookies(self, request):
        return dict.fromkeys(getattr(request, "COOKIES", {}), self.cleansed_substitute)

    def get_safe_request_meta(self, request):
        meta = getattr(request, "META", {})
        return {
            name: value if name in SAFE_META else self.cleansed_substitute
            for name, value in meta.items()
        }

    def get_traceback_frame_variables(self, request, tb_frame):
        return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]


class ConfidentialExceptionReporter(ExceptionReporter):
    """Withhold the exception message, query values, upload names and the query string."""

    def get_traceback_data(self):
        data = super().get_traceback_data()
        if "exception_value" in data:
            data["exception_value"] = WITHHELD
        data.pop("exception_notes", None)
        data["unicode_hint"] = ""
        if self.request is not None:
            data["request_GET_items"] = [(name, WITHHELD) for name in self.request.GET]
            data["request_FILES_items"] = [(name, WITHHELD) for name in self.request.FILES]
            data["request_insecure_uri"] = self.request.path
        for frame in data.get("frames", []):
            if frame.get("exc_cause") is not None:
                frame["exc_cause"] = _Withheld(frame["exc_cause"])
        return data


class RedactingFormatter(logging.Formatter):
    """Log tracebacks with their frames and exception types, without exception messages."""

    def formatException(self, ei) -> str:
        _kind, exc, tb = ei
        parts = []
        while exc is not None:
            parts.insert(0, "".join(traceback.format_tb(tb)) + describe(exc))
            exc = exc.__cause__ or exc.__context__
            tb = exc.__traceback__ if exc is not None else None
        return "Traceback (most recent call last):\n" + "\nwhich was raised from\n".join(parts)


class NotUnavailable(logging.Filter):
    """Keep 503s (a database or storage that is down: clemency.middleware.UnavailableMiddleware)
    out of the e-mails to ADMINS: an outage would send one e-mail per request. They still reach
    the console log, with the part that failed."""

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "status_code", None) != 503
