"""Create demonstration accounts (and, as the project grows, demonstration cases).

Safe to run again: existing demo users are updated, not duplicated. Refuses to run in production.
"""

import os
import secrets

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from clemency.accounts.models import User
from clemency.accounts.roles import Role

DEMO_USERS: list[tuple[str, Role]] = [
    ("staff@example.org", Role.INTAKE_STAFF),
    ("coordinator@example.org", Role.COORDINATOR),
    ("attorney1@example.org", Role.VOLUNTEER_ATTORNEY),
    ("attorney2@example.org", Role.VOLUNTEER_ATTORNEY),
]
DEMO_ADMIN = "admin@example.org"
DEMO_APPLICATIONS = [
    ("es", "ice_detention", {"status": "permanent_resident"}),  # P0
    ("ht", "home", {"status": "none", "final_order": True}),  # P1
    ("ar", "home", {"status": "permanent_resident"}),  # P2
    ("bn", "outside_us", {"status": "none", "deported_before": True}),  # P3
    ("fr", "home", {"status": "unknown"}),  # P4
]


class Command(BaseCommand):
    help = "Create demo users in their role groups. Password from DEMO_PASSWORD, else generated."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--any-database",
            action="store_true",
            help="also seed a database that is not a local SQLite file",
        )

    def handle(self, *args, any_database: bool, **options) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_demo refuses to run in production (DJANGO_ENV=production).")
        engine = connection.settings_dict["ENGINE"]
        if not any_database and not engine.endswith("sqlite3"):
            raise CommandError(
                "seed_demo creates an administrator with a known password: it only seeds the local "
                "SQLite database unless given --any-database."
            )
        password = os.environ.get("DEMO_PASSWORD") or secrets.token_urlsafe(12)
        with transaction.atomic():
            for email, role in DEMO_USERS:
                user, _created = User.objects.get_or_create(email=email)
                user.set_password(password)
                user.is_active = True
                user.save()
                user.groups.set([Group.objects.get(name=role.value)])
            admin, _created = User.objects.get_or_create(email=DEMO_ADMIN)
            admin.set_password(password)
            admin.is_active = admin.is_staff = admin.is_superuser = True
            admin.save()
        self._seed_applications()
        self.stdout.write("Demo logins (all with the same password):")
        for email, role in DEMO_USERS:
            self.stdout.write(f"  {email:<26} {role.label}")
        self.stdout.write(f"  {DEMO_ADMIN:<26} administrator (/admin/)")
        self.stdout.write(f"  password: {password}")

    def _seed_applications(self) -> None:
        """A few sent applications, in several languages and urgencies, opened into cases."""
        from django.db import transaction

        from cases.opening import case_open_submission
        from intake.models import Draft
        from intake.services import draft_save_step, draft_start, draft_submit

        if Draft.objects.exists():
            return
        for language, where_now, immigration in DEMO_APPLICATIONS:
            draft, dek, _code = draft_start(language=language)
            answers = {
                "filer": {"who": "family", "relationship": "sister", "consent": True},
                "applicant": {
                    "legal_name": f"Demo Applicant {language.upper()}",
                    "surname": f"Applicant{language.upper()}",
                    "other_names": [],
                    "date_of_birth": "1985-03-14",
                    "country_of_birth": "Demo",
                    "language": language,
                },
                "contact": {"where_now": where_now, "method": "mail", "address": "Demo"},
                "custody": {"facility": "Demo Facility", "din": "", "mail_read_by_others": True},
                "immigration": immigration,
                "story": {"text": "Demonstration data, not a real person."},
            }
            for step, data in answers.items():
                draft_save_step(draft=draft, dek=dek, step=step, data=data)
            with transaction.atomic():
                draft_submit(draft=draft, dek=dek)
            case_open_submission(draft_id=draft.pk)
