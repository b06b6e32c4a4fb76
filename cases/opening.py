"""Opening a submitted application into a case (DESIGN.md §4.3). Staff side only.

The sealed data key is opened with the intake private key and becomes the case key, and the
case takes the draft's UUID, so the documents uploaded with the draft (encrypted under that key
and bound to that UUID) stay readable without re-encryption. The answers are decrypted
once, written into the case's encrypted fields, and deleted from the draft with the sealed key;
the draft keeps when it was opened and the case's public stage (cases/publication.py).

Answers, as the intake wizard stores them (step -> fields), as far as opening reads them::

    applicant:   legal_name, surname, other_names [..], date_of_birth (ISO date)
    contact:     where_now (home | ice_detention | state_prison | outside_us)
    immigration: status, a_number, removal_pending, next_hearing, final_order, ice_check_in,
                 removal_imminent, deported_before
    convictions: list [{county, court, docket, charge, date, sentence, complete}], outside_ny
    story:       text

The whole application (but the documents' list) is also kept, encrypted, on the Applicant for
the case page.
"""

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cases import deadlines, notifications
from cases.law import SentenceStatus
from cases.models import Applicant, Case, ConsentBy, ConsentHow, Document
from cases.publication import publish_status
from cases.replies import attach_waiting_replies
from cases.services import case_add_conviction, case_create, case_set_identity_indexes
from cases.tasks import tasks_in_hand
from cases.urgency import basis_from_answers
from clemency.audit.log import record
from clemency.security.drafts import decrypt_answers, decrypt_document_details
from clemency.security.unsealing import unseal_draft_key
from intake.models import Draft


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def consent_from_answers(answers: dict) -> str:
    """Who agreed in the intake: the person, or someone filing for them who confirmed the
    person knows and agrees ("" if the application recorded no consent)."""
    filer = answers.get("filer") or {}
    consent = answers.get("consent") or {}
    agreed = consent.get("agrees") is True or filer.get("consent") is True  # older drafts
    if not agreed:
        return ""
    # As the box was ticked: by the person, or by someone filing for them (intake/steps.py
    # asks again when who files changes; older drafts have no mark, and their filer answer).
    on_behalf = consent.get("for_someone", filer.get("who") != "applicant")
    return ConsentBy.ON_BEHALF if on_behalf else ConsentBy.PERSON


# The intake's answer to "is the sentence finished?" (intake/forms.py SENTENCE_ANSWERS).
SENTENCE_STATUS = {
    "finished": SentenceStatus.COMPLETE,
    "in_custody": SentenceStatus.IN_CUSTODY,
    "supervision": SentenceStatus.NOT_FINISHED,  # probation or parole: staff find out which
}


def _sentence_complete(item: dict) -> bool | None:
    if "sentence_status" in item:
        status = SENTENCE_STATUS.get(item["sentence_status"])
        return None if status is None else status == SentenceStatus.COMPLETE
    return item.get("complete")  # drafts from before the question had three answers


