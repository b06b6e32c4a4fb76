"""Workflows across the case models (DESIGN.md §9).

Every function is keyword-only, typed and atomic, writes its audit event in the same transaction,
and leaves side effects on storage for after the commit. Audit data carries ids, kinds and reason
codes, never personal values.
"""

import contextlib
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import rules, uploads
from cases.models import (
    Applicant,
    ApplicantMessage,
    BlindIndex,
    Case,
    CaseEvent,
    CaseUserObjectPermission,
    Conviction,
    ConvictionOutcome,
    Deadline,
    Document,
    Note,
    PendingDeletion,
    Screening,
    State,
)
from cases.publication import publish_status
from clemency.audit.log import record
from clemency.common import filetypes
from clemency.common.text import clean_file_name
from clemency.security import casekeys, keys
from clemency.security.blind_index import (
    IndexKind,
    blind_index,
    normalize_a_number,
    normalize_surname_dob,
)
from clemency.security.keylock import using_keys
from clemency.security.provider import get_provider
from clemency.security.storage import (
    EncryptedDocumentStorage,
    EncryptedUploadedFile,
    PlaintextSource,
)
from intake.models import Reply, ReplyDocument

logger = logging.getLogger(__name__)


class CaseError(Exception):
    """A rule of the case workflow refused the action; the message is safe to show."""


class CaseConflict(CaseError):
    """Someone changed the case since the user loaded it: nothing was changed; reload."""


class CaseForbidden(CaseError):
    """The user may see the case but not do this (a 403)."""


def document_storage() -> EncryptedDocumentStorage:
    return EncryptedDocumentStorage()


def case_create(
    *,
    actor=None,
    data_key: bytes | None = None,
    reference: str | None = None,
    case_id: uuid.UUID | None = None,
) -> Case:
    """A new case with its own data key (or, when opening a submission, the draft's key,
    reference and UUID)."""
    case = Case(id=case_id or uuid.uuid4())
    if reference:
        case.reference = reference
    with transaction.atomic():
        using_keys()  # the KEK it is wrapped under is not retired before this commits
        if data_key is None:
            casekeys.issue_case_key(case)
        else:
            casekeys.adopt_case_key(case, data_key)
        case.save(force_insert=True)
        record("case.created", actor=actor, case_id=case.pk)
    return case


def case_set_identity_indexes(
    *, case: Case, a_number: str | None, surname: str | None, date_of_birth: date | None
) -> None:
    """Replace the case's blind indexes (possible-duplicate checks) from its identity facts."""
    key, bits = get_provider().index_key(), settings.BLIND_INDEX_BITS
    rows = []
    if a_number:
        try:
            normalized = normalize_a_number(a_number)
        except ValueError:
            normalized = None
        if normalized:
            value = blind_index(IndexKind.A_NUMBER, normalized, key=key, bits=bits)
            rows.append(BlindIndex(case=case, kind=BlindIndex.Kind.A_NUMBER, value=value))
    if surname and date_of_birth:
        try:
            normalized = normalize_surname_dob(surname, date_of_birth)
        except ValueError:
            normalized = None
        if normalized:
            value = blind_index(IndexKind.SURNAME_DOB, normalized, key=key, bits=bits)
            rows.append(BlindIndex(case=case, kind=BlindIndex.Kind.SURNAME_DOB, value=value))
    with transaction.atomic():
        case.blind_indexes.all().delete()
        BlindIndex.objects.bulk_create(rows)


def possible_duplicates(case: Case, user) -> QuerySet[Case]:
    """Other live cases this user may see sharing a blind index with this one: only ever
    'possible duplicates'."""
    if not rules.may_see_duplicates(case, user):
        return Case.objects.none()
    match = Q()
    for kind, value in case.blind_indexes.values_list("kind", "value"):
        match |= Q(blind_indexes__kind=kind, blind_indexes__value=value)
    if not match:
        return Case.objects.none()
    linked = Q(pk=case.pk) | Q(previous_case=case)  # itself, and the application after it
    if case.previous_case_id:
        linked |= Q(pk=case.previous_case_id)  # the one it follows is no surprise
    return Case.objects.visible_to(user).live().filter(match).exclude(linked).distinct()


