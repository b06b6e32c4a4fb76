"""What the law says a pardon or a commutation can do, as guidance for screening and after a
decision (ADR 0020 states every rule and its source).

Pure: facts in, advice out. Nothing here reads the database or decides anything: each piece of
advice says what the rules suggest and why, and the screener decides. The codes below are the
vocabulary of convictions, screening and outcomes (cases/models.py stores them).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clemency.common.status import Referral

__all__ = ["Referral"]  # where a person a pardon cannot help is sent: public codes


class Relief(models.TextChoices):
    PARDON = "pardon", _("pardon")
    COMMUTATION = "commutation", _("commutation (a shorter sentence)")
    BOTH = "both", _("pardon and commutation")

    @classmethod
    def parts(cls, relief: str) -> list["Relief"]:
        """The kinds of relief a case asks for, each decided on its own."""
        return [cls.PARDON, cls.COMMUTATION] if relief == cls.BOTH else [cls(relief)]


class OffenseCategory(models.TextChoices):
    CONTROLLED_SUBSTANCE = "controlled_substance", _("controlled substance (drugs)")
    DOMESTIC_VIOLENCE = "domestic_violence", _("domestic violence")
    FIREARM = "firearm", _("firearm")
    THEFT_FRAUD = "theft_fraud", _("theft or fraud")
    VIOLENCE = "violence", _("violence")
    SEX_OFFENCE = "sex_offence", _("sex offence")
    OTHER = "other", pgettext_lazy("offense category", "other")


class OffenseClass(models.TextChoices):
    FELONY_A = "felony_a", _("class A felony")
    FELONY_B = "felony_b", _("class B felony")
    FELONY_C = "felony_c", _("class C felony")
    FELONY_D = "felony_d", _("class D felony")
    FELONY_E = "felony_e", _("class E felony")
    MISDEMEANOR_A = "misdemeanor_a", _("class A misdemeanour")
    MISDEMEANOR_B = "misdemeanor_b", _("class B misdemeanour")
    VIOLATION = "violation", _("violation")


class Plea(models.TextChoices):
    GUILTY_PLEA = "plea", _("guilty plea")
    JURY_VERDICT = "jury", _("jury verdict")
    BENCH_VERDICT = "bench", _("verdict of a judge (bench trial)")


class SentenceKind(models.TextChoices):
    PRISON = "prison", _("state prison")
    JAIL = "jail", _("jail")
    SPLIT = "split", _("jail and probation")
    PROBATION = "probation", _("probation")
    CONDITIONAL_DISCHARGE = "conditional_discharge", _("conditional discharge")
    UNCONDITIONAL_DISCHARGE = "unconditional_discharge", _("unconditional discharge")
    FINE = "fine", _("fine only")
    TIME_SERVED = "time_served", _("time served")


class SentenceStatus(models.TextChoices):
    COMPLETE = "complete", _("complete (probation, parole and fines included)")
    IN_CUSTODY = "in_custody", _("still serving: in prison or jail")
    PAROLE = "parole", _("still serving: on parole or post-release supervision")
    PROBATION = "probation", _("still serving: on probation")
    NOT_FINISHED = "not_finished", _("not complete (how is not known yet)")

    @classmethod
    def serving(cls) -> frozenset[str]:
        return frozenset({cls.IN_CUSTODY, cls.PAROLE, cls.PROBATION, cls.NOT_FINISHED})


class RemovalGround(models.TextChoices):
    """Grounds for deportation a conviction can bring (INA § 237(a)(2))."""

    CIMT = "cimt", _("crime involving moral turpitude")
    AGGRAVATED_FELONY = "aggravated_felony", _("aggravated felony")
    HIGH_SPEED_FLIGHT = "high_speed_flight", _("high-speed flight from an immigration checkpoint")
    CONTROLLED_SUBSTANCE = "controlled_substance", _("controlled substance")
    DOMESTIC_VIOLENCE = (
        "domestic_violence",
        _("domestic violence, stalking, child abuse or violating a protection order"),
    )
    FIREARM = "firearm", _("firearm")
    OTHER = "other", _("another ground")
    NONE = "none", _("no ground for deportation")


# INA § 237(a)(2)(A)(vi): the grounds a full and unconditional pardon waives.
WAIVABLE = frozenset(
    {RemovalGround.CIMT, RemovalGround.AGGRAVATED_FELONY, RemovalGround.HIGH_SPEED_FLIGHT}
)

# What convictions of each kind often bring: a hint for the screener, never a finding.
LIKELY_GROUNDS: dict[str, tuple[RemovalGround, ...]] = {
    OffenseCategory.CONTROLLED_SUBSTANCE: (RemovalGround.CONTROLLED_SUBSTANCE,),
    OffenseCategory.DOMESTIC_VIOLENCE: (RemovalGround.DOMESTIC_VIOLENCE,),
    OffenseCategory.FIREARM: (RemovalGround.FIREARM,),
    OffenseCategory.THEFT_FRAUD: (RemovalGround.CIMT, RemovalGround.AGGRAVATED_FELONY),
    OffenseCategory.VIOLENCE: (RemovalGround.CIMT, RemovalGround.AGGRAVATED_FELONY),
    OffenseCategory.SEX_OFFENCE: (RemovalGround.CIMT, RemovalGround.AGGRAVATED_FELONY),
    OffenseCategory.OTHER: (),
}

# A theft offence or a crime of violence is an aggravated felony with a term of a year or more.
ONE_YEAR_CATEGORIES = frozenset({OffenseCategory.THEFT_FRAUD, OffenseCategory.VIOLENCE})
ONE_YEAR_DAYS = 365


class Verdict(models.TextChoices):
    COULD_HELP = "could_help", _("could help")
    WOULD_NOT_HELP = "would_not_help", _("would not help")
    CHECK = "check", _("to check")
    NOTE = "note", _("note")


@dataclass(frozen=True)
class Rule:
    code: str
    source: str  # citations, as lawyers write them (not translated)


RULES = {
    rule.code: rule
    for rule in (
        Rule("ny_only", "N.Y. Const. art. IV, § 4; N.Y. Executive Law § 15"),
        Rule("pardon_waiver", "INA § 237(a)(2)(A)(vi), 8 U.S.C. § 1227(a)(2)(A)(vi)"),
        Rule(
            "no_waiver",
            "INA § 237(a)(2)(A)(vi) (the grounds it names); Matter of Suh, 23 I&N Dec. 626 "
            "(BIA 2003); INA § 237(a)(2)(B), (C), (E)",
        ),
        Rule("conditional", "INA § 237(a)(2)(A)(vi) ('full and unconditional pardon')"),
        Rule("pardon_timing", "N.Y. Executive Clemency Bureau, guidance on applying for clemency"),
        Rule("commutation", "N.Y. Const. art. IV, § 4; N.Y. Executive Clemency Bureau guidance"),
        Rule("one_year", "INA § 101(a)(43)(F), (G) and (48)(B), 8 U.S.C. § 1101(a)(43), (48)"),
        Rule("youthful_offender", "CPL 720.35; Matter of Devison, 22 I&N Dec. 1362 (BIA 2000)"),
        Rule("sealing", "CPL 160.58, 160.59; INA § 101(a)(48)(A)"),
        Rule("inadmissibility", "INA § 212(a)(2); Matter of Suh, 23 I&N Dec. 626 (BIA 2003)"),
        Rule("grounds", "INA § 237(a)(2)"),
        Rule(
            "alternatives",
            "CPL 440.10 (vacatur); CPL 160.59 (sealing); N.Y. Correction Law art. 23 "
            "(certificates of relief and good conduct)",
        ),
    )
}


@dataclass(frozen=True)
class Advice:
    verdict: str  # a Verdict
    text: str
    rule: Rule
    relief: str = ""  # a Relief, or "" for the case as a whole
    ground: str = ""  # a RemovalGround it is about, if any

    @property
    def verdict_label(self) -> str:
        return str(Verdict(self.verdict).label)


@dataclass(frozen=True)
class ConvictionFacts:
    """What the rules read of one conviction (decrypted by the caller)."""

    category: str = ""
    grounds: tuple[str, ...] = ()
    sentence_status: str = ""
    sentence_days: int | None = None
    youthful_offender: bool = False
    sealed: bool = False


@dataclass(frozen=True)
class CaseFacts:
    relief: str = ""
    convictions: tuple[ConvictionFacts, ...] = ()
    outside_ny: bool = False
    deported_before: bool = False


@dataclass
class Guidance:
    """The advice for a case: some about the whole case, the rest one list per conviction."""

    case: list[Advice] = field(default_factory=list)
    convictions: list[list[Advice]] = field(default_factory=list)


def _label(choices, value: str) -> str:
    return str(dict(choices.choices).get(value, value))


def _advice(verdict, text: Promise | str, rule: str, *, relief="", ground="") -> Advice:
    return Advice(str(verdict), str(text), RULES[rule], relief=str(relief), ground=str(ground))


def pardon_advice(facts: ConvictionFacts) -> list[Advice]:
    """What a full and unconditional pardon of this conviction could do, ground by ground."""
    relief = Relief.PARDON
    advice = _record_notes(facts, relief)
    if facts.sentence_status in SentenceStatus.serving():
        advice.append(
            _advice(
                Verdict.CHECK,
                _(
                    "The sentence is not complete. A pardon normally comes only once the whole "
                    "sentence (probation, parole and fines included) is complete: consider a "
                    "commutation first."
                ),
                "pardon_timing",
                relief=relief,
            )
        )
    elif not facts.sentence_status:
        advice.append(
            _advice(
                Verdict.CHECK,
                _("Find out whether the sentence is complete: a pardon normally comes only after."),
                "pardon_timing",
                relief=relief,
            )
        )
    advice += _grounds_advice(facts, relief)
    return advice


def _grounds_advice(facts: ConvictionFacts, relief: str) -> list[Advice]:
    if not facts.grounds:
        likely = ", ".join(_label(RemovalGround, g) for g in LIKELY_GROUNDS.get(facts.category, ()))
        text = (
            _(
                "Choose the grounds for deportation at stake. Convictions of this kind often "
                "bring: %(grounds)s."
            )
            % {"grounds": likely}
            if likely
            else _("Choose the grounds for deportation at stake.")
        )
        return [_advice(Verdict.CHECK, text, "grounds", relief=relief)]
    advice = []
    for ground in facts.grounds:
        name = _label(RemovalGround, ground)
        if ground == RemovalGround.NONE:
            advice.append(
                _advice(
                    Verdict.NOTE,
                    _(
                        "No ground for deportation comes from this conviction: a pardon of it "
                        "would not change the immigration case."
                    ),
                    "grounds",
                    relief=relief,
                    ground=ground,
                )
            )
        elif ground in WAIVABLE:
            advice.append(
                _advice(
                    Verdict.COULD_HELP,
                    _(
                        "A full and unconditional pardon could waive this ground for "
                        "deportation: %(ground)s."
                    )
                    % {"ground": name},
                    "pardon_waiver",
                    relief=relief,
                    ground=ground,
                )
            )
        else:
            advice.append(
                _advice(
                    Verdict.WOULD_NOT_HELP,
                    _(
                        "A pardon would not waive this ground for deportation: %(ground)s. "
                        "Consider vacatur (CPL 440.10), sealing (CPL 160.59), a certificate of "
                        "relief or good conduct, or immigration counsel."
                    )
                    % {"ground": name},
                    "no_waiver",
                    relief=relief,
                    ground=ground,
                )
            )
    return advice


def _record_notes(facts: ConvictionFacts, relief: str) -> list[Advice]:
    advice = []
    if facts.youthful_offender:
        advice.append(
            _advice(
                Verdict.CHECK,
                _(
                    "Youthful offender adjudication: it is not a conviction for immigration "
                    "purposes, so relief may not be needed for it. Check with immigration counsel."
                ),
                "youthful_offender",
                relief=relief,
            )
        )
    if facts.sealed:
        advice.append(
            _advice(
                Verdict.NOTE,
                _(
                    "The record is sealed: sealing does not remove a conviction for immigration "
                    "purposes."
                ),
                "sealing",
                relief=relief,
            )
        )
    return advice


def commutation_advice(facts: ConvictionFacts) -> list[Advice]:
    """What a commutation (a shorter sentence) of this conviction could do."""
    relief = Relief.COMMUTATION
    advice = _record_notes(facts, relief)
    if facts.sentence_status == SentenceStatus.COMPLETE:
        advice.append(
            _advice(
                Verdict.WOULD_NOT_HELP,
                _("Commutation is for people still serving a sentence; this one is complete."),
                "commutation",
                relief=relief,
            )
        )
        return advice
    if not facts.sentence_status:
        advice.append(
            _advice(
                Verdict.CHECK,
                _(
                    "Find out whether the person is still serving this sentence: commutation is "
                    "only for a sentence that is not complete."
                ),
                "commutation",
                relief=relief,
            )
        )
    else:
        advice.append(
            _advice(
                Verdict.CHECK,
                _(
                    "Commutation: check the time served and the parole date. A sentence shortened "
                    "by even one day can change the immigration consequence (365 days against 364)."
                ),
                "commutation",
                relief=relief,
            )
        )
    one_year_ground = RemovalGround.AGGRAVATED_FELONY in facts.grounds or (
        not facts.grounds and facts.category in ONE_YEAR_CATEGORIES
    )
    if one_year_ground and facts.sentence_days is not None and facts.sentence_days >= ONE_YEAR_DAYS:
        advice.append(
            _advice(
                Verdict.CHECK,
                _(
                    "The sentence is %(days)s days. A theft offence or a crime of violence with a "
                    "term of a year or more is an aggravated felony; a commutation to 364 days or "
                    "less could change that. Check with immigration counsel."
                )
                % {"days": facts.sentence_days},
                "one_year",
                relief=relief,
                ground=RemovalGround.AGGRAVATED_FELONY,
            )
        )
    advice.append(
        _advice(
            Verdict.NOTE,
            _("A commutation waives no ground for deportation: it only shortens the sentence."),
            "no_waiver",
            relief=relief,
        )
    )
    return advice


ADVISE = {Relief.PARDON: pardon_advice, Relief.COMMUTATION: commutation_advice}


def advise(facts: CaseFacts) -> Guidance:
    """The screening guidance: for the relief sought, conviction by conviction, with the notes
    that concern the whole case."""
    guidance = Guidance()
    reliefs = Relief.parts(facts.relief) if facts.relief else list(ADVISE)
    for conviction in facts.convictions:
        items: list[Advice] = []
        for relief in reliefs:
            items += ADVISE[relief](conviction)
        guidance.convictions.append(items)
    if facts.outside_ny:
        guidance.case.append(
            _advice(
                Verdict.WOULD_NOT_HELP,
                _(
                    "There are convictions outside New York State: the Governor of New York "
                    "cannot pardon them, and any ground for deportation they bring remains."
                ),
                "ny_only",
            )
        )
    if facts.deported_before:
        guidance.case.append(
            _advice(
                Verdict.CHECK,
                _(
                    "The person was deported before, or is outside the United States. The pardon "
                    "waiver covers grounds for deportation, not grounds of inadmissibility: to "
                    "come back, a pardon may not be enough. Check with immigration counsel."
                ),
                "inadmissibility",
            )
        )
    if Relief.PARDON in reliefs and facts.convictions:
        guidance.case += _pardon_summary(facts.convictions)
    return guidance


def _pardon_summary(convictions: Iterable[ConvictionFacts]) -> list[Advice]:
    grounds = {g for c in convictions for g in c.grounds if g != RemovalGround.NONE}
    if not grounds:
        return []
    remaining = sorted(grounds - WAIVABLE)
    if not remaining:
        return [
            _advice(
                Verdict.COULD_HELP,
                _(
                    "Full and unconditional pardons of these convictions could waive every "
                    "ground for deportation chosen."
                ),
                "pardon_waiver",
                relief=Relief.PARDON,
            )
        ]
    names = ", ".join(_label(RemovalGround, g) for g in remaining)
    return [
        _advice(
            Verdict.WOULD_NOT_HELP,
            _("Even with pardons, these grounds for deportation would remain: %(grounds)s.")
            % {"grounds": names},
            "no_waiver",
            relief=Relief.PARDON,
        )
    ]


# --- After the decision --------------------------------------------------------------------------


class Result(models.TextChoices):
    """What the Governor decided for one conviction and one kind of relief."""

    FULL_PARDON = "full_pardon", _("full and unconditional pardon")
    CONDITIONAL_PARDON = "conditional_pardon", _("conditional pardon")
    COMMUTATION = "commutation", _("commutation (new sentence)")
    DENIED = "denied", _("denied")
    NO_DECISION = "no_decision", _("no decision")


GRANTS = frozenset({Result.FULL_PARDON, Result.CONDITIONAL_PARDON, Result.COMMUTATION})
RESULTS_FOR = {
    Relief.PARDON: (
        Result.FULL_PARDON,
        Result.CONDITIONAL_PARDON,
        Result.DENIED,
        Result.NO_DECISION,
    ),
    Relief.COMMUTATION: (Result.COMMUTATION, Result.DENIED, Result.NO_DECISION),
}

CONDITIONAL_WARNING = _(
    "A conditional pardon may not protect against deportation: only a full and unconditional "
    "pardon waives a ground for deportation."
)


def outcome_advice(result: str, facts: ConvictionFacts) -> list[Advice]:
    """What a decision on one conviction means for the immigration case."""
    if result == Result.FULL_PARDON:
        advice = []
        for ground in facts.grounds or ():
            if ground == RemovalGround.NONE:
                continue
            name = _label(RemovalGround, ground)
            if ground in WAIVABLE:
                advice.append(
                    _advice(
                        Verdict.COULD_HELP,
                        _(
                            "This full and unconditional pardon waives this ground for "
                            "deportation: %(ground)s. It must be brought to the immigration "
                            "court or ICE: see the follow-up list."
                        )
                        % {"ground": name},
                        "pardon_waiver",
                        relief=Relief.PARDON,
                        ground=ground,
                    )
                )
            else:
                advice.append(
                    _advice(
                        Verdict.WOULD_NOT_HELP,
                        _("This pardon does not waive this ground for deportation: %(ground)s.")
                        % {"ground": name},
                        "no_waiver",
                        relief=Relief.PARDON,
                        ground=ground,
                    )
                )
        if not advice:
            advice.append(
                _advice(
                    Verdict.CHECK,
                    _(
                        "Record the grounds for deportation at stake to see what this pardon "
                        "waives."
                    ),
                    "grounds",
                    relief=Relief.PARDON,
                )
            )
        return advice
    if result == Result.CONDITIONAL_PARDON:
        return [
            _advice(
                Verdict.WOULD_NOT_HELP, CONDITIONAL_WARNING, "conditional", relief=Relief.PARDON
            )
        ]
    if result == Result.COMMUTATION:
        return [
            _advice(
                Verdict.CHECK,
                _(
                    "A commutation only shortens the sentence: check with immigration counsel "
                    "whether the new sentence changes any ground for deportation."
                ),
                "one_year",
                relief=Relief.COMMUTATION,
            )
        ]
    return [
        _advice(
            Verdict.NOTE,
            _(
                "Not granted. Consider vacatur, sealing, a certificate of relief or good conduct, "
                "or immigration counsel; the person may apply again."
            ),
            "alternatives",
        )
    ]


def summary(results: Iterable[str]) -> str:
    """The case's outcome, for lists and statistics: the one result, or "mixed"."""
    found = set(results)
    if not found:
        return Result.NO_DECISION
    if len(found) == 1:
        return found.pop()
    return "mixed"


