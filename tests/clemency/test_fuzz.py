"""Hypothesis throws hostile input at every URL, form and parameter, as every kind of visitor:
nothing may answer with a server error.

Each example picks a URL pattern, fills its path parameters (real ids, random UUIDs or random
text), a method, and a body made of the field names the page's own form declares plus random
ones, with values drawn from what breaks parsers: control and bidi characters, combining marks,
very long text, numbers, dates, lists, nothing at all. The world (a case with documents, an open
application) stays between examples, so earlier examples' effects are part of later ones.
"""

import re
import uuid

import pytest
from django.test import Client
from django.urls import resolve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.models import Document, State
from tests.cases.conftest import add_document, make_case
from tests.clemency.test_url_access import ALL, _sample_path

pytestmark = pytest.mark.django_db

FIELD = re.compile(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"')
HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(
        alphabet=st.characters(categories=["Cc", "Cf", "Mn", "Zs", "Lo", "Nd"]),
        max_size=40,
    ),
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            "99999999999999999999",
            "1e309",
            "NaN",
            "2026-02-30",
            "9999-12-31",
            "0000-00-00",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "invoice\u202efdp.bat",
            "\u0301\u0301\u0301",
            "\x00",
            "../../etc/passwd",
            "x" * 100_000,
            "on",
            "next",
            "save",
            "back",
        ]
    ),
)
ROUTES = [(route, name) for route, name, _pattern in ALL if not route.startswith("admin/")]


@pytest.fixture
def world(attorney, staff, coordinator, administrator):
    case = make_case(State.REVIEW, attorney=attorney)
    document = add_document(case, Document.Kind.SUPPORT_LETTER, stored=True)
    applicant = Client()
    applicant.post("/intake/start/")  # an open application in this browser
    return {
        "ids": {"case_id": str(case.pk), "document_id": str(document.pk)},
        "clients": {"anonymous": Client(), "applicant": applicant},
        "users": {
            "staff": staff,
            "coordinator": coordinator,
            "attorney": attorney,
            "administrator": administrator,
        },
        "fields": {},
    }


def _path(route: str, ids: dict, data: st.DataObject) -> str:
    path = _sample_path(route)
    for name, real in ids.items():
        fake = "00000000-0000-4000-8000-000000000001" if name == "case_id" else None
        fake = fake or "00000000-0000-4000-8000-000000000002"
        choice = data.draw(st.sampled_from(["real", "random", "text"]), label=name)
        value = {"real": real, "random": str(uuid.uuid4())}.get(choice) or data.draw(
            st.from_regex(r"[A-Za-z0-9%.\-]{1,40}", fullmatch=True)
        )
        path = path.replace(fake, value)
    if "identifier" not in route:
        return path
    slug = data.draw(st.sampled_from(["filer", "applicant", "convictions", "story", "zz-none"]))
    return path.replace("/filer/", f"/{slug}/")


def _fields(client: Client, path: str, known: dict) -> list[str]:
    """The names the page's own form uses (learned once per path)."""
    if path not in known:
        try:
            resolve(path)
            text = client.get(path).content.decode(errors="replace")
        except Exception:
            text = ""
        known[path] = sorted(set(FIELD.findall(text)) - {"csrfmiddlewaretoken"})
    return known[path]


PERSONAS = ["anonymous", "applicant", "staff", "coordinator", "attorney", "administrator"]


@pytest.mark.parametrize(("route", "name"), ROUTES, ids=[name or route for route, name in ROUTES])
def test_no_input_makes_a_server_error(world, route, name):
    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=st.data())
    def request(data):
        persona = data.draw(st.sampled_from(PERSONAS), label="persona")
        client = world["clients"].get(persona) or Client()
        if persona in world["users"]:  # signed in afresh: an example may have signed out
            client.force_login(world["users"][persona])
        path = _path(route, world["ids"], data)
        method = data.draw(st.sampled_from(["GET", "POST"]), label="method")
        names = _fields(client, path, world["fields"]) if method == "POST" else []
        keys = data.draw(
            st.lists(
                st.one_of(st.sampled_from(names or ["q"]), st.text(min_size=1, max_size=12)),
                max_size=8,
            ),
            label="keys",
        )
        values = {key: data.draw(st.lists(HOSTILE_TEXT, min_size=1, max_size=2)) for key in keys}
        response = client.get(path, values) if method == "GET" else client.post(path, values)
        assert response.status_code < 500, (persona, name, path, method, values)

    request()
