"""The order of the intake's steps. Each step is one form; answers are kept under its identifier.

A step may apply only to some applicants (``applies``, from the answers so far): a step that does
not apply is left out of the order, the review and the "step N of M" count, and its answers are
dropped when an earlier answer makes it not apply any more.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from intake import forms

Answers = dict


def _always(answers: Answers) -> bool:
    return True


def _in_custody(answers: Answers) -> bool:
    return (answers.get("contact") or {}).get("where_now") in forms.IN_CUSTODY


@dataclass(frozen=True)
class Step:
    identifier: str
    title: Promise
    form_class: type[forms.StepForm]
    applies: Callable[[Answers], bool] = _always


STEPS = [
    Step("filer", _("Who is applying"), forms.FilerForm),
    Step("applicant", _("About the person"), forms.ApplicantForm),
    Step("contact", _("Safe contact"), forms.ContactForm),
    Step("custody", _("Where the person is held"), forms.CustodyForm, _in_custody),
    Step("immigration", _("Immigration"), forms.ImmigrationForm),
    Step("convictions", _("Convictions in New York"), forms.ConvictionForm),
    Step("story", _("Their story"), forms.StoryForm),
    Step("documents", _("Documents"), forms.DocumentsForm),
]
BY_IDENTIFIER = {step.identifier: step for step in STEPS}


def applicable(answers: Answers) -> list[Step]:
    return [step for step in STEPS if step.applies(answers)]


def position(step: Step, answers: Answers) -> tuple[int, int]:
    """The step's number and the number of steps, counting only those that apply."""
    order = applicable(answers)
    number = order.index(step) + 1 if step in order else STEPS.index(step) + 1
    return number, len(order)


def after(step: Step, answers: Answers) -> Step | None:
    later = STEPS[STEPS.index(step) + 1 :]
    return next((item for item in later if item.applies(answers)), None)


def before(step: Step, answers: Answers) -> Step | None:
    earlier = STEPS[: STEPS.index(step)]
    return next((item for item in reversed(earlier) if item.applies(answers)), None)


def first_unanswered(answers: Answers) -> Step | None:
    return next((step for step in applicable(answers) if step.identifier not in answers), None)


def without_inapplicable(answers: Answers) -> Answers:
    """The answers minus those of steps that no longer apply (they are not sent)."""
    return {
        key: value
        for key, value in answers.items()
        if key not in BY_IDENTIFIER or BY_IDENTIFIER[key].applies(answers)
    }
