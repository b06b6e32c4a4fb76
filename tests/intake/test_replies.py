"""The applicant's answer from the status page: files and a message, sealed so that the public
side cannot read them afterwards, attached to the case by the worker under the case key; and a
way to be told "there is news", stored encrypted and used only for content-free messages."""

import re
import shutil
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from cases import workflow
from cases.models import (
    Applicant,
    ApplicantMessage,
    Case,
    CaseEvent,
    DeadlineKind,
    Document,
    Note,
    Notification,
    NotificationKind,
    State,
)
from cases.outreach import remind_applicants
from cases.replies import case_attach_reply
from cases.services import case_shred, document_read
from cases.workflow import cases_close_unresponsive
from clemency.security import drafts
from clemency.security.errors import DecryptionError, KeyNotAvailable
from clemency.security.storage import EncryptedDocumentStorage
from clemency.texting import MemoryBackend
from intake import replies
from intake.models import Draft, Reply, ReplyDocument
from intake.services import draft_save_step, draft_start, draft_submit
from tests.cases.conftest import complete_screening
from tests.documents import pdf

pytestmark = pytest.mark.django_db
MARKER = "-".join(["Marker", "Rosa", "Quispe"])
MESSAGE = f"{MARKER}: here is the certificate from the Bronx court."
EMAIL = "rosa.news@example.org"


