"""The intake's steps, in order. Each step is a small class that owns its form, when it applies,
how its answers read (on the review and the case page) and, where one form is not enough, its
own requests. The views and the summary of answers ask the step; none looks at a step's name.

Answers are kept under the step's identifier. A step that does not apply (``is_applicable``, from
the answers so far) is left out of the order, the review and the "step N of M" count, and its
answers are dropped when an earlier answer makes it not apply any more.
"""

import contextlib
import uuid
from datetime import date
from typing import Any, Protocol

from django.conf import settings
from django.contrib import messages
from django.forms import BoundField, DateField
from django.http import HttpRequest, HttpResponse
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clemency.templatetags.direction import numbers_ltr
from intake import forms

Answers = dict[str, Any]
Row = tuple[str, str]  # a question and its answer, as the reader reads them
# Marks a step saved with "finish later" before all its questions were answered: what was typed
# is kept (valid answers as values, the rest as typed), and the step still waits to be done.
PARTIAL = "_partial"


def answered(answers: Answers, identifier: str) -> bool:
    saved = answers.get(identifier)
    return saved is not None and not (isinstance(saved, dict) and saved.get(PARTIAL))


class Page(Protocol):
    """A step's page in one request, as intake/views.py hands it over: the answers so far and
    the way to save, show and move on. A step reaches the draft only through its page."""

    request: HttpRequest
    answers: Answers
    # The language asked for with one of the page's language buttons (which send the step's
    # form): what was typed is kept as "finish later" keeps it, and the step shown again in it.
    switching_language: str | None

    def save(self, data: dict) -> Answers:
        """Keep this step's answers (validated); returns all the answers."""

    def render(self, context: dict) -> HttpResponse:
        """The step's template, with the step and where it is in the application."""

    def again(self) -> HttpResponse:
        """Back to this step, after a change that is saved."""

    def done(self) -> HttpResponse:
        """Once the step is saved: the next step that applies, the review, or "saved" (or this
        step again, in the language asked for)."""


class FilesPage(Page, Protocol):
    """The page of a step that takes files: uploads arrive encrypted (intake/urls.py)."""

    upload_refusals: list[str]  # why files of this request were not taken in

    def documents(self) -> list[tuple[Any, dict]]:
        """The files added so far, each with its (decrypted) name and type."""

    def add_document(self, upload) -> str | None:
        """Keep an upload; the reason it is refused, or None."""

    def remove_document(self, document_id: uuid.UUID) -> None: ...


class Step:
    """One page of the application, one form; its answers are kept under ``identifier``."""

    identifier: str
    part_of: str | None = None  # a follow-up page of another step, counted as that step
    title: Promise
    form_class: type[forms.StepForm]
    template_name = "intake/step.html"
    takes_files = False  # then its page has its own address, with the encrypting upload handler
    default_action = "next"  # what pressing Enter in a field does (not a language button)

    def is_applicable(self, answers: Answers) -> bool:
        return True

    def form_kwargs(self, answers: Answers) -> dict[str, Any]:
        """What the step's form is told of earlier answers (its questions may depend on them)."""
        return {}

    def stamp(self, answers: Answers) -> dict[str, Any]:
        """Saved with the step's answers (intake/services.py, on every save): what they were
        given under (see ``reconciled``)."""
        return {}

    def reconciled(self, answers: Answers, saved: Any) -> Any:
        """The step's saved answers once earlier ones have changed: as they are, or marked to
        be answered again (PARTIAL), keeping what still fits."""
        return saved

    def context(self, answers: Answers) -> dict[str, Any]:
        """More for the step's template."""
        return {}

    def summary(self, answers: Answers, *, files: list[str] | None = None) -> list[Row] | None:
        """The step's answers as rows, the intake's questions as labels; None leaves it out."""
        initial = self.form_class.initial_from(answers.get(self.identifier))
        form = self.form_class(initial=initial, **self.form_kwargs(answers))
        saved = self.form_class.shown(answers.get(self.identifier) or {})
        return [(field.label, _shown(field, saved)) for field in form if not field.is_hidden]

    def handle(self, page: Page) -> HttpResponse:
        """GET shows the form with what was saved; a valid POST saves it and moves on."""
        form_class, kwargs = self.form_class, self.form_kwargs(page.answers)
        if page.request.method == "POST":
            saved = page.answers.get(self.identifier)
            if page.switching_language:
                initial = form_class.initial_from(saved)
                switched = form_class(page.request.POST, initial=initial, **kwargs).switched(saved)
                if switched is not None:
                    page.save(switched)
                return page.done()
            form = form_class(page.request.POST, **kwargs)
            if form.is_valid():
                page.save(form.as_answers())
                return page.done()
            if page.request.POST.get("action") == "later":
                # "Answer what you know": what is typed is kept, and the step waits.
                page.save(form.as_partial())
                return page.done()
        else:
            initial = form_class.initial_from(page.answers.get(self.identifier))
            form = form_class(initial=initial, **kwargs)
        return page.render({"form": form, **self.context(page.answers)})


