"""The rules behind the screening guidance (cases/law.py, ADR 0020), one row per combination of
relief, offense category and kind of pardon, each with the rule it rests on and its source."""

import pytest

from cases import law
from cases.law import CaseFacts, ConvictionFacts, Relief, Result, Verdict

COULD, NOT, CHECK, NOTE = (
    Verdict.COULD_HELP,
    Verdict.WOULD_NOT_HELP,
    Verdict.CHECK,
    Verdict.NOTE,
)
PARDON, COMMUTATION = Relief.PARDON, Relief.COMMUTATION
WAIVER = "237(a)(2)(A)(vi)"  # the pardon waiver, 8 U.S.C. § 1227(a)(2)(A)(vi)
SUH = "Matter of Suh"  # no waiver for other grounds
ONE_YEAR = "101(a)(43)(F), (G)"  # theft offence or crime of violence with a year or more
CLEMENCY = "art. IV, § 4"  # the Governor's power: New York convictions, pardon and commutation

# (relief, category, grounds the screener chose, sentence status, days) ->
#   {(relief, verdict, rule code)}, and the citation the row rests on.
SCREENING = [
    # A pardon, sentence complete: only the grounds INA § 237(a)(2)(A)(vi) names are waived.
    (PARDON, "controlled_substance", ["controlled_substance"], "complete", None,
     {(PARDON, NOT, "no_waiver")}, SUH),
    (PARDON, "domestic_violence", ["domestic_violence"], "complete", None,
     {(PARDON, NOT, "no_waiver")}, SUH),
    (PARDON, "firearm", ["firearm"], "complete", None, {(PARDON, NOT, "no_waiver")}, SUH),
    (PARDON, "theft_fraud", ["cimt"], "complete", None, {(PARDON, COULD, "pardon_waiver")}, WAIVER),
    (PARDON, "violence", ["aggravated_felony"], "complete", None,
     {(PARDON, COULD, "pardon_waiver")}, WAIVER),
    (PARDON, "sex_offence", ["aggravated_felony", "cimt"], "complete", None,
     {(PARDON, COULD, "pardon_waiver")}, WAIVER),
    (PARDON, "other", ["high_speed_flight"], "complete", None,
     {(PARDON, COULD, "pardon_waiver")}, WAIVER),
    (PARDON, "other", ["other"], "complete", None, {(PARDON, NOT, "no_waiver")}, SUH),
    (PARDON, "other", ["none"], "complete", None, {(PARDON, NOTE, "grounds")}, "237(a)(2)"),
    # Mixed grounds on one conviction: the pardon cures one and not the other.
    (PARDON, "domestic_violence", ["cimt", "domestic_violence"], "complete", None,
     {(PARDON, COULD, "pardon_waiver"), (PARDON, NOT, "no_waiver")}, WAIVER),
    # Not screened yet: the guidance asks for the grounds.
    (PARDON, "theft_fraud", [], "complete", None, {(PARDON, CHECK, "grounds")}, "237(a)(2)"),
    # A pardon before the sentence is complete: normally not yet.
    (PARDON, "theft_fraud", ["cimt"], "probation", None,
     {(PARDON, CHECK, "pardon_timing"), (PARDON, COULD, "pardon_waiver")}, "Clemency Bureau"),
    (PARDON, "theft_fraud", ["cimt"], "", None,
     {(PARDON, CHECK, "pardon_timing"), (PARDON, COULD, "pardon_waiver")}, "Clemency Bureau"),
    # Commutation: for people still serving; it waives nothing.
    (COMMUTATION, "controlled_substance", ["controlled_substance"], "in_custody", 730,
     {(COMMUTATION, CHECK, "commutation"), (COMMUTATION, NOTE, "no_waiver")}, CLEMENCY),
    (COMMUTATION, "theft_fraud", ["aggravated_felony"], "in_custody", 365,
     {(COMMUTATION, CHECK, "commutation"), (COMMUTATION, CHECK, "one_year"),
      (COMMUTATION, NOTE, "no_waiver")}, ONE_YEAR),
    (COMMUTATION, "violence", [], "parole", 1095,
     {(COMMUTATION, CHECK, "commutation"), (COMMUTATION, CHECK, "one_year"),
      (COMMUTATION, NOTE, "no_waiver")}, ONE_YEAR),
    (COMMUTATION, "violence", ["cimt"], "parole", 364,
     {(COMMUTATION, CHECK, "commutation"), (COMMUTATION, NOTE, "no_waiver")}, CLEMENCY),
    (COMMUTATION, "firearm", ["firearm"], "", None,
     {(COMMUTATION, CHECK, "commutation"), (COMMUTATION, NOTE, "no_waiver")}, CLEMENCY),
    (COMMUTATION, "theft_fraud", ["cimt"], "complete", 365,
     {(COMMUTATION, NOT, "commutation")}, CLEMENCY),
    (COMMUTATION, "sex_offence", ["aggravated_felony"], "not_finished", 400,
     {(COMMUTATION, CHECK, "commutation"), (COMMUTATION, CHECK, "one_year"),
      (COMMUTATION, NOTE, "no_waiver")}, ONE_YEAR),
    (COMMUTATION, "domestic_violence", ["domestic_violence"], "probation", 1825,
     {(COMMUTATION, CHECK, "commutation"), (COMMUTATION, NOTE, "no_waiver")}, CLEMENCY),
    (COMMUTATION, "other", ["other"], "in_custody", 90,
     {(COMMUTATION, CHECK, "commutation"), (COMMUTATION, NOTE, "no_waiver")}, CLEMENCY),
    # Both: each kind of relief is advised on its own.
    (Relief.BOTH, "violence", ["aggravated_felony"], "in_custody", 1095,
     {(PARDON, CHECK, "pardon_timing"), (PARDON, COULD, "pardon_waiver"),
      (COMMUTATION, CHECK, "commutation"), (COMMUTATION, CHECK, "one_year"),
      (COMMUTATION, NOTE, "no_waiver")}, WAIVER),
    (Relief.BOTH, "controlled_substance", ["controlled_substance"], "complete", None,
     {(PARDON, NOT, "no_waiver"), (COMMUTATION, NOT, "commutation")}, SUH),
]  # fmt: skip