@pytest.fixture
def waiting(staff, django_capture_on_commit_callbacks):
    """A sent application, opened into its case, which now waits for a certificate of
    disposition: (case, reference, status code)."""
    draft, dek, _code = draft_start(language="es")
    draft_save_step(
        draft=draft,
        dek=dek,
        step="applicant",
        data={"legal_name": f"{MARKER} Quispe", "surname": "Quispe", "date_of_birth": "1988-02-03"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        reference, status_code = draft_submit(draft=draft, dek=dek)
    case = Case.objects.get(pk=draft.pk)
    workflow.case_start_review(case=case, actor=staff, expected_state=State.INTAKE)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.case_request_info(
            case=case, actor=staff, expected_state=State.REVIEW, items=["disposition"]
        )
    mail.outbox.clear()
    return Case.objects.get(pk=case.pk), reference, status_code


def open_status(client: Client, reference: str, code: str):
    return client.post(
        reverse("intake:status"), {"reference": reference, "status_code": code}, follow=True
    )


def upload(name: str = "certificate.pdf", content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content or pdf("Certificate of disposition"))


def page_fields(client: Client) -> dict:
    """The hidden fields a browser sends back from the status page: which application the page
    is for, and the page's one-time token (none when the page is not open)."""
    page = client.get(reverse("intake:status")).text
    return dict(
        re.findall(r'<input type="hidden" name="(application|once)" value="([^"]*)">', page)
    )


def send(client: Client, **data):
    return client.post(reverse("intake:status_reply"), page_fields(client) | data, follow=True)


# --- The public side seals what it cannot read again -------------------------------------------


def test_a_reply_is_sealed_and_the_public_side_keeps_no_way_to_read_it(
    client, waiting, django_capture_on_commit_callbacks
):
    case, reference, code = waiting
    open_status(client, reference, code)
    with django_capture_on_commit_callbacks(execute=False) as queued:  # no worker yet
        response = send(client, message=MESSAGE, files=[upload()])
    assert response.status_code == 200
    assert "on its way to our team" in response.text
    assert len(queued) == 1  # the attachment waits for the worker
    reply = Reply.objects.get(draft_id=case.pk)
    assert (reply.files, reply.has_message, reply.attached_at) == (1, True, None)
    # Nothing readable is kept: not the message, not the file's name, not the key.
    row = b"".join(bytes(v) for v in (reply.sealed_key, reply.message))
    assert MARKER.encode() not in row
    document = ReplyDocument.objects.get(reply=reply)
    assert b"certificate" not in bytes(document.details)
    stored = b"".join(EncryptedDocumentStorage().ciphertext(document.object_name))
    assert b"Certificate of disposition" not in stored


def test_the_public_side_cannot_open_a_reply_and_the_staff_side_can(
    client, waiting, key_directory, tmp_path, django_capture_on_commit_callbacks
):
    case, reference, code = waiting
    public = tmp_path / "public"
    public.mkdir()
    shutil.copy(key_directory / "intake.pub", public / "intake.pub")
    with override_settings(KEY_DIR=public, SITE_ROLE="intake"):
        open_status(client, reference, code)
        with django_capture_on_commit_callbacks(execute=False):
            send(client, message=MESSAGE, files=[upload()])
        reply = Reply.objects.get(draft_id=case.pk)
        with pytest.raises(KeyNotAvailable):  # the public key set has no private key
            case_attach_reply(reply_id=reply.pk)
        # Nor does any key of a draft open it: each reply has its own.
        with pytest.raises(DecryptionError):
            drafts.decrypt_reply_content(
                bytes(reply.message),
                drafts.new_data_key(),
                part="message",
                reply_id=reply.pk,
                draft_id=case.pk,
            )
    attached = case_attach_reply(reply_id=reply.pk)  # the staff side, with the private key
    assert attached.pk == case.pk
    note = Note.objects.select_related("case").get(case=case)
    assert (note.text, note.from_applicant, note.author) == (MESSAGE, True, None)


def test_the_worker_attaches_files_under_the_case_key_and_the_request_is_answered(
    client, waiting, staff, django_capture_on_commit_callbacks
):
    case, reference, code = waiting
    before = Document.objects.filter(case=case).count()
    open_status(client, reference, code)
    with django_capture_on_commit_callbacks(execute=True):  # the worker runs (immediate)
        send(client, message=MESSAGE, files=[upload("acta.pdf")])
    reply = Reply.objects.get(draft_id=case.pk)
    assert reply.attached_at is not None
    assert (reply.sealed_key, reply.message, reply.contact) == (None, None, None)
    assert not ReplyDocument.objects.exists()
    document = Document.objects.select_related("case").exclude(
        pk__in=Document.objects.filter(case=case).order_by("uploaded_at")[:before]
    )
    (document,) = document
    assert document.original_name == "acta.pdf"
    assert document.uploaded_by is None
    content = b"".join(document_read(document=document, actor=staff))
    assert b"Certificate of disposition" in content
    case.refresh_from_db()
    assert case.info_answered_at is not None
    assert not case.deadlines.filter(kind=DeadlineKind.INFO_DUE, closed_at__isnull=True).exists()
    assert CaseEvent.objects.filter(case=case, action="applicant_replied").exists()
    # Whoever asked hears of it, and the status page says it arrived.
    assert Notification.objects.filter(
        case=case, kind=NotificationKind.APPLICANT_ANSWERED, recipient=staff
    ).exists()
    assert any(case.reference in m.body for m in mail.outbox if staff.email in m.to)
    page = client.get(reverse("intake:status"))
    assert "received by our team" in page.text
    assert "reached our team on" in page.text
    # Answered: not closed as unresponsive 30 days after the due date.
    assert cases_close_unresponsive(today=timezone.localdate() + timedelta(days=90)) == 0


def test_a_wrong_status_code_uploads_nothing(client, waiting):
    case, reference, _code = waiting
    wrong = open_status(client, reference, "AAAA-AAAA")
    assert "do not match" in wrong.text
    response = send(client, message=MESSAGE, files=[upload()])
    assert "enter its reference and code" in response.text
    assert not Reply.objects.exists()
    assert not ReplyDocument.objects.exists()
    assert Document.objects.filter(case=case).count() == 0


def test_access_ends_after_its_minutes_and_when_the_page_is_closed(client, waiting, settings):
    _case, reference, code = waiting
    open_status(client, reference, code)
    closed = client.post(reverse("intake:status_close"), follow=True)
    assert "The page is closed" in closed.text
    send(client, message=MESSAGE)
    assert not Reply.objects.exists()
    open_status(client, reference, code)
    session = client.session
    session[replies.ACCESS_KEY]["until"] = (timezone.now() - timedelta(seconds=1)).isoformat()
    session.save()
    send(client, message=MESSAGE)
    assert not Reply.objects.exists()


def test_a_refused_file_sends_nothing_and_keeps_the_message(client, waiting):
    _case, reference, code = waiting
    open_status(client, reference, code)
    response = client.post(
        reverse("intake:status_reply"),
        page_fields(client)
        | {"message": MESSAGE, "files": [upload(), upload("virus.exe", b"MZ\x90\x00" * 100)]},
    )
    assert response.status_code == 400
    assert "This file type is not accepted" in response.text
    assert "Please choose the files again" in response.text
    assert MARKER in response.text  # what was written is still there
    assert not Reply.objects.exists()
    assert not ReplyDocument.objects.exists()


def test_files_only_go_to_a_case_that_waits_for_them(client, waiting, staff):
    case, reference, code = waiting
    workflow.case_resume_review(case=case, actor=staff, expected_state=State.NEEDS_INFO)
    page = open_status(client, reference, code)
    assert "Send what we asked for" not in page.text
    response = send(client, message=MESSAGE, files=[upload()])
    assert "not waiting for papers" in response.text
    assert not Reply.objects.exists()


def test_an_application_takes_a_limited_number_of_replies_a_day(
    client, waiting, settings, django_capture_on_commit_callbacks
):
    settings.INTAKE_REPLY_LIMIT = 2
    _case, reference, code = waiting
    open_status(client, reference, code)
    with django_capture_on_commit_callbacks(execute=False):
        for _ in range(2):
            send(client, message="Another page.")
        refused = send(client, message=MESSAGE)
    assert "many replies today" in refused.text
    assert MARKER in refused.text
    assert Reply.objects.count() == 2


def test_replies_to_an_erased_case_are_deleted_unread(
    client, waiting, coordinator, django_capture_on_commit_callbacks
):
    case, reference, code = waiting
    open_status(client, reference, code)
    with django_capture_on_commit_callbacks(execute=False):
        send(client, message=MESSAGE, files=[upload()])
    name = ReplyDocument.objects.get().object_name
    with django_capture_on_commit_callbacks(execute=True):
        case_shred(case=case, actor=None, reason="request")
    assert not Reply.objects.exists()
    assert not EncryptedDocumentStorage().exists(name)


# --- "There is news": a way to be reached, and messages that say nothing else -------------------


def leave_contact(client: Client, **data):
    return client.post(reverse("intake:status_news"), page_fields(client) | data, follow=True)


def test_a_way_to_be_reached_is_stored_encrypted_and_used_for_content_free_news(
    client, waiting, staff, django_capture_on_commit_callbacks
):
    case, reference, code = waiting
    open_status(client, reference, code)
    with django_capture_on_commit_callbacks(execute=True):
        page = leave_contact(client, email=EMAIL, phone="(347) 555-0199")
    assert "we will send a short message" in page.text
    applicant = Applicant.objects.select_related("case").get(case=case)
    assert applicant.news_contact == {
        "email": EMAIL,
        "phone": "+13475550199",
        "language": "en",
    }
    with __import__("django.db").db.connection.cursor() as cursor:
        cursor.execute("SELECT news_contact FROM cases_applicant WHERE case_id = %s", [case.pk])
        (raw,) = cursor.fetchone()
    assert EMAIL.encode() not in bytes(raw)
    assert Draft.objects.get(pk=case.pk).news is True
    # News: staff go on with the case; the applicant gets one message on each channel.
    with django_capture_on_commit_callbacks(execute=True):
        workflow.case_resume_review(case=case, actor=staff, expected_state=State.NEEDS_INFO)
        complete_screening(case)
        workflow.case_accept(
            case=Case.objects.get(pk=case.pk), actor=staff, expected_state=State.REVIEW
        )
    news = [m for m in mail.outbox if m.to == [EMAIL]]
    assert len(news) == 1
    assert [to for to, _body in MemoryBackend.outbox] == ["+13475550199"]
    texts = [body for _to, body in MemoryBackend.outbox]
    assert news[0].subject == "There is news about your application"
    assert f"\n{settings.PUBLIC_SITE_URL}/status/\n" in news[0].body
    assert news[0].from_email == settings.APPLICANT_FROM_EMAIL
    assert texts == [
        "There is news about your application. Enter your reference and status code at "
        f"{settings.PUBLIC_SITE_URL}/status/"
    ]
    for text in [news[0].subject, news[0].body, *texts]:
        for value in (case.reference, MARKER, "Quispe", "1988", "disposition", "accepted"):
            assert value not in text, (value, text)
    assert ApplicantMessage.objects.filter(case=case, sent_at__isnull=False).count() == 1


def test_stopping_the_messages_forgets_the_contact(
    client, waiting, django_capture_on_commit_callbacks
):
    case, reference, code = waiting
    open_status(client, reference, code)
    with django_capture_on_commit_callbacks(execute=True):
        leave_contact(client, email=EMAIL)
        page = leave_contact(client, stop="on")
    assert "no more messages" in page.text
    assert Applicant.objects.select_related("case").get(case=case).news_contact is None
    assert Draft.objects.get(pk=case.pk).news is False


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ({"email": "not an address"}, "Enter a valid email address."),
        ({"phone": "555-01"}, "with its country code"),
        ({}, "Give an email address or a phone number"),
    ],
)
def test_a_wrong_contact_is_refused_with_what_was_typed_kept(client, waiting, typed, error):
    _case, reference, code = waiting
    open_status(client, reference, code)
    response = client.post(reverse("intake:status_news"), page_fields(client) | typed)
    assert response.status_code == 400
    assert error in response.text
    for value in typed.values():
        assert f'value="{value}"' in response.text
    assert not Reply.objects.exists()