def case_open_submission(*, draft_id: UUID) -> Case | None:
    """Open one submitted draft; None if it was opened already (tasks may run twice)."""
    with transaction.atomic():
        draft = (
            Draft.objects.select_for_update()
            .filter(pk=draft_id, submitted_at__isnull=False, opened_at__isnull=True)
            .first()
        )
        if draft is None:
            return None
        dek = unseal_draft_key(bytes(draft.sealed_key), draft_id=draft.pk)
        answers = decrypt_answers(bytes(draft.answers), dek, draft_id=draft.pk)
        # The case takes the draft's UUID: files uploaded with the draft are bound to it.
        case = case_create(actor=None, data_key=dek, reference=draft.reference, case_id=draft.pk)
        basis = basis_from_answers(answers)
        case.urgency_basis, case.urgency_basis_reason = basis.urgency, basis.reason
        case.urgency = case.urgency_computed = basis.urgency  # until its deadlines are in
        case.urgency_reason = basis.reason
        # The person's own language where it is one of ours, else the one the form was filled in.
        preferred = (answers.get("applicant") or {}).get("language")
        case.language = preferred if preferred in dict(settings.LANGUAGES) else draft.language
        case.consent_by = consent_from_answers(answers)
        if case.consent_by == ConsentBy.PERSON:  # the person agreed, themselves
            case.person_consent_on = timezone.localdate(draft.submitted_at)
            case.person_consent_how = ConsentHow.APPLICATION
        case.save(
            update_fields=[
                "consent_by",
                "person_consent_on",
                "person_consent_how",
                "urgency",
                "urgency_computed",
                "urgency_reason",
                "urgency_basis",
                "urgency_basis_reason",
                "language",
                "updated_at",
            ]
        )

        person = answers.get("applicant") or {}
        immigration = answers.get("immigration") or {}
        birth = _date(person.get("date_of_birth"))
        Applicant.objects.create(
            case=case,
            legal_name=person.get("legal_name") or "",
            other_names=person.get("other_names") or [],
            date_of_birth=birth,
            a_number=immigration.get("a_number") or None,
            story=(answers.get("story") or {}).get("text") or None,
            answers={k: v for k, v in answers.items() if k != "documents"},
        )
        convictions = answers.get("convictions") or {}
        # The intake lists at most MAX_CONVICTIONS; any beyond stay in the answers kept above.
        for item in (convictions.get("list") or [])[: settings.MAX_CONVICTIONS]:
            case_add_conviction(
                case=case,
                actor=None,
                county=""
                if item.get("county") == "unknown"
                else str(item.get("county") or "")[:40],
                court=str(item.get("court") or "")[:200],
                sentence_complete=_sentence_complete(item),
                sentence_status=SENTENCE_STATUS.get(item.get("sentence_status")),
                charge=item.get("charge") or "",
                docket=item.get("docket") or None,
                convicted_on=_date(item.get("date")),
                sentence=item.get("sentence") or None,
            )
        deadlines.from_answers(case, answers)  # a hearing, an ICE check-in
        surname = person.get("surname") or (person.get("legal_name") or "").split(" ")[-1]
        case_set_identity_indexes(
            case=case,
            a_number=immigration.get("a_number"),
            surname=surname or None,
            date_of_birth=birth,
        )
        for upload in draft.documents.all():
            details = decrypt_document_details(
                bytes(upload.details), dek, document_id=upload.pk, draft_id=draft.pk
            )
            Document.objects.create(
                id=upload.pk,
                case=case,
                object_name=upload.object_name,
                size=upload.size,
                original_name=details.get("name") or "",
                content_type=details.get("type") or "",
            )
        draft.documents.all().delete()
        draft.opened_at, draft.answers, draft.sealed_key = timezone.now(), None, None
        draft.save(update_fields=["opened_at", "answers", "sealed_key", "updated_at"])
        publish_status(case)
        notifications.after_opening(case)
        attach_waiting_replies(case)  # a way to be reached, left before it was opened
        record(
            "case.opened",
            case_id=case.pk,
            # The public side writes no audit events (it holds no audit key): the submission's
            # own time is recorded here, by the staff side, when it is opened.
            data={
                "draft": str(draft.pk),
                "urgency": case.urgency,
                "submitted_at": draft.submitted_at.isoformat(),
            },
        )
    return case


WAIT_WARNING = timedelta(minutes=5)


def waiting_to_be_opened(*, waited: timedelta = WAIT_WARNING) -> int:
    """How many sent applications have waited longer than ``waited`` to become cases: more
    than none means no worker is opening them (staff pages say so)."""
    return Draft.objects.filter(
        submitted_at__lt=timezone.now() - waited, opened_at__isnull=True
    ).count()


def enqueue_waiting_submissions(*, waited: timedelta = timedelta(minutes=10)) -> int:
    """Queue the opening again for every sent application still sealed after ``waited`` with no
    opening task waiting or lately started; returns how many.

    Two ways an application can be sent and never opened: the worker was killed in the middle
    of the task (django-tasks-db leaves it "running" for ever and never retries it), or the
    enqueue after the send's commit was lost with the connection. Opening twice is harmless:
    the second run finds the application opened and does nothing.
    """
    from intake.tasks import open_submission

    cutoff = timezone.now() - waited
    waiting = {
        str(pk)
        for pk in Draft.objects.filter(
            submitted_at__lt=cutoff, opened_at__isnull=True, sealed_key__isnull=False
        ).values_list("pk", flat=True)
    }
    if not waiting:
        return 0
    waiting -= tasks_in_hand(open_submission, "draft_id", since=cutoff)
    for draft_id in sorted(waiting):
        open_submission.enqueue(draft_id=draft_id)
    return len(waiting)
