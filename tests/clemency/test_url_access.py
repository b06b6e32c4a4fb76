"""Deny by default: every URL pattern needs a login unless it is declared public here."""

import re
from urllib.parse import urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve

# The only views an anonymous visitor may reach. Adding a public view means adding it here.
PUBLIC = {
    "intake:landing",
    "intake:start",
    "intake:resume",
    "intake:review",
    "intake:sent",
    "intake:step",
    "intake:documents",
    "intake:status",
    "intake:status_reply",
    "intake:status_news",
    "intake:status_close",
    "set_language",
    "accounts:login",
    "accounts:password-reset",
    "accounts:password-reset-done",
    "accounts:password-reset-confirm",
    "accounts:password-reset-complete",
    "admin:login",
}
# Where an anonymous visitor may be sent: our sign-in page, or the admin's, which forwards there.
LOGIN_PATHS = {"/accounts/login/", "/admin/login/"}

SAMPLES = {
    "app_label": "accounts",
    "object_id": "1",
    "content_type_id": "1",
    "id": "1",
    "uidb64": "MQ",
    "token": "set-password",
    "url": "no-such-page/",
    "identifier": "filer",
    "case_id": "00000000-0000-4000-8000-000000000001",
    "document_id": "00000000-0000-4000-8000-000000000002",
    "deadline_id": "00000000-0000-4000-8000-000000000003",
    "conviction_id": "00000000-0000-4000-8000-000000000004",
    "notification_id": "00000000-0000-4000-8000-000000000004",
}


def _sample_path(route: str) -> str:
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: SAMPLES.get(m.group(1), "1"), route)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: SAMPLES.get(m.group(1), "1"), path)
    return "/" + path.replace("^", "").replace("$", "")


def _patterns(resolver: URLResolver, prefix: str = "", namespace: str = ""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from _patterns(pattern, prefix + str(pattern.pattern), inner)
        else:
            assert isinstance(pattern, URLPattern)
            name = f"{namespace}{pattern.name}" if pattern.name else None
            yield prefix + str(pattern.pattern), name, pattern


ALL = list(_patterns(get_resolver()))


def _id(item) -> str:
    return item[1] or item[0]


def test_public_list_names_real_views():
    names = {name for _route, name, _pattern in ALL}
    assert names >= PUBLIC


@pytest.mark.parametrize(("route", "name", "pattern"), ALL, ids=[_id(item) for item in ALL])
def test_anonymous_is_sent_to_login_unless_public(client, db, route, name, pattern):
    path = _sample_path(route)
    assert resolve(path).func == pattern.callback, f"sample path {path} does not reach {route}"

    declared_public = name in PUBLIC
    marked_public = getattr(pattern.callback, "login_required", True) is False
    assert declared_public == marked_public, (
        f"{name or route}: login_not_required and the PUBLIC list disagree"
    )

    response = client.get(path)
    sent_to_login = response.status_code == 302 and urlsplit(response.url).path in LOGIN_PATHS
    if name == "admin:login":
        # The admin site has no sign-in page of its own: it forwards to ours.
        assert response.status_code == 302
        assert urlsplit(response.url).path == "/accounts/login/"
    elif declared_public:
        assert not sent_to_login
        assert response.status_code in {200, 302, 405}
    else:
        assert sent_to_login, f"{path} answered {response.status_code} {response.get('Location')}"
