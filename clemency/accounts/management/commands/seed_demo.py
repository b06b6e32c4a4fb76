"""Create demonstration accounts and demonstration cases, one or more in every state.

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
# (language, where the person is, immigration answers, the state to bring the case to, attorney)
DEMO_APPLICATIONS = [
    ("es", "ice_detention", {"status": "permanent_resident"}, "intake", None),  # P0
    ("ht", "home", {"status": "none", "final_order": True}, "review", None),  # P1
    ("ar", "home", {"status": "permanent_resident"}, "needs_info", None),  # P2
    ("bn", "outside_us", {"status": "none", "deported_before": True}, "accepted", None),  # P3
    ("fr", "home", {"status": "unknown"}, "drafting", "attorney1@example.org"),  # P4
    (
        "es",
        "home",
        {"status": "none", "removal_imminent": True},
        "qa_review",
        "attorney1@example.org",
    ),
    ("ht", "home", {"status": "permanent_resident"}, "drafting", "attorney2@example.org"),
    ("en", "home", {"status": "visa"}, "submitted", "attorney2@example.org"),
    ("ar", "home", {"status": "permanent_resident"}, "decided", "attorney2@example.org"),
    ("bn", "home", {"status": "unknown"}, "closed", None),
]
# The transitions (workflow function, acting role) that bring a new case to each state.
PATHS = {
    "intake": [],
    "review": ["start_review"],
    "needs_info": ["start_review", "request_info"],
    "accepted": ["start_review", "accept"],
    "drafting": ["start_review", "accept", "assign"],
    "qa_review": ["start_review", "accept", "assign", "request_review"],
    "submitted": ["start_review", "accept", "assign", "request_review", "submit"],
    "decided": ["start_review", "accept", "assign", "request_review", "submit", "decide"],
    "closed": ["start_review", "close"],
}
DEMO_PDF = b"%PDF-1.7\n% Demonstration document, not a real petition.\n%%EOF\n"


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
        self.stdout.write(
            "Each account sets up its second sign-in step (authenticator app or passkey) at its "
            "first sign-in."
        )
        self.stdout.write("Demo logins (all with the same password):")
        for email, role in DEMO_USERS:
            self.stdout.write(f"  {email:<26} {role.label}")
        self.stdout.write(f"  {DEMO_ADMIN:<26} administrator (/admin/)")
        self.stdout.write(f"  password: {password}")

    def _seed_applications(self) -> None:
        """A few sent applications, in several languages and urgencies, opened into cases."""
        from django.db import transaction

        from cases.models import Case
        from cases.opening import case_open_submission
        from intake.models import Draft
        from intake.services import draft_save_step, draft_start, draft_submit

        if Draft.objects.exists():
            return
        for language, where_now, immigration, state, attorney in DEMO_APPLICATIONS:
            draft, dek, _code = draft_start(language=language)
            answers = {
                "filer": {"who": "family", "relationship": "sister"},
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
                "convictions": {
                    "list": [
                        {
                            "county": "Queens",
                            "court": "Queens County Criminal Court",
                            "docket": "2014QN000000",
                            "charge": "Demonstration charge",
                            "date": "2014-03-02",
                            "sentence": "Probation",
                            "sentence_status": "finished",
                        }
                    ],
                    "outside_ny": False,
                },
                "story": {"text": "Demonstration data, not a real person."},
                "consent": {"understood": True, "agrees": True},
            }
            for step, data in answers.items():
                draft_save_step(draft=draft, dek=dek, step=step, data=data)
            with transaction.atomic():
                draft_submit(draft=draft, dek=dek)
            # A worker may have opened it already (tasks run at once in some setups).
            case = case_open_submission(draft_id=draft.pk) or Case.objects.get(pk=draft.pk)
            self._advance(case, PATHS[state], attorney)

    def _advance(self, case, path: list[str], attorney_email: str | None) -> None:
        """Bring a demo case along its path with the real workflow, as the roles would."""
        from datetime import timedelta

        from django.utils import timezone

        from cases import decisions, screening, workflow
        from cases.models import Document
        from cases.services import document_store

        today = timezone.localdate()
        staff = User.objects.get(email="staff@example.org")
        coordinator = User.objects.get(email="coordinator@example.org")
        attorney = User.objects.get(email=attorney_email) if attorney_email else None

        def upload(kind: str, name: str) -> None:
            document_store(
                case=case,
                actor=attorney or coordinator,
                content=DEMO_PDF,
                original_name=name,
                kind=kind,
            )

        steps = {
            "start_review": lambda: workflow.case_start_review(
                case=case, actor=staff, expected_state="intake"
            ),
            "request_info": lambda: workflow.case_request_info(
                case=case, actor=staff, expected_state="review", items=["disposition", "call"]
            ),
            "accept": lambda: (
                screen(),
                workflow.case_accept(case=case, actor=staff, expected_state="review"),
            ),
            "assign": lambda: workflow.case_assign(
                case=case,
                actor=coordinator,
                expected_state="accepted",
                attorney=attorney,
                deadline=today + timedelta(days=45),
            ),
            "request_review": lambda: (
                upload(Document.Kind.DRAFT_PETITION, "draft-petition.pdf"),
                workflow.case_request_review(case=case, actor=attorney, expected_state="drafting"),
            ),
            "submit": lambda: (
                screening.case_record_consent(
                    case=case, actor=coordinator, on=today, how="signed"
                ),  # the sister confirmed; the person signed the consent form
                upload(Document.Kind.FINAL_PETITION, "petition.pdf"),
                upload(Document.Kind.FILING_PROOF, "filing-receipt.pdf"),
                workflow.case_submit(
                    case=case,
                    actor=coordinator,
                    expected_state="qa_review",
                    filed_on=today,
                    channel="email",
                    signed_off_on=today,
                ),
            ),
            "decide": lambda: decisions.case_decide(
                case=case,
                actor=coordinator,
                expected_state="submitted",
                decided_on=today,
                decisions=[
                    decisions.Decision(str(conviction.pk), "pardon", "conditional_pardon")
                    for conviction in case.convictions.all()
                ],
            ),
            "close": lambda: workflow.case_close(
                case=case,
                actor=staff,
                expected_state="review",
                closure_reason="ineligible",
                reason="Demonstration: no New York conviction; referred to a legal aid office.",
                referrals=["immigration_counsel", "other"],
            ),
        }

        def screen() -> None:
            """Staff give the demo conviction its facts and screen for a pardon."""
            for conviction in case.convictions.all():
                screening.case_save_conviction(
                    case=case,
                    actor=staff,
                    conviction_id=conviction.pk,
                    values={
                        **{name: getattr(conviction, name) for name in screening.CONVICTION_FIELDS},
                        "category": "theft_fraud",
                        "statute": "PL 155.25",
                        "sentence_status": "complete",
                    },
                )
            screening.case_save_screening(
                case=case,
                actor=staff,
                relief="pardon",
                grounds={str(c.pk): ["cimt"] for c in case.convictions.all()},
            )

        for step in path:
            steps[step]()
