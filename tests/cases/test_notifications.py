"""Notifications: sent by the worker after the change commits, once, in the recipient's
language, and carrying no personal data (checked against the case's decrypted values)."""

import pytest
from django.core import mail

from cases import workflow
from cases.models import Applicant, Case, Document, Notification, NotificationKind, State
from cases.notifications import notify
from cases.opening import case_open_submission
from cases.tasks import send_notification
from clemency.accounts.roles import Role
from intake.services import draft_save_step, draft_start, draft_submit
from tests.cases.conftest import add_document, make_case
from tests.clemency.subprocess_env import clean_environ, run_python
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
MARKER = "-".join(["Marker", "Maria", "Lopez"])


def personal_values(case) -> list[str]:
    """Every personal value of the case, decrypted, as a message could leak it."""
    applicant = Applicant.objects.select_related("case").get(case=case)
    values = [applicant.legal_name, applicant.a_number or "", str(applicant.date_of_birth or "")]
    values += [c.charge for c in case.convictions.select_related("case")]
    for step in (applicant.answers or {}).values():
        if isinstance(step, dict):
            values += [str(v) for v in step.values() if isinstance(v, str) and len(v) > 3]
    return [v for v in values if v]


def assert_content_free(case) -> None:
    assert mail.outbox, "no message was sent"
    for message in mail.outbox:
        text = message.subject + "\n" + message.body
        assert case.reference in text
        for value in personal_values(case):
            assert value not in text, (value, text)


@pytest.fixture
def p0_application(settings, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # opened here
    draft, dek, _code = draft_start(language="en")
    answers = {
        "applicant": {
            "legal_name": f"{MARKER} Garcia",
            "surname": "Garcia",
            "date_of_birth": "1990-05-17",
        },
        "contact": {"where_now": "ice_detention", "phone": "+1 718 555 0100"},
        "immigration": {"status": "permanent_resident", "a_number": "A123456789"},
        "convictions": {"list": [{"county": "Queens", "charge": "Criminal possession 7th"}]},
        "story": {"text": f"{MARKER} lives in Corona."},
    }
    for step, data in answers.items():
        draft_save_step(draft=draft, dek=dek, step=step, data=data)
    draft_submit(draft=draft, dek=dek)
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    return draft


def test_a_p0_application_tells_intake_staff_and_coordinators_at_once(
    p0_application, django_capture_on_commit_callbacks
):
    staff = UserFactory(role=Role.INTAKE_STAFF, language="en")
    coordinator = UserFactory(role=Role.COORDINATOR, language="es")
    UserFactory(role=Role.VOLUNTEER_ATTORNEY)  # not told
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        case = case_open_submission(draft_id=p0_application.pk)
    assert mail.outbox == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    assert case.urgency == "P0"
    assert sorted(m.to[0] for m in mail.outbox) == sorted([staff.email, coordinator.email])
    spanish = next(m for m in mail.outbox if m.to == [coordinator.email])
    assert "Caso" in spanish.subject
    assert f"/cases/{case.pk}/" in spanish.body
    assert_content_free(case)


@pytest.mark.parametrize("kind", list(NotificationKind))
def test_no_kind_of_message_carries_personal_data(
    p0_application, kind, django_capture_on_commit_callbacks
):
    case = case_open_submission(draft_id=p0_application.pk)
    mail.outbox.clear()
    person = UserFactory(role=Role.COORDINATOR, language="ar")
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(kind, case, [person], occasion="test") == 1
    assert_content_free(case)
    (message,) = mail.outbox
    assert message.to == [person.email]


def test_a_notification_goes_once(staff, django_capture_on_commit_callbacks):
    case = make_case(State.REVIEW)
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(NotificationKind.ASSIGNED, case, [staff], occasion="event-1") == 1
        assert notify(NotificationKind.ASSIGNED, case, [staff], occasion="event-1") == 0
    notification = Notification.objects.get()
    send_notification.call(notification_id=str(notification.pk))  # a retried task
    assert len(mail.outbox) == 1


def test_the_workflow_tells_whoever_must_act(
    coordinator, attorney, other_attorney, django_capture_on_commit_callbacks
):
    def committed(service, **arguments):
        with django_capture_on_commit_callbacks(execute=True):
            service(actor=coordinator, **arguments)

    case = make_case(State.ACCEPTED)
    committed(workflow.case_assign, case=case, expected_state=State.ACCEPTED, attorney=attorney)
    assert [m.to for m in mail.outbox] == [[attorney.email]]
    add_document(case, Document.Kind.DRAFT_PETITION)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.case_request_review(case=case, actor=attorney, expected_state=State.DRAFTING)
    assert mail.outbox[-1].to == [coordinator.email]
    committed(
        workflow.case_ask_changes,
        case=case,
        expected_state=State.QA_REVIEW,
        reason="Cite the statute.",
    )
    assert mail.outbox[-1].to == [attorney.email]
    assert "Cite the statute." not in mail.outbox[-1].body  # the reason stays in the system
    committed(
        workflow.case_reassign,
        case=Case.objects.get(pk=case.pk),
        expected_state=State.DRAFTING,
        attorney=other_attorney,
        reason="Leave.",
    )
    assert mail.outbox[-1].to == [other_attorney.email]
    assert len(mail.outbox) == 4
    assert Notification.objects.filter(sent_at__isnull=True).count() == 0


def test_development_writes_mail_to_files_under_var(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.MAILERS['default']['BACKEND'], settings.MAILERS['default']['OPTIONS'])"
    )
    result = run_python(
        code, clean_environ() | {"DJANGO_ENV": "development", "VAR_DIR": str(tmp_path)}
    )
    assert result.returncode == 0, result.stderr
    assert "filebased.EmailBackend" in result.stdout
    assert str(tmp_path / "mail") in result.stdout