def for_someone(answers: Answers) -> bool:
    """The application is filled in by someone other than the person (family, a lawyer...)."""
    return (answers.get("filer") or {}).get("who") not in (None, "applicant")


def in_custody(answers: Answers) -> bool:
    return (answers.get("contact") or {}).get("where_now") in forms.IN_CUSTODY


class FilerStep(Step):
    identifier = "filer"
    title = gettext_lazy("Who is applying")
    form_class = forms.FilerForm


class ApplicantStep(Step):
    identifier = "applicant"
    title = gettext_lazy("About the person")
    form_class = forms.ApplicantForm


class ForWhoFiles:
    """A step whose question reads differently when someone files for the person: its form is
    told so, and its answers carry the mark of it (``reconciled`` notices a change)."""

    def form_kwargs(self, answers: Answers) -> dict[str, Any]:
        return {"for_someone": for_someone(answers)}

    def stamp(self, answers: Answers) -> dict[str, Any]:
        return {"for_someone": for_someone(answers)}


class ContactStep(ForWhoFiles, Step):
    identifier = "contact"
    title = gettext_lazy("Safe contact")
    form_class = forms.ContactForm

    def reconciled(self, answers: Answers, saved: Any) -> Any:
        """Answered about the one filing, and now the person files (or the other way): the
        question meant someone else, so it is asked again (what was typed is kept)."""
        if isinstance(saved, dict) and saved.get("for_someone", for_someone(answers)) != (
            for_someone(answers)
        ):
            return {**saved, "for_someone": for_someone(answers), PARTIAL: True}
        return saved


class CustodyStep(Step):
    """Only for a person in ICE detention or a New York State prison."""

    identifier = "custody"
    title = gettext_lazy("Where the person is held")
    form_class = forms.CustodyForm
    part_of = "contact"  # numbered with it: the count of steps never jumps

    def is_applicable(self, answers: Answers) -> bool:
        return in_custody(answers)


class PersonContactStep(Step):
    """Only when someone else fills in the form: how to reach the person themselves."""

    identifier = "person_contact"
    title = gettext_lazy("Safe contact for the person")
    form_class = forms.PersonContactForm
    part_of = "contact"

    def is_applicable(self, answers: Answers) -> bool:
        return for_someone(answers)

    def form_kwargs(self, answers: Answers) -> dict[str, Any]:
        return {"in_custody": in_custody(answers)}

    def reconciled(self, answers: Answers, saved: Any) -> Any:
        """The person was at home and is now held (or the other way): the ways to reach them
        differ, so the question is asked again."""
        if not isinstance(saved, dict) or not saved.get("reach"):
            return saved
        form = self.form_class(**self.form_kwargs(answers))
        if saved["reach"] in dict(form.fields["reach"].choices):
            return saved
        # Kept, to come back if the change was a mistaken tap; a waiting step is never sent,
        # and answering it replaces the whole answer.
        return {**saved, "reach": None, PARTIAL: True}