def test_applicants_are_reminded_7_days_and_1_day_before_information_is_due_and_once(
    client, waiting, django_capture_on_commit_callbacks
):
    """With time moved day by day: the reminders come on the right days, and only once."""
    case, reference, code = waiting
    open_status(client, reference, code)
    with django_capture_on_commit_callbacks(execute=True):
        leave_contact(client, email=EMAIL)
    mail.outbox.clear()
    due = case.deadlines.get(kind=DeadlineKind.INFO_DUE).due_on

    def run(day) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return remind_applicants(today=day)

    sent = {}
    for offset in range(-10, 3):
        day = due + timedelta(days=offset)
        sent[offset] = run(day) + run(day)  # twice on the same day: once
    assert {offset: n for offset, n in sent.items() if n} == {-7: 1, -1: 1}
    reminders = [m for m in mail.outbox if m.to == [EMAIL]]
    assert len(reminders) == 2
    assert all(m.subject == "There is news about your application" for m in reminders)


def test_without_a_text_provider_the_page_offers_e_mail_only(client, waiting, settings):
    settings.TEXT_MESSAGE_BACKEND = ""
    _case, reference, code = waiting
    page = open_status(client, reference, code)
    assert 'id="id_email"' in page.text
    assert 'id="id_phone"' not in page.text
    refused = leave_contact(client)
    assert "Give an email address, or choose no messages." in refused.text


