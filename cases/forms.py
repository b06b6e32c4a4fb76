"""Forms of the staff and attorney side. Every label and error is translated."""

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cases import law
from cases.decisions import Decision, reliefs_of
from cases.models import (
    DECLINES,
    ClosureReason,
    DeadlineKind,
    DeadlineOutcome,
    FilingChannel,
    State,
    Urgency,
)
from cases.screening import deported_before
from cases.workflow import FINGERPRINT_WARNING, open_cases_by_attorney, volunteer_attorneys
from clemency.common.forms import TextField, date_field
from clemency.common.status import InfoItem, Referral

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
    fingerprint_risk_confirmed = forms.BooleanField(
        label=_(
            "I have weighed the fingerprint risk with the person, and they still want the rap "
            "sheet asked for."
        ),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only for a person deported before (or abroad): the warning, and its confirmation.
        self.warning = FINGERPRINT_WARNING if deported_before(self.case) else None
        # The warning says what the application told of the person: the page is audited.
        self.shows_personal_data = self.warning is not None
        if self.warning is None:
            del self.fields["fingerprint_risk_confirmed"]

    def clean(self):
        cleaned = super().clean()
        asked = InfoItem.RAP_SHEET in (cleaned.get("items") or [])
        if self.warning and asked and not cleaned.get("fingerprint_risk_confirmed"):
            self.add_error("fingerprint_risk_confirmed", str(self.warning))
        return cleaned


class CloseForm(ActionForm):
    closure_reason = forms.ChoiceField(
        label=_("Why is the case closed?"),
        choices=[("", "—"), *ClosureReason.choices],
        error_messages={"required": REQUIRED},
    )
    referrals = forms.MultipleChoiceField(
        label=_("Where can the person turn instead?"),
        help_text=_(
            "Needed when you decline (not eligible, or no capacity). The person's status page "
            "shows each choice as a plain sentence in their language; it never shows what you "
            "write below."
        ),
        choices=Referral.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    reason = _reason(
        _("Explanation"), help_text=_("For the team: why, and where the person was referred.")
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("closure_reason") in DECLINES and not cleaned.get("referrals"):
            self.add_error(
                "referrals", _("When you decline, say where the person can turn instead.")
            )
        return cleaned


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
    """The decision: a result for each conviction and each kind of relief sought; a new
    sentence for each commutation, the conditions of a conditional pardon."""

    decided_on = date_field(_("Decided on"), required=True)
    shows_personal_data = True  # each conviction's charge, decrypted: the page is audited

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        reliefs = reliefs_of(self.case)
        for number, conviction in enumerate(self.case.convictions.all(), start=1):
            names = []
            for relief in reliefs:
                name = f"result_{conviction.pk}_{relief}"
                self.fields[name] = forms.ChoiceField(
                    label=_("Conviction %(number)s (%(charge)s): %(relief)s")
                    % {"number": number, "charge": conviction.charge, "relief": relief.label},
                    choices=[(r.value, r.label) for r in law.RESULTS_FOR[relief]],
                    widget=forms.RadioSelect,
                    help_text=law.CONDITIONAL_WARNING if relief == law.Relief.PARDON else "",
                    error_messages={"required": REQUIRED},
                )
                names.append((name, relief))
            if law.Relief.COMMUTATION in reliefs:
                self.fields[f"sentence_{conviction.pk}"] = TextField(
                    label=_("Conviction %(number)s: the new sentence, if commuted")
                    % {"number": number},
                    required=False,
                    max_length=300,
                )
            if law.Relief.PARDON in reliefs:
                self.fields[f"conditions_{conviction.pk}"] = TextField(
                    label=_("Conviction %(number)s: the conditions, if the pardon has any")
                    % {"number": number},
                    required=False,
                    max_length=2000,
                    widget=forms.Textarea(attrs={"rows": 2}),
                )
            self.rows.append((conviction, names))

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

    def clean(self):
        cleaned = super().clean()
        if not self.rows:
            raise forms.ValidationError(
                _("Add the convictions first: the decision is recorded for each.")
            )
        decisions = []
        for conviction, names in self.rows:
            results = {relief: cleaned.get(name) for name, relief in names}
            sentence = cleaned.get(f"sentence_{conviction.pk}") or ""
            conditions = cleaned.get(f"conditions_{conviction.pk}") or ""
            if conditions and results.get(law.Relief.PARDON) == law.Result.FULL_PARDON:
                self.add_error(
                    f"conditions_{conviction.pk}",
                    _(
                        "A pardon with conditions is a conditional pardon: choose that, or "
                        "clear the conditions."
                    ),
                )
            commuted = results.get(law.Relief.COMMUTATION) == law.Result.COMMUTATION
            if sentence and law.Relief.COMMUTATION in results and not commuted:
                self.add_error(
                    f"sentence_{conviction.pk}",
                    _("A new sentence goes with a commutation: choose that, or clear it."),
                )
            for name, relief in names:
                result = cleaned.get(name)
                if not result:
                    continue
                if result == law.Result.COMMUTATION and not sentence:
                    self.add_error(f"sentence_{conviction.pk}", _("Give the new sentence."))
                decisions.append(
                    Decision(
                        conviction_id=str(conviction.pk),
                        relief=relief.value,
                        result=result,
                        new_sentence=sentence if result == law.Result.COMMUTATION else "",
                        conditions=conditions if result == law.Result.CONDITIONAL_PARDON else "",
                    )
                )
        # What the service takes: the date and the decisions (the per-field values stay bound).
        return {
            "expected_state": cleaned.get("expected_state"),
            "decided_on": cleaned.get("decided_on"),
            "decisions": decisions,
        }


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