@pytest.mark.parametrize(
    ("relief", "category", "grounds", "status", "days", "expected", "citation"), SCREENING
)
def test_screening_guidance(relief, category, grounds, status, days, expected, citation):
    facts = ConvictionFacts(
        category=category, grounds=tuple(grounds), sentence_status=status, sentence_days=days
    )
    (advice,) = law.advise(CaseFacts(relief=relief, convictions=(facts,))).convictions
    assert {(item.relief, item.verdict, item.rule.code) for item in advice} == expected
    assert any(citation in item.rule.source for item in advice)
    for item in advice:
        assert item.text
        assert item.rule.source


def test_every_category_suggests_its_likely_grounds_until_the_screener_chooses():
    for category in law.OffenseCategory:
        facts = ConvictionFacts(category=category, sentence_status="complete")
        (advice,) = law.advise(CaseFacts(relief=PARDON, convictions=(facts,))).convictions
        (ask,) = advice
        assert (ask.verdict, ask.rule.code) == (CHECK, "grounds")
        for ground in law.LIKELY_GROUNDS[category]:
            assert str(ground.label) in ask.text


# (kind of pardon or result, category, grounds) -> verdict, rule, citation
OUTCOMES = [
    (Result.FULL_PARDON, "theft_fraud", ["cimt"], COULD, "pardon_waiver", WAIVER),
    (Result.FULL_PARDON, "violence", ["aggravated_felony"], COULD, "pardon_waiver", WAIVER),
    (Result.FULL_PARDON, "sex_offence", ["aggravated_felony"], COULD, "pardon_waiver", WAIVER),
    (Result.FULL_PARDON, "other", ["high_speed_flight"], COULD, "pardon_waiver", WAIVER),
    (Result.FULL_PARDON, "controlled_substance", ["controlled_substance"], NOT, "no_waiver", SUH),
    (Result.FULL_PARDON, "domestic_violence", ["domestic_violence"], NOT, "no_waiver", SUH),
    (Result.FULL_PARDON, "firearm", ["firearm"], NOT, "no_waiver", SUH),
    (Result.FULL_PARDON, "other", [], CHECK, "grounds", "237(a)(2)"),
    *(
        (Result.CONDITIONAL_PARDON, category, grounds, NOT, "conditional", "full and unconditional")
        for category, grounds in (
            ("controlled_substance", ["controlled_substance"]),
            ("domestic_violence", ["domestic_violence"]),
            ("firearm", ["firearm"]),
            ("theft_fraud", ["cimt"]),
            ("violence", ["aggravated_felony"]),
            ("sex_offence", ["cimt", "aggravated_felony"]),
            ("other", ["high_speed_flight"]),
        )
    ),
    (Result.COMMUTATION, "theft_fraud", ["aggravated_felony"], CHECK, "one_year", ONE_YEAR),
    (Result.DENIED, "theft_fraud", ["cimt"], NOTE, "alternatives", "CPL 440.10"),
    (Result.NO_DECISION, "firearm", ["firearm"], NOTE, "alternatives", "CPL 160.59"),
]


