"""Attaching what an applicant sent from the status page to their case (DESIGN.md §4.4;
ADR 0018). Staff side only: run by the worker (intake/tasks.py attach_reply).

A reply (intake.Reply) holds a data key sealed to the intake public key, a message and a contact
encrypted under it, and files stream-encrypted under it. Here the key is unsealed with the intake
private key; each file is re-encrypted under the case key as it streams (one segment in memory),
the message becomes a note marked as the applicant's, the contact replaces the case's way of
sending news; then everything sealed is cleared from the reply and its stored objects are
deleted. The request for information is marked answered (its deadline met, so the case is not
closed as unresponsive), the status page says so, and the people waiting hear of it.
"""

import contextlib
from datetime import timedelta
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from cases import deadlines, notifications, rules
from cases.models import (
    Applicant,
    Case,
    CaseEvent,
    DeadlineKind,
    DeadlineOutcome,
    Document,
    Note,
    NotificationKind,
    PendingDeletion,
    State,
)
from cases.publication import publish_status
from cases.services import document_store, purge_pending_deletions
from cases.tasks import tasks_in_hand
from clemency.accounts.roles import Role
from clemency.audit.log import record
from clemency.security.drafts import decrypt_document_details, decrypt_reply_content
from clemency.security.storage import EncryptedDocumentStorage
from clemency.security.unsealing import unseal_reply_key
from intake.models import Reply


def case_attach_reply(*, reply_id: UUID) -> Case | None:
    """Attach one reply to its case; None if there is nothing to do (attached already, the
    application not opened yet: its opening attaches it; the case erased: the reply is
    deleted unread).

    Locks the case, then the reply: the order a shred takes them in."""
    draft_id = Reply.objects.filter(pk=reply_id).values_list("draft_id", flat=True).first()
    if draft_id is None:
        return None
    stored: list[str] = []  # objects written under the case key, deleted again on failure
    try:
        with transaction.atomic():
            case = Case.objects.select_for_update().filter(pk=draft_id).first()
            reply = (
                Reply.objects.select_for_update()
                .filter(pk=reply_id, attached_at__isnull=True)
                .first()
            )
            if case is None or reply is None:
                return None
            documents = list(reply.documents.all())
            if case.is_shredded:
                _forget(reply, documents)
                return None
            _attach(case, reply, documents, stored)
    except BaseException:
        storage = EncryptedDocumentStorage()
        for name in stored:
            with contextlib.suppress(Exception):
                storage.delete(name)
        raise
    return case


def _attach(case: Case, reply: Reply, documents: list, stored: list[str]) -> None:
    key = unseal_reply_key(bytes(reply.sealed_key), reply_id=reply.pk, draft_id=case.pk)
    message = _open(reply.message, key, "message", reply)
    contact = _open(reply.contact, key, "contact", reply)
    storage = EncryptedDocumentStorage()
    for upload in documents:
        details = decrypt_document_details(
            bytes(upload.details), key, document_id=upload.pk, draft_id=case.pk
        )
        document = document_store(
            case=case,
            actor=None,
            kind=Document.Kind.OTHER,
            content=storage.open_plaintext(
                upload.object_name, key=key, case_id=case.pk, document_id=upload.pk
            ),
            original_name=details.get("name") or "",
            counted=False,  # stored and counted already: moved under the case key
        )
        stored.append(document.object_name)
    if message:
        Note.objects.create(case=case, author=None, text=message, from_applicant=True)
    if contact is not None:
        _set_news_contact(case, contact, language=reply.language)
    answered = bool(documents or message)
    if answered and case.state == State.NEEDS_INFO:
        case.info_answered_at = timezone.now()
        case.save(update_fields=["info_answered_at", "updated_at"])
        deadlines.close_open(case, {DeadlineKind.INFO_DUE}, DeadlineOutcome.MET)
        deadlines.refresh_next_deadline(case)
    if answered:
        CaseEvent.objects.create(
            case=case,
            actor=None,
            action="applicant_replied",
            from_state=case.state,
            to_state=case.state,
            data={"files": len(documents), "message": bool(message)},
        )
        notifications.notify(
            NotificationKind.APPLICANT_ANSWERED,
            case,
            _who_waits(case),
            occasion=f"reply:{reply.pk}",
        )
    _forget(reply, documents, attached=True)
    publish_status(case)
    record(
        "case.applicant_replied",
        case_id=case.pk,
        data={
            "reply": str(reply.pk),
            "files": len(documents),
            "message": bool(message),
            "contact": contact is not None,
        },
    )