class ImmigrationStep(Step):
    identifier = "immigration"
    title = gettext_lazy("Immigration")
    form_class = forms.ImmigrationForm


class ConvictionsStep(Step):
    """New York convictions, added one at a time to a list, then whether there are others."""

    identifier = "convictions"
    title = gettext_lazy("Convictions in New York")
    form_class = forms.ConvictionForm
    template_name = "intake/convictions.html"
    default_action = "add"

    def summary(self, answers: Answers, *, files: list[str] | None = None) -> list[Row]:
        saved = answers.get(self.identifier) or {}
        return [
            (_("Conviction %(number)s") % {"number": number}, _conviction_line(conviction))
            for number, conviction in enumerate(saved.get("list") or [], start=1)
        ]

    def handle(self, page: Page) -> HttpResponse:
        """Add convictions one at a time; remove any; then continue.

        Whatever is typed in the conviction form when the applicant presses "continue" is added
        first (or shown back with its errors): nothing typed is dropped.
        """
        request = page.request
        saved = page.answers.get(self.identifier) or {}
        convictions = list(saved.get("list") or [])
        typed = saved.get("typed") or {}
        conviction = forms.ConvictionForm(
            prefix="conviction", initial=forms.ConvictionForm.initial_from(typed)
        )
        other = forms.OtherConvictionsForm(initial={"outside_ny": saved.get("outside_ny")})
        if request.method == "POST":
            action = request.POST.get("action", "next")
            conviction = forms.ConvictionForm(request.POST, prefix="conviction")
            other = forms.OtherConvictionsForm(request.POST)
            if page.switching_language:
                return self._switch(page, saved, conviction, other)
            if action == "later":
                return self._later(page, convictions, conviction, other)
            if action.startswith("remove-"):
                index = action.removeprefix("remove-")
                if index.isdigit() and int(index) < len(convictions):
                    del convictions[int(index)]
                page.save({**saved, "list": convictions})
                return page.again()
            adding = action == "add" or conviction.has_input()
            if adding and len(convictions) >= settings.MAX_CONVICTIONS:
                conviction.is_valid()  # what was typed is shown back, with this reason
                conviction.add_error(None, too_many_convictions())
                return self._render(page, convictions, conviction, other)
            if adding and conviction.is_valid():
                convictions.append(conviction.as_answers())
                conviction = forms.ConvictionForm(prefix="conviction")
            elif adding:
                return self._render(page, convictions, conviction, other)
            if other.is_valid():
                saved = {"list": convictions, "outside_ny": other.cleaned_data["outside_ny"]}
                page.save(saved)
                if action == "add":
                    messages.success(request, _("The conviction is added."))
                    return page.again()
                if not convictions:
                    conviction.add_error(None, _("Please add at least one New York conviction."))
                    return self._render(page, convictions, conviction, other)
                if saved["outside_ny"]:
                    messages.info(
                        request,
                        _(
                            "The Governor of New York can only pardon New York convictions. We "
                            "will still read your application and tell you what we can do."
                        ),
                    )
                return page.done()
        return self._render(page, convictions, conviction, other)

    def _later(self, page: Page, convictions, conviction, other) -> HttpResponse:
        """ "Finish later": the list kept, a conviction typed kept (added if it is whole, else as
        typed), and the step waits unless it is complete."""
        typed = None
        if conviction.has_input():
            room = len(convictions) < settings.MAX_CONVICTIONS
            if conviction.is_valid() and room:
                convictions.append(conviction.as_answers())
            else:
                typed = conviction.as_partial()
        outside = other.cleaned_data.get("outside_ny") if other.is_valid() else None
        saved = {"list": convictions, "outside_ny": outside}
        if typed is not None or outside is None or not convictions:
            saved |= {PARTIAL: True, **({"typed": typed} if typed else {})}
        page.save(saved)
        return page.done()

    def _switch(self, page: Page, saved: dict, conviction, other) -> HttpResponse:
        """A language button: a conviction being typed is kept as typed (to be added in the new
        language), the answer about other convictions kept; the step waits to be answered."""
        outside = other.cleaned_data.get("outside_ny") if other.is_valid() else None
        typing = conviction.has_input()
        if typing or saved.get("typed") or outside != saved.get("outside_ny"):
            conviction.is_valid()
            kept = {key: value for key, value in saved.items() if key != "typed"}
            typed = {"typed": conviction.as_partial()} if typing else {}  # or cleared
            page.save({**kept, "outside_ny": outside, **typed, PARTIAL: True})
        return page.done()

    def _render(self, page: Page, convictions, conviction, other) -> HttpResponse:
        return page.render(
            {
                # Each as the review shows it: dates the reader's way, typed text isolated.
                "convictions": [{**item, "line": _conviction_line(item)} for item in convictions],
                "form": conviction,
                "other": other,
                "max_convictions": settings.MAX_CONVICTIONS,
                "at_limit": len(convictions) >= settings.MAX_CONVICTIONS,
            }
        )


