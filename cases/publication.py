"""What the applicant's status page may know of a case: its public projection (DESIGN.md §4).

The public intake never reads a case. It reads the submission (intake.Draft, which has the case's
UUID) and, on it, two things written here: a coarse stage (PublicStage) and the codes of what
staff asked for (InfoItem). Both come from fixed lists, never personal data. This module is their
only writer: cases/opening.py calls it when a case is opened, cases/workflow.py after every
change of state.
"""

from cases.models import Case, State
from clemency.common.status import InfoItem, PublicStage
from intake.models import Draft

PUBLIC_STAGES: dict[State, PublicStage] = {
    State.INTAKE: PublicStage.RECEIVED,
    State.REVIEW: PublicStage.REVIEWING,
    State.NEEDS_INFO: PublicStage.REVIEWING,
    State.ACCEPTED: PublicStage.PREPARING,
    State.DRAFTING: PublicStage.PREPARING,
    State.QA_REVIEW: PublicStage.PREPARING,
    State.SUBMITTED: PublicStage.FILED,
    State.DECIDED: PublicStage.DECIDED,
    State.CLOSED: PublicStage.CLOSED,
}


def publish_status(case: Case) -> None:
    """Write the case's stage, and what staff asked the applicant for, onto its submission.

    One UPDATE; a case that was not opened from a submission has none, and nothing is written.
    Call it inside the transaction that changed the case.
    """
    state = State(case.state)
    requested = (
        [item for item in case.info_requested if item in InfoItem.values]
        if state == State.NEEDS_INFO
        else []
    )
    Draft.objects.filter(pk=case.pk).update(stage=PUBLIC_STAGES[state], requested=requested)
