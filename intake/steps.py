"""The order of the intake's steps. Each step is one form; answers are kept under its identifier."""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from intake import forms


@dataclass(frozen=True)
class Step:
    identifier: str
    title: Promise
    form_class: type[forms.StepForm]


STEPS = [
    Step("filer", _("Who is applying"), forms.FilerForm),
    Step("applicant", _("About the person"), forms.ApplicantForm),
    Step("contact", _("Safe contact"), forms.ContactForm),
    Step("immigration", _("Immigration"), forms.ImmigrationForm),
    Step("convictions", _("Convictions in New York"), forms.ConvictionForm),
    Step("story", _("Their story"), forms.StoryForm),
    Step("documents", _("Documents"), forms.DocumentsForm),
]
BY_IDENTIFIER = {step.identifier: step for step in STEPS}


def position(step: Step) -> int:
    return STEPS.index(step) + 1


def after(step: Step) -> Step | None:
    index = STEPS.index(step)
    return STEPS[index + 1] if index + 1 < len(STEPS) else None


def before(step: Step) -> Step | None:
    index = STEPS.index(step)
    return STEPS[index - 1] if index > 0 else None


def first_unanswered(answers: dict) -> Step | None:
    return next((step for step in STEPS if step.identifier not in answers), None)
