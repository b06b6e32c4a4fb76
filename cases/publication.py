"""What the applicant's status page may know of a case: its public projection (DESIGN.md §4).

The public intake never reads a case. It reads the submission (intake.Draft, which has the case's
UUID) and, on it, what is written here: a coarse stage (PublicStage), the codes of what staff
asked for (InfoItem), by when, whether what the applicant sent has reached the case, whether
the case keeps a way to tell them of news, and where a person turned away was referred
(Referral). Codes from fixed lists, two dates and a flag, never
personal data. This module is their only writer: cases/opening.py calls it when a case is
opened, cases/workflow.py after every change of state, cases/replies.py when the applicant's
answer arrives, cases/services.py when a case is erased.
"""

from cases.models import DECLINES, Applicant, Case, Deadline, DeadlineKind, State
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


def publish_status(case: Case) -> bool:
    """Write the case's public projection onto its submission. Returns whether the applicant,
    if they asked for news messages, has news: the stage changed, or staff ask for something
    (the caller tells them: cases/outreach.py).

    A case that was not opened from a submission has none: nothing is written, and False. Call
    it inside the transaction that changed the case.
    """
    before = Draft.objects.filter(pk=case.pk).values("stage", "requested").first()
    if before is None:
        return False
    state = State(case.state)
    waiting = state == State.NEEDS_INFO
    requested = [item for item in case.info_requested if item in InfoItem.values] if waiting else []
    due = (
        Deadline.objects.filter(case=case, kind=DeadlineKind.INFO_DUE, closed_at__isnull=True)
        .order_by("due_on")
        .values_list("due_on", flat=True)
        .first()
        if waiting
        else None
    )
    stage = PUBLIC_STAGES[state]
    declined = state == State.CLOSED and case.closure_reason in DECLINES
    news = (
        not case.is_shredded
        and Applicant.objects.filter(case=case, news_contact__isnull=False).exists()
    )
    Draft.objects.filter(pk=case.pk).update(
        stage=stage,
        requested=requested,
        reply_due=due,
        answered_at=case.info_answered_at if waiting else None,
        news=news,
        referrals=list(case.referrals) if declined else [],
    )
    changed = before["stage"] != stage or (requested and before["requested"] != requested)
    return bool(news and changed and stage != PublicStage.RECEIVED)
