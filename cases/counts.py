"""How many live cases each state holds, for the pipeline's counts and its pages (ADR 0019).

On PostgreSQL the database keeps them: statement triggers on cases_case append one row per state
and statement to cases_livecount with how that statement changed the state's number of live
(not shredded) cases, a TRUNCATE empties it, and reading sums a few rows instead of scanning
every case. Appending never waits for another transaction (no row is updated twice), so two
steps of the workflow at once never queue behind one counter. The daily job folds the rows
into one per state. Elsewhere (SQLite, for `make run`), the cases are counted.
"""

from django.db import connection, transaction
from django.db.models import Count, Sum

from cases import rules
from cases.models import Case, LiveCount


def counts_by_state(user) -> dict[str, int]:
    """State -> number of live cases this user may see: from the kept numbers for someone who
    sees every case, through the visibility rule for anyone else."""
    if rules.sees_all(user):
        return live_counts()
    cases = Case.objects.visible_to(user).live()
    return dict(cases.values_list("state").annotate(n=Count("*")).order_by())


def live_counts() -> dict[str, int]:
    """State -> number of live cases, over every case (``counts_by_state`` decides who may
    see them)."""
    if connection.vendor != "postgresql":
        return dict(Case.objects.live().values_list("state").annotate(n=Count("*")).order_by())
    rows = LiveCount.objects.values_list("state").annotate(n=Sum("delta")).order_by()
    return {state: n for state, n in rows if n}


def compact() -> int:
    """Fold the appended rows into one per state (daily); returns how many rows are left. Rows
    appended meanwhile by other transactions are left as they are."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH gone AS (DELETE FROM cases_livecount RETURNING state, delta) "
            "INSERT INTO cases_livecount (state, delta) "
            "SELECT state, SUM(delta) FROM gone GROUP BY state HAVING SUM(delta) <> 0"
        )
    return LiveCount.objects.count()


def recount() -> None:
    """Rebuild the kept numbers from the cases (after a writer that bypassed the triggers: a
    restore with triggers off). Writers of cases wait meanwhile, so nothing is counted twice."""
    if connection.vendor != "postgresql":
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE cases_case IN SHARE MODE")
        cursor.execute("DELETE FROM cases_livecount")
        cursor.execute(
            "INSERT INTO cases_livecount (state, delta) SELECT state, count(*) FROM cases_case "
            "WHERE shredded_at IS NULL GROUP BY state"
        )
