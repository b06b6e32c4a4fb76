import logging
import sys

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.test import RequestFactory

from clemency.reporting import ConfidentialExceptionReporter, RedactingFormatter

# Built at run time so that the source lines shown in a report do not contain it.
MARKER = "-".join(["Maria", "Marker", "A123456789"])


def _raise_chained():
    try:
        raise ValueError(f"cause mentions {MARKER}")
    except ValueError as cause:
        raise IntegrityError(f"Key (a_number)=({MARKER}) already exists.") from cause


def _report(request) -> str:
    secret_local = MARKER  # noqa: F841 - a decrypted value in a frame's locals
    try:
        _raise_chained()
    except IntegrityError as exc:
        reporter = ConfidentialExceptionReporter(request, type(exc), exc, exc.__traceback__)
        return reporter.get_traceback_text() + reporter.get_traceback_html()


def _hostile_request():
    upload = SimpleUploadedFile(f"{MARKER}.pdf", b"%PDF-1.7")
    request = RequestFactory().post(
        f"/intake/?code={MARKER}&name={MARKER}",
        {"a_number": MARKER, "story": MARKER, "file": upload},
        HTTP_REFERER=f"https://pardon.example.org/intake/?q={MARKER}",
        HTTP_COOKIE=f"sessionid={MARKER}",
    )
    request.COOKIES["sessionid"] = MARKER
    return request


def test_reports_withhold_every_value(settings):
    settings.DEBUG = True  # filtering must not depend on DEBUG
    report = _report(_hostile_request())
    assert MARKER not in report
    for name in ("a_number", "story", "code", "IntegrityError", "secret_local"):
        assert name in report  # names and types stay, for debugging


def test_reports_withhold_values_when_debug_is_off(settings):
    settings.DEBUG = False
    assert MARKER not in _report(_hostile_request())


def test_logged_tracebacks_withhold_messages():
    try:
        _raise_chained()
    except IntegrityError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "django.request", logging.ERROR, __file__, 1, "Error: %s", ("/intake/",), exc_info
    )
    text = RedactingFormatter("%(message)s").format(record)
    assert MARKER not in text
    assert "django.db.utils.IntegrityError (message withheld)" in text
    assert "ValueError (message withheld)" in text
    assert "_raise_chained" in text


def test_reports_hide_database_urls_and_secret_files(settings):
    """DATABASE_URL escapes Django's own filter (no KEY or PASS in its name); a password in it, in
    another URL setting or in a *_FILE path never reaches a report."""
    password = "-".join(["Tr0ub4dor", "horse", "staple"])
    settings.DATABASE_URL = f"postgres://pardon:{password}@db:5432/pardon"
    settings.S3_ENDPOINT_URL = f"https://minio:{password}@s3.internal"
    settings.KEKS_FILE = f"/run/secrets/{password}"
    settings.SOME_CONNECTION = f"redis://:{password}@cache:6379/0"
    settings.DEBUG = True
    report = _report(_hostile_request())
    assert password not in report
    assert "DATABASE_URL" in report  # the name stays, for debugging


def test_an_outage_does_not_mail_the_admins_once_per_request():
    """A 503 (a part that is down) is logged, not e-mailed: an outage would flood ADMINS. Other
    server errors still are."""
    from django.utils.log import AdminEmailHandler

    (mail,) = [
        handler
        for handler in logging.getLogger("django.request").handlers
        if isinstance(handler, AdminEmailHandler)
    ]

    def record(status: int) -> logging.LogRecord:
        entry = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "x", None, None)
        entry.status_code = status
        return entry

    assert not mail.filter(record(503))
    assert mail.filter(record(500))