def _open(blob, key: bytes, part: str, reply: Reply):
    if blob is None:
        return None
    return decrypt_reply_content(
        bytes(blob), key, part=part, reply_id=reply.pk, draft_id=reply.draft_id
    )


def _set_news_contact(case: Case, contact: dict, *, language: str) -> None:
    applicant = Applicant.objects.filter(case=case).first()
    if applicant is None:
        return
    if contact.get("stop") or not (contact.get("email") or contact.get("phone")):
        applicant.news_contact = None
    else:
        applicant.news_contact = {
            "email": contact.get("email") or "",
            "phone": contact.get("phone") or "",
            "language": language,
        }
    applicant.save(update_fields=["news_contact"])


def _who_waits(case: Case) -> list:
    """Whoever asked the applicant and the case's attorney, if they may still see the case;
    intake staff if neither."""
    asked = (
        CaseEvent.objects.filter(case=case, action="request_info")
        .select_related("actor")
        .order_by("-created_at")
        .first()
    )
    people = [
        person
        for person in (asked.actor if asked else None, case.assigned_attorney)
        if person is not None and person.is_active and rules.may_see(case, person)
    ]
    return people or list(notifications.people_in(Role.INTAKE_STAFF))


def _forget(reply: Reply, documents: list, *, attached: bool = False) -> None:
    """Clear what was sealed in the reply and delete its stored objects once this commits
    (listed for deletion in this transaction, so a failed delete is retried daily)."""
    names = [upload.object_name for upload in documents]
    PendingDeletion.objects.bulk_create(
        [PendingDeletion(object_name=name) for name in names], ignore_conflicts=True
    )
    reply.documents.all().delete()
    if attached:
        reply.sealed_key = reply.message = reply.contact = None
        reply.attached_at = timezone.now()
        reply.save(update_fields=["sealed_key", "message", "contact", "attached_at"])
    else:
        reply.delete()
    transaction.on_commit(purge_pending_deletions)


def attach_waiting_replies(case: Case) -> int:
    """Queue the attachment of replies sent before the application was opened (a way to be
    reached left on the status page at once). Called inside the opening's transaction."""
    from intake.tasks import attach_reply

    waiting = list(
        Reply.objects.filter(draft_id=case.pk, attached_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    for reply_id in waiting:
        transaction.on_commit(lambda pk=str(reply_id): attach_reply.enqueue(reply_id=pk))
    return len(waiting)


def enqueue_waiting_replies(*, waited: timedelta = timedelta(minutes=10)) -> int:
    """Queue the attachment again for every reply still waiting after ``waited`` whose case
    exists, with no attachment task waiting, lately started or failed; returns how many (the
    same sweep as for openings, cases/opening.py, for a killed worker or a lost enqueue)."""
    from intake.tasks import attach_reply

    cutoff = timezone.now() - waited
    waiting = {
        str(pk)
        for pk in Reply.objects.filter(
            created_at__lt=cutoff,
            attached_at__isnull=True,
            draft__opened_at__isnull=False,
        ).values_list("pk", flat=True)
    }
    if not waiting:
        return 0
    waiting -= tasks_in_hand(attach_reply, "reply_id", since=cutoff)
    for reply_id in sorted(waiting):
        attach_reply.enqueue(reply_id=reply_id)
    return len(waiting)