def test_news_goes_in_the_language_the_applicant_used(
    client, waiting, staff, settings, django_capture_on_commit_callbacks
):
    case, reference, code = waiting
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    open_status(client, reference, code)
    with django_capture_on_commit_callbacks(execute=True):
        leave_contact(client, email=EMAIL)  # attached by the worker at the commit
    with django_capture_on_commit_callbacks(execute=True):
        workflow.case_resume_review(case=case, actor=staff, expected_state=State.NEEDS_INFO)
        reviewed = Case.objects.get(pk=case.pk)
        complete_screening(case)
        workflow.case_accept(case=reviewed, actor=staff, expected_state=State.REVIEW)
    (news,) = [m for m in mail.outbox if m.to == [EMAIL]]
    assert news.subject == "هناك أخبار عن طلبك"
    assert "/status/" in news.body


# --- What the reviews of this page found ----------------------------------------------------------


@pytest.fixture
def second(staff, django_capture_on_commit_callbacks):
    """Another application, opened and waiting for the applicant: (case, reference, code)."""
    draft, dek, _code = draft_start(language="en")
    draft_save_step(draft=draft, dek=dek, step="story", data={"text": "Another story."})
    with django_capture_on_commit_callbacks(execute=True):
        reference, status_code = draft_submit(draft=draft, dek=dek)
    case = Case.objects.get(pk=draft.pk)
    workflow.case_start_review(case=case, actor=staff, expected_state=State.INTAKE)
    workflow.case_request_info(
        case=case, actor=staff, expected_state=State.REVIEW, items=["rap_sheet"]
    )
    return Case.objects.get(pk=case.pk), reference, status_code


def test_a_page_left_open_for_one_application_cannot_send_to_another(client, waiting, second):
    _first, first_reference, first_code = waiting
    _other, other_reference, other_code = second
    open_status(client, first_reference, first_code)
    first_page = page_fields(client)
    open_status(client, other_reference, other_code)  # another tab, the same browser
    refused = client.post(
        reverse("intake:status_reply"), first_page | {"message": MESSAGE, "files": [upload()]}
    )
    assert refused.status_code == 409
    assert "another application was opened" in refused.text
    assert MARKER in refused.text  # what was written, to copy
    assert not Reply.objects.exists()
    assert not ReplyDocument.objects.exists()


def test_the_same_form_sent_twice_is_kept_once(client, waiting, django_capture_on_commit_callbacks):
    _case, reference, code = waiting
    open_status(client, reference, code)
    fields = page_fields(client)
    with django_capture_on_commit_callbacks(execute=False):
        for _ in range(2):  # a double tap
            client.post(reverse("intake:status_reply"), fields | {"message": MESSAGE})
    assert Reply.objects.count() == 1


