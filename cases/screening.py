"""Screening (DESIGN.md §6): the facts of each conviction, the screening record with the
guidance the law gives (cases/law.py), the person's consent, and the fingerprint warning.

Services follow cases/workflow.py: keyword-only, atomic, a CaseEvent and an audit entry in the
same transaction, codes and ids in the audit data, never a personal value.
"""

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import law, rules
from cases.models import Case, CaseEvent, ConsentHow, Conviction, Screening, State
from cases.services import CaseError, CaseForbidden, _lock_live
from cases.workflow import _event

# What staff and the assigned attorney edit on a conviction, with the law's codes where a field
# takes one (None: free text, a date, a number or a yes/no).
CONVICTION_FIELDS: dict[str, Any] = {
    "county": None,
    "court": None,
    "charge": None,
    "statute": None,
    "offense_class": law.OffenseClass,
    "category": law.OffenseCategory,
    "plea": law.Plea,
    "docket": None,
    "convicted_on": None,
    "sentence": None,
    "sentence_kind": law.SentenceKind,
    "sentence_days": None,
    "sentence_status": law.SentenceStatus,
    "sentence_completed_on": None,
    "youthful_offender": None,
    "sealed": None,
}


# Plain columns (never NULL); the others are encrypted and NULL when unknown.
PLAIN_FIELDS = frozenset({"county", "court", "category"})


def _forbidden() -> CaseForbidden:
    return CaseForbidden(_("You may not do this on this case."))


def _check_codes(values: dict[str, Any]) -> dict[str, Any]:
    for name, choices in CONVICTION_FIELDS.items():
        if choices is not None and values.get(name) and values[name] not in choices.values:
            raise CaseError(_("Please choose one of the options."))
    days = values.get("sentence_days")
    if days is not None and (not isinstance(days, int) or days < 0):
        raise CaseError(_("Give the length of the sentence in days, as a whole number."))
    if not (values.get("county") or "").strip() or not (values.get("charge") or "").strip():
        raise CaseError(_("A conviction needs its county and what it was for."))
    return values


def case_save_conviction(
    *, case: Case, actor, conviction_id=None, values: dict[str, Any]
) -> Conviction:
    """Add a conviction to the case, or change one: staff, coordinators and the assigned
    attorney. Only the fields of CONVICTION_FIELDS; the event and the audit entry name the
    fields that changed, never their values."""
    if not rules.may_edit_convictions(case, actor):
        raise _forbidden()
    values = _check_codes({name: values.get(name) for name in CONVICTION_FIELDS})
    for name, value in values.items():
        if isinstance(value, str):
            value = value.strip()
        if name in PLAIN_FIELDS:
            values[name] = value or ""
        else:
            values[name] = None if value in ("", None) else value
    if conviction_id is None:
        from cases.services import case_add_conviction

        with transaction.atomic():
            conviction = case_add_conviction(
                case=case, actor=None, county=values["county"], charge=values["charge"]
            )
            for name, value in values.items():
                setattr(conviction, name, value)
            conviction.save()
            _event(case, actor, "conviction_added", data={"conviction": str(conviction.pk)})
        return conviction
    with transaction.atomic():
        _lock_live(case)
        conviction = Conviction.objects.filter(case=case, pk=conviction_id).first()
        if conviction is None:
            raise CaseError(_("This conviction is not on the case any more."))
        changed = sorted(
            name for name, value in values.items() if getattr(conviction, name) != value
        )
        for name in changed:
            setattr(conviction, name, values[name])
        if changed:
            conviction.save()
            _event(
                case,
                actor,
                "conviction_changed",
                data={"conviction": str(conviction.pk), "fields": changed},
            )
    return conviction


# --- The screening record -------------------------------------------------------------------------


def screening_of(case: Case) -> dict[str, Any]:
    screening = Screening.objects.filter(case=case).first()
    answers = screening.answers if screening else None
    return answers if isinstance(answers, dict) else {}


def screening_problems(case: Case, convictions: list[Conviction] | None = None) -> list[str]:
    """What the screening still lacks before the case can be accepted (empty: complete)."""
    convictions = list(case.convictions.all()) if convictions is None else convictions
    problems = []
    if screening_of(case).get("relief") not in law.Relief.values:
        problems.append(_("Choose the relief sought."))
    if not convictions:
        problems.append(_("Add at least one New York conviction."))
    for number, conviction in enumerate(convictions, start=1):
        missing = []
        if not conviction.county:
            missing.append(_("its county"))
        if not conviction.category:
            missing.append(_("its offense category"))
        if not conviction.status:
            missing.append(_("whether the sentence is complete"))
        if not conviction.removal_grounds:
            missing.append(_("the grounds for deportation at stake"))
        if missing:
            problems.append(
                _("Conviction %(number)s: give %(missing)s.")
                % {"number": number, "missing": ", ".join(str(item) for item in missing)}
            )
    return problems


def screening_complete(case: Case) -> bool:
    return not screening_problems(case)


SCREENING_STATES = {State.INTAKE, State.REVIEW, State.NEEDS_INFO}


