"""The staff pipeline and the attorney's "my cases" at 10,000 and 100,000 cases.

Each page is measured through the whole middleware stack against a bare Django view listing the
same rows (same query, order and page) without permissions, counts, filters or decryption: the
limit. Targets: the number of queries does not grow with the number of cases; server time
within 2x of the bare view.
"""

import os
import random
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpResponse
from django.template import engines
from django.test import Client
from django.test.utils import override_settings
from django.urls import include, path
from django.utils import timezone

from bench.timing import measure_pair, sign_in
from cases.models import OPEN_STATES, Case, CaseUserObjectPermission, State, Urgency
from cases.views import PAGE_SIZE
from clemency.accounts.models import User
from clemency.accounts.roles import Role

TITLE = "Case pipeline"
DESCRIPTION = """
Django test client (full middleware, session, templates, translations), median of 50 requests
after 5 warm-up requests, ours and bare taking turns request by request (so that both meet the
same load on a shared machine). The database holds the given number of cases over every state,
30% of them assigned to one of 50 volunteer attorneys (each assignment is two django-guardian
object permission rows); the measured attorney holds 1/50 of the assigned cases. **Ours**: the staff
pipeline (`/cases/`: role check, counts per state, filter form, paginated queue of open cases by
urgency then age) and the attorney's `/cases/mine/` (the same one-query visibility rule as every
case list). **Bare**: a plain view with the same queryset, order and paginator, no permission
check, no counts, no filters (the limit). Targets: queries do not grow with the number of cases;
time within 2x of the bare view.
"""
SIZES = (10_000, 100_000)
ATTORNEYS = 50
REPEAT = 50
BARE = engines["django"].from_string(
    "<table>{% for case in page %}<tr><td>{{ case.reference }}</td><td>{{ case.state }}</td>"
    "<td>{{ case.urgency }}</td><td>{{ case.next_deadline }}</td><td>{{ case.language }}</td>"
    "<td>{{ case.assigned_attorney.email }}</td></tr>{% endfor %}</table>"
)


def _bare(queryset):
    def view(request):
        page = Paginator(
            queryset().select_related("assigned_attorney").order_by("urgency", "created_at", "id"),
            PAGE_SIZE,
        ).get_page(request.GET.get("page"))
        return HttpResponse(BARE.render({"page": page}))

    return view


def _add_cases(count: int, attorneys: list[User], permissions: list[Permission]) -> None:
    rng = random.Random(count)  # noqa: S311 (made-up benchmark data)
    states = list(State)
    now = timezone.now()
    for start in range(0, count, 5000):
        batch = []
        for _ in range(min(5000, count - start)):
            state = rng.choice(states)
            assigned = state in (State.DRAFTING, State.QA_REVIEW, State.SUBMITTED, State.DECIDED)
            batch.append(
                Case(
                    state=state,
                    urgency=rng.choice(Urgency.values),
                    language=rng.choice([code for code, _ in settings.LANGUAGES]),
                    next_deadline=(now + timedelta(days=rng.randint(-30, 90))).date()
                    if rng.random() < 0.4
                    else None,
                    assigned_attorney=rng.choice(attorneys) if assigned else None,
                    kek_version=1,
                    wrapped_key=secrets.token_bytes(60),
                )
            )
        Case.objects.bulk_create(batch)
        CaseUserObjectPermission.objects.bulk_create(
            [
                CaseUserObjectPermission(
                    content_object=case, user=case.assigned_attorney, permission=permission
                )
                for case in batch
                if case.assigned_attorney is not None
                for permission in permissions
            ]
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Spread the ages over three years, as a real queue would be.
            cursor.execute(
                "UPDATE cases_case SET created_at = now() - random() * interval '1095 days', "
                "state_changed_at = now() - random() * interval '200 days'"
            )
            # What autovacuum would have done by the time anyone looks at the queue.
            cursor.execute("VACUUM ANALYZE cases_case")


def run() -> list[dict]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    staff = User.objects.create_user("bench-staff@example.org", "bench password 1")
    staff.groups.add(Group.objects.get(name=Role.INTAKE_STAFF.value))
    group = Group.objects.get(name=Role.VOLUNTEER_ATTORNEY.value)
    attorneys = []
    for number in range(ATTORNEYS):
        attorney = User.objects.create_user(f"bench-attorney{number}@example.org", "bench pw 1")
        attorney.groups.add(group)
        attorneys.append(attorney)
    permissions = list(
        Permission.objects.filter(
            content_type__app_label="cases", codename__in=["view_case", "work_on_case"]
        )
    )
    measured = attorneys[0]
    live = Case.objects.live()  # the same rows as the real pages

    urls = type("BenchURLs", (), {})()
    urls.urlpatterns = [
        path("bare/pipeline/", _bare(lambda: live.filter(state__in=OPEN_STATES))),
        path("bare/mine/", _bare(lambda: live.filter(assigned_attorney=measured))),
        path("", include("clemency.urls")),
    ]
    import sys

    sys.modules["bench_case_urls"] = urls
    rows, have = [], 0
    with override_settings(ROOT_URLCONF="bench_case_urls"):
        for size in SIZES:
            _add_cases(size - have, attorneys, permissions)
            have = size
            for label, user, ours, bare in (
                ("staff pipeline", staff, "/cases/", "/bare/pipeline/"),
                ("attorney's my cases", measured, "/cases/mine/", "/bare/mine/"),
            ):
                client = Client(HTTP_HOST="127.0.0.1")
                sign_in(client, user)
                assert client.get(ours).status_code == 200
                ours_result, bare_result = measure_pair(
                    lambda c=client, u=ours: c.get(u),
                    lambda c=client, u=bare: c.get(u),
                    repeat=REPEAT,
                )
                ratio = float(ours_result["median ms"]) / float(bare_result["median ms"])
                rows.append(
                    {
                        "cases": f"{size:,}",
                        "page": label,
                        "ours median ms": ours_result["median ms"],
                        "ours queries": ours_result["queries"],
                        "bare median ms": bare_result["median ms"],
                        "bare queries": bare_result["queries"],
                        "ours / bare": f"{ratio:.2f}x",
                    }
                )
    os.environ.pop("BENCH_CASES", None)
    return rows