def test_when_the_page_has_closed_what_was_written_is_shown_to_copy(client, waiting):
    _case, reference, code = waiting
    open_status(client, reference, code)
    fields = page_fields(client)
    session = client.session
    session[replies.ACCESS_KEY]["until"] = (timezone.now() - timedelta(seconds=1)).isoformat()
    session.save()
    closed = client.post(reverse("intake:status_reply"), fields | {"message": MESSAGE})
    assert closed.status_code == 403
    assert 'id="id_reference"' in closed.text
    assert MARKER in closed.text
    assert not Reply.objects.exists()


def test_a_wrong_code_closes_the_page_that_was_open(client, waiting):
    _case, reference, code = waiting
    open_status(client, reference, code)
    open_status(client, reference, "AAAA-AAAA")  # the next person on a shared phone
    page = client.get(reverse("intake:status"))
    assert reference not in page.text
    assert 'id="id_reference"' in page.text


def test_files_a_day_are_limited_for_an_application_across_replies(
    client, waiting, settings, django_capture_on_commit_callbacks
):
    settings.INTAKE_MAX_FILES, settings.REPLY_MAX_FILES = 3, 2
    _case, reference, code = waiting
    open_status(client, reference, code)
    with django_capture_on_commit_callbacks(execute=False):
        send(client, files=[upload("a.pdf"), upload("b.pdf")])
        refused = send(client, files=[upload("c.pdf"), upload("d.pdf")])
    assert "You can send up to 3 files a day" in refused.text
    assert Reply.objects.count() == 1
    assert ReplyDocument.objects.count() == 2


def test_using_the_contact_is_audited_and_a_refusal_names_no_address(
    client, waiting, staff, monkeypatch, django_capture_on_commit_callbacks
):
    import smtplib

    from django.core.mail import EmailMessage

    from cases.tasks import NotSent, send_applicant_message
    from clemency.audit.models import AuditEvent

    case, reference, code = waiting
    open_status(client, reference, code)
    with django_capture_on_commit_callbacks(execute=True):
        leave_contact(client, email=EMAIL)

    class Refusing(EmailMessage):
        def send(self, fail_silently=False):
            raise smtplib.SMTPRecipientsRefused({self.to[0]: (550, b"unknown user")})

    monkeypatch.setattr("cases.tasks.EmailMessage", Refusing)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        workflow.case_resume_review(case=case, actor=staff, expected_state=State.NEEDS_INFO)
        complete_screening(case)
        workflow.case_accept(
            case=Case.objects.get(pk=case.pk), actor=staff, expected_state=State.REVIEW
        )
    message = ApplicantMessage.objects.get(case=case)
    with pytest.raises(NotSent) as refused:
        send_applicant_message.call(message_id=str(message.pk))
    assert EMAIL not in str(refused.value)
    assert queued  # it had been queued at the commit
    message.refresh_from_db()
    assert message.sent_at is not None  # at most once: not sent again by a retry
    send_applicant_message.call(message_id=str(message.pk))
    (read,) = AuditEvent.objects.filter(action="applicant.contact_read")
    assert read.case_id == case.pk
    assert EMAIL not in str(read.data)


def test_a_way_to_be_reached_left_before_the_case_is_opened_reaches_it(
    client, django_capture_on_commit_callbacks
):
    draft, dek, _code = draft_start(language="en")
    draft_save_step(draft=draft, dek=dek, step="story", data={"text": "A story."})
    with django_capture_on_commit_callbacks(execute=False):  # no worker yet
        reference, code = draft_submit(draft=draft, dek=dek)
    open_status(client, reference, code)
    with django_capture_on_commit_callbacks(execute=True):
        leave_contact(client, email=EMAIL)  # the worker runs: no case yet, so it waits
    assert Reply.objects.get().attached_at is None
    from cases.opening import case_open_submission

    with django_capture_on_commit_callbacks(execute=True):
        case = case_open_submission(draft_id=draft.pk)
    assert Reply.objects.get().attached_at is not None
    applicant = Applicant.objects.select_related("case").get(case=case)
    assert applicant.news_contact["email"] == EMAIL