def too_many_convictions() -> str:
    return _(
        "An application can list up to %(count)s convictions. Write about the others in the "
        "story (the next step), and we will ask you about them."
    ) % {"count": settings.MAX_CONVICTIONS}


class StoryStep(Step):
    identifier = "story"
    title = gettext_lazy("Their story")
    form_class = forms.StoryForm


class DocumentsStep(Step):
    """Files that help; each is encrypted as it arrives, only ciphertext is stored."""

    identifier = "documents"
    title = gettext_lazy("Documents")
    form_class = forms.DocumentsForm
    template_name = "intake/documents.html"
    takes_files = True

    def summary(self, answers: Answers, *, files: list[str] | None = None) -> list[Row] | None:
        if files is None:  # the case page lists the case's own documents instead
            return None
        return [(_("File"), name) for name in files]

    def handle(self, page: FilesPage) -> HttpResponse:
        request = page.request
        if request.method != "POST":
            return page.render(
                {
                    "documents": page.documents(),
                    "max_mb": settings.INTAKE_MAX_UPLOAD_MB,
                    "max_files": settings.INTAKE_MAX_FILES,
                    "max_total_mb": settings.INTAKE_MAX_TOTAL_MB,
                }
            )
        action = request.POST.get("action", "upload")
        if action.startswith("remove-"):
            with contextlib.suppress(ValueError):
                page.remove_document(uuid.UUID(action.removeprefix("remove-")))
            return page.again()
        # A file chosen and not added yet is added by "Save and continue" too: never dropped.
        refusals = page.upload_refusals
        uploads = request.FILES.getlist("file")
        for refusal in refusals:
            messages.error(request, refusal)
        added = True
        for upload in uploads:
            refused = page.add_document(upload)
            if refused:
                messages.error(request, refused)
                added = False
            else:
                messages.success(request, _("The file is added."))
        if action == "upload":
            if not uploads and not refusals:
                messages.error(request, _("Choose a file first."))
            return page.again()
        if refusals or not added:
            return page.again()  # the person sees why before going on
        page.save({"count": len(page.documents())})
        return page.done()


class ConsentStep(ForWhoFiles, Step):
    """Before sending: who will read a petition, that grants are public, how we answer a
    demand for records; then who agrees (the person, or the filer for them)."""

    identifier = "consent"
    title = gettext_lazy("Who will see it")
    form_class = forms.ConsentForm
    template_name = "intake/consent.html"

    def context(self, answers: Answers) -> dict[str, Any]:
        return {"for_someone": for_someone(answers)}

    def reconciled(self, answers: Answers, saved: Any) -> Any:
        """The person's own yes, or someone's word that the person agrees, are not the same
        consent: when who files changes, it is asked again (the boxes unticked). A consent saved
        without the mark (before it was kept) is asked again too: whose word it was is unknown."""
        if isinstance(saved, dict) and saved.get("for_someone") != for_someone(answers):
            return {"for_someone": for_someone(answers), PARTIAL: True}
        return saved

    def summary(self, answers: Answers, *, files: list[str] | None = None) -> list[Row]:
        saved = answers.get(self.identifier) or {}
        if not saved.get("agrees"):
            return [(_("Consent"), "—")]
        who = (
            _("Given by the person filling in the form, who says the person knows and agrees")
            if for_someone(answers)
            else _("Given by the person")
        )
        return [(_("Consent"), who)]


