"""Forms of the staff and attorney side. Every label and error is translated."""

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cases.models import (
    ClosureReason,
    DeadlineKind,
    DeadlineOutcome,
    FilingChannel,
    Outcome,
    State,
    Urgency,
)
from cases.workflow import SCREENING_QUESTIONS, open_cases_by_attorney, volunteer_attorneys
from clemency.common.forms import TextField, date_field
from clemency.common.status import InfoItem

REQUIRED = _("Please fill this in.")


REASON = _("Reason")


def _reason(label=REASON, *, required=True, help_text="") -> TextField:
    return TextField(
        label=label,
        required=required,
        help_text=help_text,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Please give a reason.")},
    )


class ActionForm(forms.Form):
    """Every action carries the state the user saw, so that a stale page cannot act.

    Each action's form is made for the case and the user acting on it, and takes from them
    what it needs (the attorneys' caseloads, the filing date).
    """

    expected_state = forms.ChoiceField(choices=State.choices, widget=forms.HiddenInput)

    def __init__(self, *args, case, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.case, self.user = case, user


class ReasonForm(ActionForm):
    reason = _reason()


class RequestInfoForm(ActionForm):
    items = forms.MultipleChoiceField(
        label=_("What do you need from the applicant?"),
        help_text=_("The applicant sees this list on the status page, in their language."),
        choices=InfoItem.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one thing to ask for.")},
    )
    reason = _reason(_("Note for the team"), required=False)


class CloseForm(ActionForm):
    closure_reason = forms.ChoiceField(
        label=_("Why is the case closed?"),
        choices=[("", "—"), *ClosureReason.choices],
        error_messages={"required": REQUIRED},
    )
    reason = _reason(
        _("Explanation"), help_text=_("Say where the applicant was referred, if anywhere.")
    )


class AttorneyChoiceField(forms.ModelChoiceField):
    def __init__(self, *args, open_counts: dict[int, int] | None = None, **kwargs):
        self.open_counts = open_counts or {}
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj) -> str:
        count = self.open_counts.get(obj.pk, 0)
        return ngettext(
            "%(email)s (%(count)s open case)", "%(email)s (%(count)s open cases)", count
        ) % {"email": obj.email, "count": count}


class AssignForm(ActionForm):
    attorney = AttorneyChoiceField(
        label=_("Volunteer attorney"),
        queryset=volunteer_attorneys().order_by("email"),
        error_messages={"required": REQUIRED},
    )
    deadline = date_field(_("Draft due by"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attorney"].open_counts = open_cases_by_attorney(self.user)


class ReassignForm(AssignForm):
    reason = _reason()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["deadline"]


class SubmitForm(ActionForm):
    filed_on = date_field(_("Filed with the Executive Clemency Bureau on"))
    channel = forms.ChoiceField(
        label=_("Filed by"), choices=FilingChannel.choices, widget=forms.RadioSelect
    )
    signed_off_on = date_field(_("The client signed off on"))

    def clean(self):
        cleaned = super().clean()
        today = timezone.localdate()
        for name in ("filed_on", "signed_off_on"):
            if cleaned.get(name) and cleaned[name] > today:
                self.add_error(name, _("This date is in the future."))
        return cleaned


class DecideForm(ActionForm):
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=Outcome.choices, widget=forms.RadioSelect
    )
    decided_on = date_field(_("Decided on"))

    def clean_decided_on(self):
        decided, filed_on = self.cleaned_data["decided_on"], self.case.filed_on
        if decided > timezone.localdate():
            raise forms.ValidationError(_("This date is in the future."), code="invalid")
        if filed_on and decided < filed_on:
            raise forms.ValidationError(
                _("The decision cannot come before the filing (%(date)s).")
                % {"date": date_format(filed_on, "DATE_FORMAT")},
                code="invalid",
            )
        return decided


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of document"))

    def __init__(self, *args, kinds: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds


class NoteForm(forms.Form):
    text = TextField(
        label=_("Add a note"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Write the note first.")},
    )


SCREENING_LABELS = {
    "ny_conviction": _("There is at least one New York State conviction"),
    "sentence_complete": _("The sentence is complete"),
    "pardon_helps": _("A pardon can help with the immigration problem"),
    "alternatives": _("Other ways (vacatur, sealing) have been considered"),
}


class ScreeningForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for question in SCREENING_QUESTIONS:
            self.fields[question] = forms.BooleanField(
                label=SCREENING_LABELS[question], required=False
            )


class UrgencyForm(forms.Form):
    urgency = forms.ChoiceField(
        label=_("Urgency"),
        choices=[("", _("As computed from the facts")), *Urgency.choices],
        required=False,
    )
    reason = _reason()


SHRED_REASON_CHOICES = [
    ("retention", _("Its time to be kept is over")),
    ("request", _("The applicant asked for their data to be erased")),
    ("duplicate", _("It duplicates another case")),
    ("test", _("It was made for a test")),
]


class ShredForm(forms.Form):
    """Erasing a case cannot be undone: the coordinator types its reference to confirm."""

    reason = forms.ChoiceField(
        label=_("Why is it erased?"),
        choices=SHRED_REASON_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose one of the options.")},
    )
    reference = forms.CharField(
        label=_("Type the case's reference to confirm"),
        max_length=32,
        error_messages={"required": _("Type the reference to confirm.")},
    )

    def __init__(self, *args, case, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.case = case
        self.fields["reference"].help_text = _("It is %(reference)s.") % {
            "reference": case.reference
        }
        self.fields["reference"].widget.attrs.update(
            {"autocomplete": "off", "spellcheck": "false", "dir": "ltr"}
        )

    def clean_reference(self) -> str:
        typed = "".join(self.cleaned_data["reference"].split()).upper()
        if typed != self.case.reference:
            raise forms.ValidationError(_("That is not this case's reference. Nothing was erased."))
        return typed


class DeadlineForm(forms.Form):
    kind = forms.ChoiceField(label=_("What is due"), choices=DeadlineKind.choices)
    due_on = date_field(_("Date"), required=True)
    note = TextField(
        label=_("Note (optional)"),
        required=False,
        max_length=500,
        help_text=_("For example the court, or what is due. Kept encrypted."),
    )


class DeadlineChangeForm(forms.Form):
    """Either a new date (and why), or an outcome that closes the deadline."""

    due_on = date_field(_("New date"), required=False)
    outcome = forms.ChoiceField(
        label=_("Or close it"),
        choices=[("", _("Keep it open")), *DeadlineOutcome.choices],
        required=False,
    )
    reason = _reason(_("Why"), required=False)

    def __init__(self, *args, deadline, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.deadline = deadline
        self.fields["due_on"].initial = deadline.due_on

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        if data.get("outcome"):
            return data
        if not data.get("due_on") or data["due_on"] == self.deadline.due_on:
            raise forms.ValidationError(_("Give a new date, or choose how it was closed."))
        if not (data.get("reason") or "").strip():
            self.add_error("reason", _("Please give a reason."))
        return data


class NotificationChoicesForm(forms.Form):
    """For each kind of notification: at once, or in one message a day."""

    def __init__(self, *args, kinds, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for value, label in kinds:
            self.fields[value] = forms.ChoiceField(
                label=label,
                choices=[("now", _("At once")), ("digest", _("In one message a day"))],
                widget=forms.RadioSelect,
            )
