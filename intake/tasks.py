"""Work the public side hands to the staff side's worker. Arguments are ids only."""

from uuid import UUID

from django.tasks import task


@task()
def open_submission(*, draft_id: str) -> None:
    """Open a submitted draft into a case. Runs on the staff worker, which holds the intake
    private key; the import is inside so that the intake never loads the opening code."""
    from cases.opening import case_open_submission

    case_open_submission(draft_id=UUID(draft_id))