def test_what_is_sent_to_an_erased_case_is_deleted_unread(
    client, waiting, staff, django_capture_on_commit_callbacks
):
    case, reference, code = waiting
    open_status(client, reference, code)
    with django_capture_on_commit_callbacks(execute=True):
        leave_contact(client, email=EMAIL)
        workflow.case_resume_review(case=case, actor=staff, expected_state=State.NEEDS_INFO)
    assert ApplicantMessage.objects.filter(case=case).exists() is False  # no stage change yet
    with django_capture_on_commit_callbacks(execute=True):
        complete_screening(case)
        workflow.case_accept(
            case=Case.objects.get(pk=case.pk), actor=staff, expected_state=State.REVIEW
        )
    assert ApplicantMessage.objects.filter(case=case).exists()
    with django_capture_on_commit_callbacks(execute=True):
        case_shred(case=Case.objects.get(pk=case.pk), actor=None, reason="request")
    assert not ApplicantMessage.objects.filter(case=case).exists()  # the history goes too
    with django_capture_on_commit_callbacks(execute=True):
        leave_contact(client, email="new@example.org")  # the page still opens: "closed"
    assert not Reply.objects.filter(attached_at__isnull=True).exists()
    assert Reply.objects.filter(draft_id=case.pk).count() == 0


def test_a_lost_attachment_is_queued_again(
    client, waiting, settings, django_capture_on_commit_callbacks
):
    from django.db.models import F
    from django_tasks_db.models import DBTaskResult

    from cases.replies import enqueue_waiting_replies

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    _case, reference, code = waiting
    open_status(client, reference, code)
    with django_capture_on_commit_callbacks(execute=False):  # the enqueue is lost
        send(client, message=MESSAGE)
    Reply.objects.update(created_at=F("created_at") - timedelta(minutes=11))
    assert enqueue_waiting_replies() == 1
    assert enqueue_waiting_replies() == 0  # queued now: not twice
    (task,) = DBTaskResult.objects.filter(task_path__endswith="attach_reply")
    assert task.args_kwargs["kwargs"] == {"reply_id": str(Reply.objects.get().pk)}


def test_a_made_up_form_token_is_ignored(client, waiting, django_capture_on_commit_callbacks):
    _case, reference, code = waiting
    open_status(client, reference, code)
    fields = page_fields(client) | {"once": "x" * 500}
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("intake:status_reply"), fields | {"message": MESSAGE})
    assert response.status_code == 302
    assert Reply.objects.get().once is None


def test_a_double_tap_at_the_day_s_limit_says_it_was_sent(
    client, waiting, settings, django_capture_on_commit_callbacks
):
    """The token is checked first, under the lock: the second of a double tap is the first."""
    settings.INTAKE_MAX_FILES = settings.REPLY_MAX_FILES = 2
    _case, reference, code = waiting
    open_status(client, reference, code)
    fields = page_fields(client)
    with django_capture_on_commit_callbacks(execute=False):
        for _ in range(2):
            response = client.post(
                reverse("intake:status_reply"),
                fields | {"files": [upload("a.pdf"), upload("b.pdf")]},
            )
            assert response.status_code == 302
    assert Reply.objects.count() == 1


def test_when_the_team_stops_waiting_what_was_written_is_shown_to_copy(client, waiting, staff):
    case, reference, code = waiting
    open_status(client, reference, code)
    fields = page_fields(client)
    workflow.case_resume_review(case=case, actor=staff, expected_state=State.NEEDS_INFO)
    response = client.post(reverse("intake:status_reply"), fields | {"message": MESSAGE})
    assert response.status_code == 409
    assert "not waiting for papers" in response.text
    assert MARKER in response.text
    assert not Reply.objects.exists()


def test_the_reply_and_the_contact_forms_of_one_page_are_each_kept(
    client, waiting, django_capture_on_commit_callbacks
):
    _case, reference, code = waiting
    open_status(client, reference, code)
    page = client.get(reverse("intake:status")).text
    tokens = re.findall(r'name="once" value="([^"]+)"', page)
    assert len(set(tokens)) == 2
    fields = {"application": reference}
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("intake:status_reply"), fields | {"once": tokens[0], "message": "Hi"})
        client.post(reverse("intake:status_news"), fields | {"once": tokens[1], "email": EMAIL})
    assert Reply.objects.count() == 2


def test_one_reply_carries_a_limited_number_of_megabytes(client, waiting, settings):
    settings.REPLY_MAX_REQUEST_MB = 1
    _case, reference, code = waiting
    open_status(client, reference, code)
    big = pdf("Certificate of disposition " * 40, lines=1200)
    assert len(big) > 1024 * 1024
    response = client.post(
        reverse("intake:status_reply"), page_fields(client) | {"files": [upload("big.pdf", big)]}
    )
    assert response.status_code == 400
    assert "You can send up to 1 MB of files at once" in response.text
    assert not Reply.objects.exists()