STEPS: list[Step] = [
    FilerStep(),
    ApplicantStep(),
    ContactStep(),
    CustodyStep(),
    PersonContactStep(),
    ImmigrationStep(),
    ConvictionsStep(),
    StoryStep(),
    DocumentsStep(),
    ConsentStep(),
]
BY_IDENTIFIER = {step.identifier: step for step in STEPS}


def applicable(answers: Answers) -> list[Step]:
    return [step for step in STEPS if step.is_applicable(answers)]


def position(step: Step, answers: Answers) -> tuple[int, int]:
    """The step's number and the number of steps. A follow-up page (``part_of``) that applies
    only to some people carries the number of the step it follows, so the count is the same
    for everyone and never jumps ("Step 3 of 7", then "Step 4 of 8")."""
    main = [item for item in STEPS if item.part_of is None]
    counted = BY_IDENTIFIER[step.part_of] if step.part_of else step
    return main.index(counted) + 1, len(main)


def after(step: Step, answers: Answers) -> Step | None:
    later = STEPS[STEPS.index(step) + 1 :]
    return next((item for item in later if item.is_applicable(answers)), None)


def before(step: Step, answers: Answers) -> Step | None:
    earlier = STEPS[: STEPS.index(step)]
    return next((item for item in reversed(earlier) if item.is_applicable(answers)), None)


def first_unanswered(answers: Answers) -> Step | None:
    return next(
        (step for step in applicable(answers) if not answered(answers, step.identifier)), None
    )


def without_inapplicable(answers: Answers) -> Answers:
    """The answers minus those of steps that no longer apply (they are not sent), and each
    step's answers as they stand after the others changed (``Step.reconciled``)."""
    return {
        key: BY_IDENTIFIER[key].reconciled(answers, value) if key in BY_IDENTIFIER else value
        for key, value in answers.items()
        if key not in BY_IDENTIFIER or BY_IDENTIFIER[key].is_applicable(answers)
    }


# --- How answers read -----------------------------------------------------------------------


def _conviction_line(conviction: dict) -> str:
    """One conviction as the applicant gave it: what for, where, when, the court, docket and
    sentence. Each typed part is isolated (<bdi>), so that Arabic and English mixed in one line
    keep their order; the line is safe HTML."""
    when = _local_date(conviction.get("date"))
    finished = dict(forms.SENTENCE_ANSWERS).get(conviction.get("sentence_status") or "")
    if finished is None and conviction.get("complete") is not None:  # an older draft's answer
        finished = _("Yes") if conviction["complete"] else _("No")
    county = conviction.get("county")
    if county == forms.UNKNOWN_COUNTY:
        county = _("I do not know the county")
    parts = [
        conviction.get("charge"),
        county,
        when,
        conviction.get("court"),
        conviction.get("docket"),
        conviction.get("sentence"),
        finished,
    ]
    return format_html_join(
        ", ", "<bdi>{}</bdi>", ((numbers_ltr(str(part)),) for part in parts if part)
    )


def _local_date(value: str | None) -> str | None:
    """An ISO date from the answers, written the way the reader's language writes dates."""
    try:
        return date_format(date.fromisoformat(value), "DATE_FORMAT") if value else None
    except (TypeError, ValueError):
        return value


def _shown(bound_field: BoundField, answers: dict) -> str:
    value = answers.get(bound_field.name)
    if value in (None, "", []):
        return "—"
    if isinstance(bound_field.field, DateField):
        return _local_date(value) or "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    choices = dict(getattr(bound_field.field, "choices", []) or [])
    return str(choices.get(value, value))