def case_save_screening(
    *,
    case: Case,
    actor,
    relief: str,
    notes: str = "",
    grounds: dict[str, list[str]],
    facts: dict[str, bool] | None = None,
) -> CaseEvent:
    """The relief sought, the screener's notes, the person's immigration facts (FACTS) and,
    for each conviction, the grounds for deportation at stake. ``grounds`` maps conviction ids
    (as text) to law.RemovalGround codes; "no ground" excludes the others. Once the case is
    accepted the relief is fixed: the petition and the decision follow it."""
    if not rules.may_screen(case, actor):
        raise _forbidden()
    if relief and relief not in law.Relief.values:
        raise CaseError(_("Please choose one of the options."))
    with transaction.atomic():
        _lock_live(case)
        state = Case.objects.filter(pk=case.pk).values_list("state", flat=True).get()
        before = screening_of(case)
        if state not in SCREENING_STATES and relief != before.get("relief"):
            raise CaseError(_("The relief sought is fixed once the case is accepted."))
        convictions = {str(c.pk): c for c in Conviction.objects.filter(case=case)}
        for conviction_id, codes in grounds.items():
            if conviction_id not in convictions:
                raise CaseError(_("This conviction is not on the case any more."))
            codes = sorted(set(codes))
            if any(code not in law.RemovalGround.values for code in codes):
                raise CaseError(_("Please choose one of the options."))
            if law.RemovalGround.NONE in codes and len(codes) > 1:
                raise CaseError(
                    _("A conviction brings either some grounds for deportation or none, not both.")
                )
            conviction = convictions[conviction_id]
            if (conviction.removal_grounds or []) != codes:
                conviction.removal_grounds = codes or None
                conviction.save()
        screening = Screening.objects.filter(case=case).first() or Screening(case=case)
        kept = facts_of(case) if facts is None else {n: bool(facts.get(n)) for n in FACTS}
        screening.answers = {"relief": relief, "notes": (notes or "").strip(), "facts": kept}
        screening.save()
        complete = screening_complete(case)
        return _event(
            case,
            actor,
            "screening_updated",
            data={"relief": relief, "complete": complete},
        )


def immigration_answers(case: Case) -> dict[str, Any]:
    """The application's answers on immigration and whereabouts ({} for a case made by staff)."""
    applicant = getattr(case, "applicant", None)
    answers = (applicant.answers if applicant else None) or {}
    return {**(answers.get("contact") or {}), **(answers.get("immigration") or {})}


# The immigration facts the rules read, as screening records them (seeded from the application,
# set by staff for a case without one, carried to a new application).
FACTS = ("deported_or_abroad", "removal_case", "permanent_resident")


def facts_of(case: Case) -> dict[str, bool]:
    """The person's immigration facts: as screening recorded them, else from the application."""
    saved = screening_of(case).get("facts")
    if isinstance(saved, dict):
        return {name: saved.get(name) is True for name in FACTS}
    answers = immigration_answers(case)
    deported = answers.get("deported_before") is True or answers.get("where_now") == "outside_us"
    removal = answers.get("removal_pending") is True or answers.get("final_order") is True
    return {
        "deported_or_abroad": deported,
        "removal_case": removal,
        "permanent_resident": answers.get("status") == "permanent_resident",
    }


def deported_before(case: Case) -> bool:
    """Whether the person was deported before, or is outside the United States (then a
    fingerprint-based record request can reach immigration enforcement)."""
    return facts_of(case)["deported_or_abroad"]


def guidance_for(case: Case, convictions: list[Conviction]) -> law.Guidance:
    """The screening guidance for the case as it stands (decrypts: call it on a page whose
    read is audited)."""
    applicant = getattr(case, "applicant", None)
    answers = (applicant.answers if applicant else None) or {}
    return law.advise(
        law.CaseFacts(
            relief=screening_of(case).get("relief") or "",
            convictions=tuple(conviction.facts() for conviction in convictions),
            outside_ny=(answers.get("convictions") or {}).get("outside_ny") is True,
            deported_before=deported_before(case),
        )
    )


def immigration_facts(case: Case) -> law.ImmigrationFacts:
    facts = facts_of(case)
    return law.ImmigrationFacts(
        removal_case=facts["removal_case"],
        abroad=facts["deported_or_abroad"],
        permanent_resident=facts["permanent_resident"],
    )


# --- Consent --------------------------------------------------------------------------------------


def case_record_consent(*, case: Case, actor, on: date, how: str) -> CaseEvent:
    """The person's own consent, taken by staff (a family member's word is not enough to file)."""
    if not rules.may_record_consent(case, actor):
        raise _forbidden()
    if how not in ConsentHow.values or how == ConsentHow.APPLICATION:
        raise CaseError(_("Please choose one of the options."))
    if on > timezone.localdate():
        raise CaseError(_("This date is in the future."))
    with transaction.atomic():
        locked = Case.objects.select_for_update().live().filter(pk=case.pk).first()
        if locked is None:
            raise CaseError(_("This case has been shredded."))
        if locked.person_consent_on is not None:
            raise CaseError(_("The person's own consent is recorded already."))
        locked.person_consent_on, locked.person_consent_how = on, how
        locked.save(update_fields=["person_consent_on", "person_consent_how", "updated_at"])
        case.person_consent_on, case.person_consent_how = on, how
        return _event(case, actor, "consent_recorded", data={"how": how})