def _lock_live(case: Case) -> None:
    """Lock the case's row (what a case part's save and a shred lock too) for the rest of the
    transaction, so that budgets counted next stay true until it commits; refuse a shredded
    case, as a case part's save would."""
    if not Case.objects.select_for_update().live().filter(pk=case.pk).exists():
        raise casekeys.CaseKeyShredded("This case has been shredded.")


def document_store(
    *,
    case: Case,
    actor,
    kind: str,
    upload: EncryptedUploadedFile | None = None,
    content: PlaintextSource | None = None,
    original_name: str = "",
    counted: bool = True,
) -> Document:
    """Store a file for a case, encrypted under the case key: the one way a case gets a document.

    Either ``upload``, a file the encrypting upload handler already encrypted as it arrived
    (cases/views.py), or plaintext ``content`` (demo data, commands), encrypted as it streams.
    The type is told from the file's first bytes, never from its name. An upload's contents are
    checked before anything is kept (clemency/common/contents.py, read back through a
    decrypting view); ``content`` comes from our own code and is checked for its type only.
    The case's budget (files, bytes) and the storage quota are counted under the case's row
    lock, so two uploads at once cannot both take the last place (cases/uploads.py). The stored
    object is deleted again if anything is refused or the record cannot be saved. ``actor``
    None is the system itself; a user must be allowed to add this kind of document to this case.
    ``counted`` False skips the case's budget: for files that were held to the application's
    budget when the applicant sent them (cases/replies.py), which must not be lost here.
    """
    if kind not in Document.Kind.values:
        raise CaseError(_("Please choose one of the options."))
    if actor is not None and not rules.may_upload(case, actor, kind):
        raise CaseForbidden(_("You may not do this on this case."))
    if case.is_shredded:
        raise CaseError(_("This case has been shredded."))
    refused_type = _("This file type is not accepted: PDF, JPEG, PNG, HEIC or Word only.")
    key = casekeys.case_key(case)
    content_type = None
    if upload is not None:
        content_type = filetypes.sniff(upload.head)
        if content_type is None:
            raise CaseError(refused_type)
        if problem := uploads.content_problem(upload, content_type, key=key.key):
            raise CaseError(problem)
        original_name = upload.name
    storage = document_storage()
    name = None
    try:
        with transaction.atomic():
            _lock_live(case)
            if upload is not None:
                document_id, size = upload.document_id, upload.plaintext_size
                if problem := uploads.room_problem(case, size):
                    raise CaseError(problem)
                name = storage.save_ciphertext(upload.file)
            else:
                document_id = uuid.uuid4()
                stored = storage.save(
                    content,
                    key=key.key,
                    case_id=case.pk,
                    document_id=document_id,
                    key_version=key.version,
                )
                name, size = stored.name, stored.plaintext_size
                content_type = filetypes.sniff(stored.head)
                if content_type is None:
                    raise CaseError(refused_type)
                if counted and (problem := uploads.room_problem(case, size)):
                    raise CaseError(problem)
            document = Document.objects.create(
                id=document_id,
                case=case,
                kind=kind,
                object_name=name,
                size=size,
                original_name=clean_file_name(original_name),
                content_type=content_type,
                uploaded_by=actor,
            )
            record(
                "document.uploaded",
                actor=actor,
                case_id=case.pk,
                data={"document": str(document.pk), "kind": kind},
            )
    except BaseException:
        if name is not None:  # stored, but not recorded: nothing may stay unrecorded
            with contextlib.suppress(Exception):
                storage.delete(name)
        raise
    return document


