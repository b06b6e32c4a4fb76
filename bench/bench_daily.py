"""The daily jobs over 10,000 and 100,000 cases.

Targets: each daily job reads the cases a thousand at a time in a constant number of queries per
batch (its queries grow with the batches, not the rows); a second run on the same day sends
nothing.
"""

import random
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone

from bench.timing import QueryCounter
from cases import deadlines, notifications, outreach
from cases.models import (
    Applicant,
    Case,
    Deadline,
    DeadlineKind,
    DeadlineSource,
    Notification,
    State,
    Urgency,
)
from cases.services import case_create
from cases.workflow import cases_close_unresponsive
from clemency.accounts.models import User
from clemency.accounts.roles import Role

LAST = True  # it empties the cases: after the benchmarks that need them
TITLE = "Daily jobs"
DESCRIPTION = """
The daily jobs as `manage.py daily` runs them, called in-process against a database holding the
given number of cases over every state (40% with one or two open deadlines between 30 days ago and
90 days on; states entered over the last 60 days), with 5 intake staff, 3 coordinators and 50
volunteer attorneys of its own besides the people the benchmarks before it made (every intake staff
member and coordinator is told: the number of reminders follows) (cases waiting for the applicant
have their information due between 45 days ago and 30 days on; one case in 500 more has an
applicant who left an e-mail address for news and information due in 7 days or tomorrow). Each job
runs twice on the same day: the **first** run does the day's work (for "reminders", every deadline
past or 7 and 1 day off and every case stuck for 30 days, as on the first day the system runs with
such a backlog), the **second** finds it done. "queries / 1,000 cases" is the first run's queries
over the number of thousands of cases: constant from 10,000 to 100,000 means a constant number of
queries per batch. Tasks go to the database queue (django-tasks-db), as in production; sending them
is measured in "Notifications".
"""
SIZES = (10_000, 100_000)
STAFF, COORDINATORS, ATTORNEYS = 5, 3, 50


def empty() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE cases_case CASCADE")
    else:
        Case.objects.all().delete()


def people() -> tuple[list[User], list[User], list[User]]:
    """Intake staff, coordinators and volunteer attorneys (made once, then found again)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    made = []
    for role, count in (
        (Role.INTAKE_STAFF, STAFF),
        (Role.COORDINATOR, COORDINATORS),
        (Role.VOLUNTEER_ATTORNEY, ATTORNEYS),
    ):
        group = Group.objects.get(name=role.value)
        people = []
        for number in range(count):
            email = f"bench-daily-{role}-{number}@example.org"
            person = User.objects.filter(email=email).first()
            if person is None:
                person = User.objects.create_user(email, "bench 1")
                person.groups.add(group)
            people.append(person)
        made.append(people)
    return made[0], made[1], made[2]


def _add_cases(count: int, attorneys: list[User], rng: random.Random) -> None:
    today = timezone.localdate()
    now = timezone.now()
    states = list(State)
    for start in range(0, count, 5000):
        cases = []
        for _ in range(min(5000, count - start)):
            state = rng.choice(states)
            assigned = state in (State.DRAFTING, State.QA_REVIEW, State.SUBMITTED)
            basis = rng.choice(Urgency.values)
            cases.append(
                Case(
                    state=state,
                    state_changed_at=now - timedelta(days=rng.uniform(0, 60)),
                    urgency=basis,
                    urgency_computed=basis,
                    urgency_basis=basis,
                    assigned_attorney=rng.choice(attorneys) if assigned else None,
                    kek_version=1,
                    wrapped_key=rng.randbytes(60),
                )
            )
        Case.objects.bulk_create(cases)
        due = []
        for case in cases:
            if rng.random() >= 0.4:
                continue
            kinds = [DeadlineKind.HEARING, DeadlineKind.CHECK_IN, DeadlineKind.CUSTOM]
            days = (-30, 90)
            if case.state == State.NEEDS_INFO:  # a month to answer; some long past it
                kinds, days = [DeadlineKind.INFO_DUE], (-45, 30)
            for _ in range(rng.choice((1, 2))):
                due.append(
                    Deadline(
                        case=case,
                        kind=rng.choice(kinds),
                        due_on=today + timedelta(days=rng.randint(*days)),
                        source=DeadlineSource.STAFF,
                    )
                )
        Deadline.objects.bulk_create(due)
    _add_reachable_applicants(count // 500, today)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE cases_case")
            cursor.execute("VACUUM ANALYZE cases_deadline")


def _add_reachable_applicants(count: int, today) -> None:
    """Cases with real keys whose applicant left an e-mail address for news, waiting for
    information due in 7 days or tomorrow: each gets a reminder on the first run."""
    for number in range(count):
        case = case_create()
        Case.objects.filter(pk=case.pk).update(state=State.NEEDS_INFO)
        Applicant.objects.create(
            case=case,
            legal_name="Bench Applicant",
            news_contact={"email": f"bench-{number}@example.org", "phone": "", "language": "es"},
        )
        Deadline.objects.create(
            case=case,
            kind=DeadlineKind.INFO_DUE,
            due_on=today + timedelta(days=7 if number % 2 else 1),
            source=DeadlineSource.WORKFLOW,
        )


def _timed(job) -> tuple[float, int, object]:
    with QueryCounter() as queries:
        start = time.perf_counter()
        result = job()
        elapsed = time.perf_counter() - start
    return elapsed, queries.count, result


def _daily_rows(size: int) -> list[dict]:
    today = timezone.localdate()
    jobs = [
        ("recompute urgency", lambda: deadlines.recompute_urgencies(today=today)),
        (
            "reminders (deadlines, applicants, stuck cases)",
            lambda: (
                notifications.remind_of_deadlines(today=today)
                + outreach.remind_applicants(today=today)
                + notifications.flag_stuck_cases(now=timezone.now())
            ),
        ),
        ("close unresponsive", lambda: cases_close_unresponsive(today=today)),
        ("daily digests", notifications.send_digests),
    ]
    rows = []
    for name, job in jobs:
        first = _timed(job)
        second = _timed(job)
        rows.append(
            {
                "cases": f"{size:,}",
                "job": name,
                "first run s": f"{first[0]:.2f}",
                "first run queries": first[1],
                "queries / 1,000 cases": f"{first[1] / (size / 1000):.1f}",
                "done (first run)": first[2],
                "second run s": f"{second[0]:.2f}",
                "second run queries": second[1],
                "done (second run)": second[2],
            }
        )
    return rows


def run() -> list[dict]:
    rng = random.Random(12)  # noqa: S311 (made-up benchmark data)
    empty()
    _staff, _coordinators, attorneys = people()
    rows, have = [], 0
    for size in SIZES:
        _add_cases(size - have, attorneys, rng)
        have = size
        Notification.objects.all().delete()
        rows += _daily_rows(size)
    empty()
    return rows
