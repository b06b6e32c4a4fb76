"""The Governor's decision, conviction by conviction, and what follows it (DESIGN.md §6):
after a grant, the follow-up steps that make it count (deadlines); after a denial, applying
again in a new case linked to the old one."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import deadlines, law, rules
from cases.models import (
    Applicant,
    BlindIndex,
    Case,
    CaseEvent,
    Conviction,
    ConvictionOutcome,
    Deadline,
    DeadlineSource,
    Screening,
    State,
)
from cases.screening import facts_of, immigration_facts, screening_of
from cases.services import CaseError, CaseForbidden, _lock_live, case_create
from cases.workflow import _event, _fire
from clemency.audit.log import record


@dataclass(frozen=True)
class Decision:
    """The result for one conviction and one kind of relief."""

    conviction_id: str
    relief: str
    result: str
    new_sentence: str = ""
    conditions: str = ""


def reliefs_of(case: Case) -> list[law.Relief]:
    """The kinds of relief decided for this case: those screening recorded (a pardon when
    screening never said)."""
    return law.Relief.parts(screening_of(case).get("relief") or law.Relief.PARDON)


def case_decide(
    *, case: Case, actor, expected_state: str, decided_on: date, decisions: list[Decision]
) -> CaseEvent:
    """Record the decision: one result for each conviction and each kind of relief sought. The
    case's outcome is their summary (law.summary); a grant opens the follow-up deadlines."""
    if not rules.may(case, actor, "decide"):
        raise CaseForbidden(_("You may not do this on this case."))
    with transaction.atomic():
        # Under the case's row lock (what saving the screening or a conviction takes too): the
        # convictions and the relief read here are those the decision is recorded against.
        _lock_live(case)
        convictions = {str(c.pk): c for c in Conviction.objects.filter(case=case)}
        if not convictions:
            raise CaseError(_("Add the convictions first: the decision is recorded for each."))
        wanted = {(cid, relief) for cid in convictions for relief in reliefs_of(case)}
        given = {(d.conviction_id, d.relief): d for d in decisions}
        if set(given) != wanted or len(given) != len(decisions):
            raise CaseError(_("Give the result for every conviction."))
        for decision in decisions:
            if decision.result not in law.RESULTS_FOR[law.Relief(decision.relief)]:
                raise CaseError(_("Please choose one of the options."))
            if decision.result == law.Result.COMMUTATION and not decision.new_sentence.strip():
                raise CaseError(_("Give the new sentence of each commuted conviction."))
        results = [d.result for d in decisions]
        outcome = law.summary(results)
        steps = law.follow_ups(results, immigration_facts(case))
        event = _fire(
            case,
            actor,
            "decide",
            expected_state,
            data={"outcome": outcome, "results": sorted(results), "follow_ups": list(steps)},
            outcome=outcome,
            decided_on=decided_on,
        )
        ConvictionOutcome.objects.filter(case=case).delete()  # a decision recorded afresh
        for decision in decisions:
            ConvictionOutcome.objects.create(
                case=case,
                conviction=convictions[decision.conviction_id],
                relief=decision.relief,
                result=decision.result,
                new_sentence=decision.new_sentence.strip() or None,
                conditions=decision.conditions.strip() or None,
            )
        today = timezone.localdate()
        for step in steps:
            Deadline.objects.create(
                case=case,
                kind=step.value,
                due_on=today + timedelta(days=law.FOLLOW_UP_DAYS[step]),
                source=DeadlineSource.WORKFLOW,
            )
        deadlines.refresh_next_deadline(case)
    return event


def outcome_rows(case: Case) -> list[dict]:
    """Each conviction's results, with what each means (law.outcome_advice); decrypts."""
    rows = []
    outcomes = list(case.outcomes.select_related("conviction"))
    for conviction in case.convictions.all():
        mine = [o for o in outcomes if o.conviction_id == conviction.pk]
        if not mine:
            continue
        facts = conviction.facts()
        rows.append(
            {
                "conviction": conviction,
                "outcomes": [(o, law.outcome_advice(o.result, facts)) for o in mine],
            }
        )
    return rows