def case_add_conviction(
    *,
    case: Case,
    actor,
    county: str,
    charge: str,
    court: str = "",
    docket: str | None = None,
    convicted_on: date | None = None,
    sentence: str | None = None,
    sentence_complete: bool | None = None,
    sentence_status: str | None = None,
) -> Conviction:
    """Add a New York conviction to a case: at most ``settings.MAX_CONVICTIONS``, counted under
    the case's row lock. ``actor`` None is the system itself (opening a submission, or
    cases/screening.py once it has checked the user)."""
    if actor is not None and not rules.may_edit_convictions(case, actor):
        raise CaseForbidden(_("You may not do this on this case."))
    with transaction.atomic():
        _lock_live(case)
        if Conviction.objects.filter(case=case).count() >= settings.MAX_CONVICTIONS:
            raise CaseError(
                _("A case can list up to %(count)s convictions.")
                % {"count": settings.MAX_CONVICTIONS}
            )
        return Conviction.objects.create(
            case=case,
            county=county,
            court=court,
            charge=charge,
            docket=docket,
            convicted_on=convicted_on,
            sentence=sentence,
            sentence_complete=sentence_complete,
            sentence_status=sentence_status,
        )


class _Opened:
    """A document's plaintext whose first segment is already read, then the rest as it comes."""

    def __init__(self, first: bytes | None, rest: Iterator[bytes]) -> None:
        self._first, self._rest = first, rest

    def __iter__(self) -> "_Opened":
        return self

    def __next__(self) -> bytes:
        if self._first is not None:
            first, self._first = self._first, None
            return first
        return next(self._rest)

    def close(self) -> None:
        self._rest.close()


def document_read(*, document: Document, actor) -> Iterator[bytes]:
    """Open the document, audit the download, then stream the decrypted contents segment by
    segment.

    The object is opened and its first segment read before anything is recorded or returned:
    a storage that does not answer raises StorageUnavailable here (the view shows an error page
    instead of an empty download), and no download is audited that did not happen. After that,
    the iterator raises DecryptionError at the first damaged segment: a response streaming it
    is cut off rather than completed with bad bytes. Close it to release the connection.
    """
    case = document.case
    if actor is not None and not rules.may_see(case, actor):
        raise CaseForbidden(_("You may not do this on this case."))
    key = casekeys.case_key(case)
    chunks = document_storage().open_plaintext(
        document.object_name, key=key.key, case_id=case.pk, document_id=document.pk
    )
    try:
        first = next(chunks, None)
        with transaction.atomic():
            record(
                "document.downloaded",
                actor=actor,
                case_id=case.pk,
                data={"document": str(document.pk)},
            )
    except BaseException:
        chunks.close()
        raise
    return _Opened(first, chunks)


SHRED_REASONS = {"retention", "request", "duplicate", "test"}


@dataclass(frozen=True)
class ShredFinality:
    """Whether the old copies of a shredded case's key (dead rows, WAL) can still be opened."""

    final: bool
    by: date | None  # when not final yet: the day by which `keys schedule` makes it so


def _daily_run(after: datetime) -> datetime:
    """The first run of the daily jobs (DAILY_HOUR, UTC) at or after ``after``."""
    run = after.astimezone(UTC).replace(hour=settings.DAILY_HOUR, minute=0, second=0, microsecond=0)
    return run if run >= after else run + timedelta(days=1)


def shred_finality(shredded_at: datetime, *, now: datetime | None = None) -> ShredFinality | None:
    """From the key directory (ADR 0015): final once every key that existed when the case was
    shredded is destroyed. The key in use is replaced at the first daily run once it is
    KEK_ROTATION_DAYS old (less the schedule's hour of slack) and destroyed at the run after;
    an older one waiting to be retired goes at the next run. Later if a sent application still
    waits to be opened (the run says so). None with keys from the environment, rotated by hand.
    """
    if settings.KEY_SOURCE != "directory":
        return None
    now = now or timezone.now()
    rotation = timedelta(days=settings.KEK_ROTATION_DAYS) - timedelta(hours=1)
    settle = timedelta(seconds=2 * settings.KEY_RELOAD_SECONDS)
    destroyed = []
    for key in keys.key_ages(settings.KEY_DIR):
        made = datetime.fromtimestamp(key.made, tz=UTC)
        if made > shredded_at:
            continue  # made afterwards: it never wrapped this case's key
        if key.newest:
            replaced = _daily_run(max(made + rotation, now))
            destroyed.append(_daily_run(replaced + settle))
        else:
            destroyed.append(_daily_run(now + settle))
    if not destroyed:
        return ShredFinality(final=True, by=None)
    return ShredFinality(final=False, by=max(destroyed).date())


