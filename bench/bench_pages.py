"""Server time and queries for the shell pages, through the whole middleware stack."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client

from bench.timing import measure, sign_in
from clemency.accounts.models import User
from clemency.accounts.roles import Role

TITLE = "Shell pages"
DESCRIPTION = """
Django test client (full middleware, templates and translations; no network), 300 requests per
row after 5 warm-up requests. Signed-in rows include the session read and write that every staff
request pays for the sliding idle timeout.
"""
REPEAT = 300


def run() -> list[dict]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    staff = User.objects.create_user("bench-pages-staff@example.org", "bench password 1")
    staff.groups.add(Group.objects.get(name=Role.INTAKE_STAFF.value))
    rows = []
    for language in ("en", "ar", "bn"):
        for path in ("/", "/accounts/login/"):
            client = Client(HTTP_HOST="127.0.0.1")
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
            rows.append(
                {"page": path, "language": language, "user": "anonymous"}
                | measure(lambda c=client, p=path: c.get(p), repeat=REPEAT)
            )
    client = Client(HTTP_HOST="127.0.0.1")
    sign_in(client, staff)
    rows.append(
        {"page": "/cases/", "language": "en", "user": "intake staff"}
        | measure(lambda: client.get("/cases/"), repeat=REPEAT)
    )
    return rows
