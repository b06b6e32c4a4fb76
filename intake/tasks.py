"""Work the public side hands to the staff side's worker. Arguments are ids only."""

from uuid import UUID

from django.tasks import task


@task()
def open_submission(*, draft_id: str) -> None:
    """Open a submitted draft into a case.

    Runs only on the staff worker, which installs cases and holds the intake private key. The
    public site only enqueues it and never runs it: the import is inside the task so that
    importing intake/ never loads case code (tests/security/test_isolation.py).
    """
    from cases.opening import case_open_submission

    case_open_submission(draft_id=UUID(draft_id))


@task()
def attach_reply(*, reply_id: str) -> None:
    """Attach what an applicant sent from the status page to their case (staff worker only;
    intake/replies.py, cases/replies.py)."""
    from cases.replies import case_attach_reply

    case_attach_reply(reply_id=UUID(reply_id))