def case_shred(*, case: Case, actor, reason: str) -> None:
    """Erase a case for good: its key, personal parts, blind indexes and stored objects.

    What remains is a tombstone (reference, dates, state, outcome) for statistics: convictions,
    notes, events, the checklist and attorneys' permissions are deleted with the rest. The stored
    objects are listed in PendingDeletion in the same transaction and deleted after the commit;
    any that fail stay listed (``purge_pending_deletions`` retries, ``keys verify`` reports them).
    """
    if reason not in SHRED_REASONS:
        raise CaseError(f"Unknown shredding reason; use one of {sorted(SHRED_REASONS)}.")
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.is_shredded:
            raise CaseError(_("This case is erased already."))
        # Someone's erasure is checked against the case as it is now (reopened meanwhile?);
        # None is an administrator's command.
        if actor is not None and not rules.may_shred(locked, actor):
            if locked.state != State.CLOSED and rules.coordinates(actor):
                raise CaseConflict(_("This case is not closed any more: nothing was erased."))
            raise CaseForbidden(_("You may not do this on this case."))
        object_names = list(locked.documents.values_list("object_name", flat=True))
        # What the applicant sent from the status page and was not attached yet goes unread.
        replies = Reply.objects.filter(draft_id=locked.pk)
        object_names += ReplyDocument.objects.filter(reply__in=replies).values_list(
            "object_name", flat=True
        )
        replies.delete()
        PendingDeletion.objects.bulk_create(
            [PendingDeletion(object_name=name) for name in object_names]
        )
        locked.documents.all().delete()
        Applicant.objects.filter(case=locked).delete()
        # Every other part goes too, readable or not: what is left is the tombstone alone.
        parts = (
            ConvictionOutcome,
            Conviction,
            Note,
            CaseEvent,
            Screening,
            Deadline,
            ApplicantMessage,  # when and why the applicant was told: history, and a contact
            CaseUserObjectPermission,
        )
        for part in parts:
            field = "content_object" if part is CaseUserObjectPermission else "case"
            part.objects.filter(**{field: locked}).delete()
        locked.blind_indexes.all().delete()
        casekeys.shred(locked)
        locked.shredded_at = timezone.now()
        locked.info_requested, locked.client_signed_off_on = [], None
        locked.next_deadline, locked.next_deadline_kind = None, ""
        locked.save(
            update_fields=[
                "wrapped_key",
                "shredded_at",
                "info_requested",
                "client_signed_off_on",
                "next_deadline",
                "next_deadline_kind",
                "updated_at",
            ]
        )
        record(
            "case.shredded",
            actor=actor,
            case_id=locked.pk,
            data={"reason": reason, "documents": len(object_names)},
        )
        publish_status(locked)  # nothing asked of the applicant any more
        transaction.on_commit(purge_pending_deletions)
    # The caller's instance must not keep a usable key either.
    case.wrapped_key, case.shredded_at = None, locked.shredded_at


def purge_pending_deletions() -> int:
    """Delete the stored objects awaiting deletion; returns how many are still left."""
    storage = document_storage()
    for pending in PendingDeletion.objects.all():
        try:
            storage.delete(pending.object_name)
        except Exception:
            # Unreadable without the key, but it must go: it stays listed for the next attempt.
            logger.exception("Could not delete a stored object; it stays listed.")
            continue
        pending.delete()
    return PendingDeletion.objects.count()
