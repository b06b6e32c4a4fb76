"""An application's answers as labelled rows, step by step, in the reader's language.

Used by the applicant's review page and, on the staff side, by the case page: both show the
answers with the intake's own questions as labels, dates written the reader's way.
"""

from datetime import date

from django.forms import DateField
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from intake import steps


def answer_sections(answers: dict, *, files: list[str] | None = None) -> list[dict]:
    """One section per step that applies: its step, whether it is answered, and its rows."""
    sections = []
    for step in steps.applicable(answers):
        if step.identifier == "documents":
            if files is None:
                continue
            rows = [(_("File"), name) for name in files]
        elif step.identifier == "convictions":
            saved = answers.get("convictions") or {}
            rows = [
                (_("Conviction %(number)s") % {"number": number}, conviction_line(conviction))
                for number, conviction in enumerate(saved.get("list") or [], start=1)
            ]
        else:
            form_class = step.form_class
            form = form_class(initial=form_class.initial_from(answers.get(step.identifier)))
            saved = answers.get(step.identifier) or {}
            rows = [(field.label, display(field, saved)) for field in form]
        sections.append({"step": step, "answered": step.identifier in answers, "rows": rows})
    return sections


def conviction_line(conviction: dict) -> str:
    when = local_date(conviction.get("date"))
    parts = [conviction.get("charge"), conviction.get("county"), when]
    return ", ".join(str(part) for part in parts if part)


def local_date(value: str | None) -> str | None:
    """An ISO date from the answers, written the way the reader's language writes dates."""
    try:
        return date_format(date.fromisoformat(value), "DATE_FORMAT") if value else None
    except (TypeError, ValueError):
        return value


def display(bound_field, answers: dict) -> str:
    value = answers.get(bound_field.name)
    if value in (None, "", []):
        return "—"
    if isinstance(bound_field.field, DateField):
        return local_date(value) or "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    choices = dict(getattr(bound_field.field, "choices", []) or [])
    return str(choices.get(value, value))