# --- Applying again -------------------------------------------------------------------------------

# What stays true of a person and their record from one application to the next: who they are,
# their immigration facts as screening recorded them, and the facts of each conviction (a
# commuted sentence replaced by the new one, to check again). Not carried over: the story and
# the application as sent, notes, documents, relief and grounds, outcomes, deadlines, consent,
# the way to send news.
CARRIED_CONVICTION_FIELDS = (
    "county",
    "court",
    "category",
    "charge",
    "statute",
    "offense_class",
    "plea",
    "docket",
    "convicted_on",
    "sentence",
    "sentence_kind",
    "sentence_days",
    "sentence_status",
    "sentence_completed_on",
    "youthful_offender",
    "sealed",
)


def may_apply_again(case: Case) -> bool:
    """Decided with something not granted, and not applied again yet."""
    if case.state != State.DECIDED or applied_again(case):
        return False
    # A case decided before outcomes were kept per conviction has its summary only.
    results = list(case.outcomes.values_list("result", flat=True)) or [case.outcome]
    return any(result not in law.GRANTS for result in results)


def applied_again(case: Case) -> bool:
    return Case.objects.filter(previous_case=case).exists()


def case_apply_again(*, case: Case, actor) -> Case:
    """A new case for the same person, linked to this decided one: their identity and the
    facts of their convictions are copied (CARRIED_CONVICTION_FIELDS), under the new case's
    own key; everything that belongs to the earlier round stays with it."""
    if not rules.may_apply_again(case, actor):
        raise CaseForbidden(_("You may not do this on this case."))
    with transaction.atomic():
        locked = Case.objects.select_for_update().live().filter(pk=case.pk).first()
        if locked is None or not may_apply_again(locked):
            raise CaseError(
                _(
                    "A new application can follow only a decision that did not grant "
                    "everything, once."
                )
            )
        new = case_create(actor=actor)
        new.previous_case = locked
        new.language = locked.language
        new.urgency_basis, new.urgency_basis_reason = (
            locked.urgency_basis,
            locked.urgency_basis_reason,
        )
        new.save(
            update_fields=[
                "previous_case",
                "language",
                "urgency_basis",
                "urgency_basis_reason",
                "updated_at",
            ]
        )
        old = Applicant.objects.filter(case=locked).first()
        if old is not None:
            Applicant.objects.create(
                case=new,
                legal_name=old.legal_name,
                other_names=old.other_names,
                date_of_birth=old.date_of_birth,
                a_number=old.a_number,
            )
        # The same person: the same possible-duplicate indexes (same key, same values).
        BlindIndex.objects.bulk_create(
            BlindIndex(case=new, kind=kind, value=value)
            for kind, value in locked.blind_indexes.values_list("kind", "value")
        )
        # The immigration facts the rules read stay true; relief and grounds are screened afresh.
        Screening.objects.create(case=new, answers={"facts": facts_of(locked)})
        commuted = dict(
            locked.outcomes.filter(result=law.Result.COMMUTATION).values_list("conviction_id", "id")
        )
        for conviction in Conviction.objects.filter(case=locked):
            copy = Conviction(case=new)
            for name in CARRIED_CONVICTION_FIELDS:
                setattr(copy, name, getattr(conviction, name))
            copy.sentence_complete = conviction.sentence_complete
            if conviction.pk in commuted:  # the sentence is the new one: to be checked again
                new_sentence = ConvictionOutcome.objects.get(pk=commuted[conviction.pk])
                copy.sentence = new_sentence.new_sentence
                copy.sentence_days = copy.sentence_status = copy.sentence_complete = None
                copy.sentence_completed_on = None
            copy.save()
        deadlines.refresh_next_deadline(new)
        _event(new, actor, "applied_again", data={"previous": str(locked.pk)})
        _event(locked, actor, "applied_again", data={"next": str(new.pk)})
        record("case.copied", actor=actor, case_id=locked.pk, data={"to": str(new.pk)})
    return new
