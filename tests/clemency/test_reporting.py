from django.test import RequestFactory
from django.views.debug import ExceptionReporter

# Built at run time so that the source lines shown in a report do not contain it.
MARKER = "-".join(["Maria", "Marker", "A123456789"])


def _report(post: dict) -> str:
    request = RequestFactory().post("/intake/", post)
    secret_local = MARKER  # noqa: F841 - a decrypted value in a frame's locals
    try:
        raise ValueError("boom")
    except ValueError as exc:
        reporter = ExceptionReporter(request, type(exc), exc, exc.__traceback__)
        return reporter.get_traceback_text() + reporter.get_traceback_html()


def test_error_reports_hide_post_values_and_locals(settings):
    settings.DEBUG = True  # filtering must not depend on DEBUG
    report = _report({"a_number": MARKER, "story": MARKER})
    assert MARKER not in report
    assert "a_number" in report  # names stay, for debugging


def test_error_reports_hide_values_in_production_mode(settings):
    settings.DEBUG = False
    assert MARKER not in _report({"name": MARKER})
