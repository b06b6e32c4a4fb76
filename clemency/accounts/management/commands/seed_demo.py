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
        self.stdout.write("Demo logins (all with the same password):")
        for email, role in DEMO_USERS:
            self.stdout.write(f"  {email:<26} {role.label}")
        self.stdout.write(f"  {DEMO_ADMIN:<26} administrator (/admin/)")
        self.stdout.write(f"  password: {password}")