@pytest.mark.parametrize(("result", "category", "grounds", "verdict", "rule", "citation"), OUTCOMES)
def test_what_a_decision_means(result, category, grounds, verdict, rule, citation):
    facts = ConvictionFacts(category=category, grounds=tuple(grounds))
    advice = law.outcome_advice(result, facts)
    assert {(item.verdict, item.rule.code) for item in advice} == {(verdict, rule)}
    assert all(citation in item.rule.source for item in advice)


@pytest.mark.parametrize("language", ["en", "es", "fr", "ht", "ar", "bn"])
def test_a_conditional_pardon_is_never_shown_as_protecting(language):
    from django.utils import translation

    with translation.override(language):
        for category in law.OffenseCategory:
            for ground in law.RemovalGround:
                facts = ConvictionFacts(category=category, grounds=(ground,))
                advice = law.outcome_advice(Result.CONDITIONAL_PARDON, facts)
                assert [item.verdict for item in advice] == [NOT]
                assert [item.text for item in advice] == [str(law.CONDITIONAL_WARNING)]
                waives = law.outcome_advice(Result.FULL_PARDON, facts)
                assert not {item.text for item in waives} & {item.text for item in advice}


def test_the_case_as_a_whole():
    theft = ConvictionFacts(category="theft_fraud", grounds=("cimt",), sentence_status="complete")
    drugs = ConvictionFacts(
        category="controlled_substance",
        grounds=("controlled_substance",),
        sentence_status="complete",
    )
    only_waivable = law.advise(CaseFacts(relief=PARDON, convictions=(theft,)))
    assert [(a.verdict, a.rule.code) for a in only_waivable.case] == [(COULD, "pardon_waiver")]
    both = law.advise(CaseFacts(relief=PARDON, convictions=(theft, drugs)))
    ((verdict, rule, text),) = [(a.verdict, a.rule.code, a.text) for a in both.case]
    assert (verdict, rule) == (NOT, "no_waiver")
    assert "controlled substance" in text
    elsewhere = law.advise(
        CaseFacts(relief=COMMUTATION, convictions=(theft,), outside_ny=True, deported_before=True)
    )
    assert [(a.verdict, a.rule.code) for a in elsewhere.case] == [
        (NOT, "ny_only"),
        (CHECK, "inadmissibility"),
    ]
    assert "N.Y. Const. art. IV" in law.RULES["ny_only"].source


def test_the_outcome_of_a_case_and_what_follows_a_grant():
    assert law.summary(["full_pardon", "full_pardon"]) == "full_pardon"
    assert law.summary(["full_pardon", "denied"]) == "mixed"
    assert law.summary([]) == "no_decision"
    facts = law.ImmigrationFacts(removal_case=True, abroad=True, permanent_resident=True)
    assert law.follow_ups(["denied", "no_decision"], facts) == []
    assert law.follow_ups(["conditional_pardon"], facts) == [law.FollowUp.NOTIFY_COUNSEL]
    assert law.follow_ups(["commutation"], law.ImmigrationFacts()) == [law.FollowUp.NOTIFY_COUNSEL]
    assert law.follow_ups(["full_pardon", "denied"], facts) == list(law.FollowUp)
    assert law.follow_ups(["full_pardon"], law.ImmigrationFacts(permanent_resident=True)) == [
        law.FollowUp.NOTIFY_COUNSEL,
        law.FollowUp.NATURALISE,
    ]