class FollowUp(models.TextChoices):
    """What a grant needs to count in the immigration case (each becomes a deadline)."""

    NOTIFY_COUNSEL = "counsel", _("send the grant to the person's immigration attorney")
    MOTION = "motion", _("motion to reopen or terminate removal proceedings")
    RETURN = "return", _("ask for the person's return from abroad")
    NATURALISE = "naturalise", _("check whether the person can now naturalise")


FOLLOW_UP_DAYS = {
    FollowUp.NOTIFY_COUNSEL: 7,
    FollowUp.MOTION: 30,
    FollowUp.RETURN: 60,
    FollowUp.NATURALISE: 90,
}


@dataclass(frozen=True)
class ImmigrationFacts:
    removal_case: bool = False  # a removal case in court, or a final order
    abroad: bool = False  # deported, or outside the United States
    permanent_resident: bool = False


def follow_ups(results: Iterable[str], facts: ImmigrationFacts) -> list[FollowUp]:
    """The steps after a decision: any grant goes to immigration counsel; a full pardon also
    needs the motion, the return or the naturalisation it may open."""
    results = set(results)
    if not results & GRANTS:
        return []
    steps = [FollowUp.NOTIFY_COUNSEL]
    if Result.FULL_PARDON in results:
        if facts.removal_case:
            steps.append(FollowUp.MOTION)
        if facts.abroad:
            steps.append(FollowUp.RETURN)
        if facts.permanent_resident:
            steps.append(FollowUp.NATURALISE)
    return steps