def test_deadline_reminders_come_7_days_and_1_day_before_and_once_when_passed(
    staff, attorney, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from cases.notifications import remind_of_deadlines

    today = timezone.localdate()
    mine = make_case(State.DRAFTING, attorney=attorney)
    nobodys = make_case(State.REVIEW)
    workflow.case_add_deadline(case=mine, actor=None, kind="filing", due_on=today + timedelta(10))
    workflow.case_add_deadline(
        case=nobodys, actor=None, kind="hearing", due_on=today + timedelta(3)
    )

    def run(day) -> list[str]:
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            remind_of_deadlines(today=day)
        return sorted(m.to[0] for m in mail.outbox)

    assert run(today) == []
    assert run(today + timedelta(3)) == [attorney.email]  # 7 days before: the attorney
    assert run(today + timedelta(3)) == []  # the same day again: nothing
    assert run(today + timedelta(2)) == [staff.email]  # 1 day before, no attorney: staff
    # The hearing passed (still open): staff hear of it at the first run after; the filing is
    # 1 day off: the attorney.
    assert run(today + timedelta(9)) == [attorney.email, staff.email]
    assert run(today + timedelta(11)) == [attorney.email]  # the filing passed; the hearing: said
    assert run(today + timedelta(12)) == []  # each said once
    assert (
        "has passed" in Notification.objects.filter(kind="deadline_past").first().get_kind_display()
    )


def test_cases_stuck_in_one_state_are_flagged_once_and_shown(
    client_for, coordinator, settings, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from cases.notifications import flag_stuck_cases

    settings.STUCK_AFTER_DAYS = 30
    stuck, moving = make_case(State.REVIEW), make_case(State.REVIEW)
    Case.objects.filter(pk=stuck.pk).update(state_changed_at=timezone.now() - timedelta(days=31))
    with django_capture_on_commit_callbacks(execute=True):
        assert flag_stuck_cases(now=timezone.now()) == 1
        assert flag_stuck_cases(now=timezone.now()) == 0  # once per stay in the state
    assert [m.to for m in mail.outbox] == [[coordinator.email]]
    assert_content_free(stuck)
    page = client_for("coordinator").get("/cases/", {"stuck": "on"}).text
    assert stuck.reference in page
    assert moving.reference not in page
    assert ">stuck</span>" in page


def test_what_waits_for_someone_is_on_their_landing_page_until_seen(
    client_for, coordinator, attorney, other_attorney
):
    from django.urls import reverse

    case = make_case(State.DRAFTING, attorney=attorney)
    notify(NotificationKind.ASSIGNED, case, [attorney], occasion="a")
    notify(NotificationKind.REVIEW_WAITING, case, [coordinator], occasion="b")
    client = client_for("attorney")
    page = client.get(reverse("cases:my-cases")).text
    assert "Waiting for you" in page
    assert "A case was given to you" in page
    assert "A draft waits for review" not in page  # the coordinator's
    client.get(reverse("cases:case", kwargs={"case_id": case.pk}))  # seen
    assert "A case was given to you" not in client.get(reverse("cases:my-cases")).text
    client.logout()

    coordinator_client = client_for("coordinator")
    assert "A draft waits for review" in coordinator_client.get(reverse("cases:coordination")).text
    mine = Notification.objects.get(recipient=coordinator)
    done = reverse("cases:notification-done", kwargs={"notification_id": mine.pk})
    coordinator_client.logout()
    assert client_for("other_attorney").post(done).status_code == 404  # not theirs
    client_for("other_attorney").logout()
    assert client_for("coordinator").post(done).status_code == 302
    assert (
        "Nothing waits for you."
        in client_for("coordinator").get(reverse("cases:coordination")).text
    )


def test_a_person_can_take_a_kind_as_a_daily_digest(
    client_for, attorney, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    from cases.notifications import send_digests

    client = client_for("attorney")
    assert client.get(reverse("cases:notification-choices")).status_code == 200
    choices = dict.fromkeys(NotificationKind.values, "now") | {"assigned": "digest"}
    assert client.post(reverse("cases:notification-choices"), choices).status_code == 302
    first, second = make_case(State.DRAFTING), make_case(State.DRAFTING)
    with django_capture_on_commit_callbacks(execute=True):
        notify(NotificationKind.ASSIGNED, first, [attorney], occasion="1")
        notify(NotificationKind.ASSIGNED, second, [attorney], occasion="2")
        notify(NotificationKind.CHANGES_ASKED, first, [attorney], occasion="3")  # at once
    assert len(mail.outbox) == 1
    mail.outbox.clear()
    assert send_digests() == 1
    (digest,) = mail.outbox
    assert digest.subject == "2 things wait for you"
    assert first.reference in digest.body
    assert second.reference in digest.body
    assert_content_free(first)
    assert send_digests() == 0  # each goes once


def test_the_waiting_list_is_two_queries_however_long(staff, django_assert_num_queries):
    from cases import rules
    from cases.notifications import waiting_for

    for number in range(12):
        notify(NotificationKind.P0_ARRIVED, make_case(State.INTAKE), [staff], occasion=str(number))
    rules.sees_all(staff)  # the role, loaded once per request anyway
    with django_assert_num_queries(2):  # their notifications, then those cases
        assert len(waiting_for(staff)) == 10


def test_the_daily_reminders_take_the_same_queries_for_3_or_30_cases(
    staff, coordinator, attorney, settings, django_capture_on_commit_callbacks
):
    """A thousand at a time: the number of queries does not grow with the cases (the
    benchmark runs them over 100,000)."""
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from cases.models import Deadline, DeadlineKind
    from cases.notifications import flag_stuck_cases, remind_of_deadlines

    settings.STUCK_AFTER_DAYS = 30
    today = timezone.localdate()
    long_ago = timezone.now() - timedelta(days=40)

    def add(count: int) -> None:
        for number in range(count):
            case = make_case(State.DRAFTING if number % 2 else State.REVIEW, attorney=None)
            Case.objects.filter(pk=case.pk).update(state_changed_at=long_ago)
            Deadline.objects.create(
                case=case, kind=DeadlineKind.CUSTOM, due_on=today + timedelta(7), source="staff"
            )
            Deadline.objects.create(
                case=case, kind=DeadlineKind.CUSTOM, due_on=today - timedelta(2), source="staff"
            )

    def queries(job) -> tuple[int, int, int]:
        with (
            django_capture_on_commit_callbacks(execute=False) as queued,
            CaptureQueriesContext(connection) as captured,
        ):
            made = job()
        return len(captured), made, len(queued)

    add(3)
    few = [queries(lambda: remind_of_deadlines(today=today))]
    few.append(queries(lambda: flag_stuck_cases(now=timezone.now())))
    Notification.objects.all().delete()
    add(27)
    many = [queries(lambda: remind_of_deadlines(today=today))]
    many.append(queries(lambda: flag_stuck_cases(now=timezone.now())))
    assert [q for q, _made, _tasks in few] == [q for q, _made, _tasks in many]
    assert [made for _q, made, _tasks in many] == [60, 30]  # 2 reminders a case; 1 coordinator
    # Sent by one task per kind and hundred: near and past; stuck.
    assert [tasks for _q, _made, tasks in many] == [2, 1]


def test_the_daily_jobs_cross_batch_boundaries_and_send_each_reminder_once(
    staff, coordinator, attorney, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """Seven cases two at a time: every reminder, stuck flag, urgency and applicant message
    exactly once, and nothing on a second run the same day."""
    from datetime import timedelta

    from django.utils import timezone

    from cases.deadlines import recompute_urgencies
    from cases.models import Applicant, ApplicantMessage, Deadline, DeadlineKind
    from cases.notifications import flag_stuck_cases, remind_of_deadlines
    from cases.outreach import remind_applicants
    from clemency.common import batches

    monkeypatch.setattr(batches, "BATCH", 2)
    settings.STUCK_AFTER_DAYS = 30
    today = timezone.localdate()
    for number in range(7):
        case = make_case(State.NEEDS_INFO, attorney=attorney if number % 2 else None)
        Case.objects.filter(pk=case.pk).update(
            state_changed_at=timezone.now() - timedelta(days=40), urgency_basis="P3"
        )
        for days in (7, 1, -2):
            Deadline.objects.create(
                case=case, kind=DeadlineKind.INFO_DUE, due_on=today + timedelta(days), source="x"
            )
        applicant = Applicant.objects.select_related("case").get(case=case)
        applicant.news_contact = {"email": f"a{number}@example.org", "phone": "", "language": "en"}
        applicant.save()

    def day() -> tuple[int, int, int, int]:
        with django_capture_on_commit_callbacks(execute=False):
            return (
                remind_of_deadlines(today=today),
                flag_stuck_cases(now=timezone.now()),
                recompute_urgencies(today=today),
                remind_applicants(today=today),
            )

    # Reminders: 3 deadlines a case, to its attorney (3 cases) or the one intake staff (4);
    # stuck: 7 to the one coordinator; urgency: computed from the basis, P3 (information due
    # does not raise it); applicants: 7 days and 1 day before, for each of the 7.
    assert day() == (21, 7, 7, 14)
    assert day() == (0, 0, 0, 0)
    assert ApplicantMessage.objects.count() == 14
    assert set(Case.objects.values_list("urgency", flat=True)) == {"P3"}
