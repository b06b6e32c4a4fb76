"""manage.py db_grants --app ROLE --intake ROLE: least privilege for the processes that serve.

Run as the role that owns the tables (the one migrations run as: docker-compose's `migrate`
job runs this right after `migrate`), on PostgreSQL. It sets, for every table, exactly what each
role may do, revoking everything else:

- the staff site and the worker (`--app`): read and write every table, except that the audit
  log may only be read and appended to (no UPDATE, DELETE or TRUNCATE on events; the head row
  may be updated, never deleted). Not being the owner, the role cannot ALTER a table, switch
  its triggers off or drop it.
- the public intake (`--intake`): only what the intake touches: applications and their files,
  the applicants' replies (added and listed only), sessions, rate-limit counters, the cache, and
  queueing a task for the worker. It cannot read
  a case, an account or the audit log.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

AUDIT_EVENTS = "audit_auditevent"
AUDIT_HEAD = "audit_audithead"
# Table: what the public intake may do to it.
INTAKE_TABLES = {
    "intake_draft": "SELECT, INSERT, UPDATE, DELETE",
    "intake_draftdocument": "SELECT, INSERT, UPDATE, DELETE",
    # What applicants send from the status page: kept, listed, never changed or deleted here
    # (the staff worker attaches and clears them).
    "intake_reply": "SELECT, INSERT",
    "intake_replydocument": "SELECT, INSERT",
    "django_session": "SELECT, INSERT, UPDATE, DELETE",
    "clemency_counter": "SELECT, INSERT, UPDATE, DELETE",
    "clemency_cache": "SELECT, INSERT, UPDATE, DELETE",
    "django_tasks_database_dbtaskresult": "INSERT",
}


def app_privileges(table: str) -> str:
    if table == AUDIT_EVENTS:
        return "SELECT, INSERT"
    if table == AUDIT_HEAD:
        return "SELECT, INSERT, UPDATE"
    return "SELECT, INSERT, UPDATE, DELETE"


class Command(BaseCommand):
    help = "Grant the serving roles exactly what they need (PostgreSQL; run as the owner)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--app", required=True, help="role of the staff site and worker")
        parser.add_argument("--intake", required=True, help="role of the public intake")

    def handle(self, *args, app: str, intake: str, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Database roles are a PostgreSQL feature.")
        quote = connection.ops.quote_name
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            (owner,) = cursor.fetchone()
            if owner in (app, intake):
                raise CommandError("Run this as the owner of the tables, not as a serving role.")
            tables = connection.introspection.table_names(cursor)
            for role in (app, intake):
                cursor.execute(f"GRANT USAGE ON SCHEMA public TO {quote(role)}")
                cursor.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {quote(role)}")
                cursor.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {quote(role)}")
            for table in tables:
                cursor.execute(f"GRANT {app_privileges(table)} ON {quote(table)} TO {quote(app)}")
                if table in INTAKE_TABLES:
                    cursor.execute(
                        f"GRANT {INTAKE_TABLES[table]} ON {quote(table)} TO {quote(intake)}"
                    )
            cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quote(app)}")
        self.stdout.write(
            f"Granted {len(tables)} tables to {app} and {len(INTAKE_TABLES)} to {intake}."
        )
