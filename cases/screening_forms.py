"""Forms of screening: a conviction's facts, the screening record, the person's consent."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases import law
from cases.models import ConsentHow
from cases.screening import FACTS
from clemency.common.counties import NEW_YORK_COUNTIES
from clemency.common.forms import TextField, date_field

REQUIRED = _("Please fill this in.")


def _choice(label, choices, *, required=False, help_text="") -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=[("", _("Not known yet")), *choices],
        required=required,
        help_text=help_text,
        error_messages={"required": REQUIRED},
    )


def _yes_no(label) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=[("", _("Not known yet")), ("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        empty_value=None,
        required=False,
    )


class ConvictionForm(forms.Form):
    """A New York conviction as screening needs it (cases/screening.py CONVICTION_FIELDS)."""

    county = forms.ChoiceField(
        label=_("County"),
        choices=[("", "—"), *((c, c) for c in NEW_YORK_COUNTIES)],
        error_messages={"required": REQUIRED},
    )
    court = TextField(label=_("Court"), required=False, max_length=200)
    charge = TextField(label=_("Charge"), max_length=300, error_messages={"required": REQUIRED})
    statute = TextField(
        label=_("Statute and section"),
        help_text=_("For example: PL 220.39(1)."),
        required=False,
        max_length=100,
    )
    offense_class = _choice(_("Class"), law.OffenseClass.choices)
    category = _choice(
        _("Offense category"),
        law.OffenseCategory.choices,
        help_text=_("Kept in plain text for reports, like the county: no detail here."),
    )
    plea = _choice(_("Plea or verdict"), law.Plea.choices)
    docket = TextField(label=_("Docket or indictment number"), required=False, max_length=100)
    convicted_on = date_field(_("Date of conviction"))
    sentence = TextField(
        label=_("Sentence, as pronounced"),
        required=False,
        max_length=300,
        help_text=_("For example: 1 to 3 years, then 2 years of post-release supervision."),
    )
    sentence_kind = _choice(_("Kind of sentence"), law.SentenceKind.choices)
    sentence_days = forms.IntegerField(
        label=_("Length of the sentence in days"),
        help_text=_("The term imposed, in days (a year is 365). Leave empty if none."),
        required=False,
        min_value=0,
        max_value=40000,
        error_messages={"invalid": _("Give a whole number of days.")},
    )
    sentence_status = _choice(_("Is the sentence complete?"), law.SentenceStatus.choices)
    sentence_completed_on = date_field(_("Sentence completed on"))
    youthful_offender = _yes_no(_("Youthful offender adjudication"))
    sealed = _yes_no(_("Sealed"))

    def __init__(self, *args, county: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if county and county not in NEW_YORK_COUNTIES:  # as recorded earlier: kept choosable
            self.fields["county"].choices = [*self.fields["county"].choices, (county, county)]

    def clean(self):
        cleaned = super().clean()
        today = timezone.localdate()
        for name in ("convicted_on", "sentence_completed_on"):
            if cleaned.get(name) and cleaned[name] > today:
                self.add_error(name, _("This date is in the future."))
        done = cleaned.get("sentence_completed_on")
        if done and cleaned.get("sentence_status") in law.SentenceStatus.serving():
            self.add_error(
                "sentence_completed_on",
                _("A sentence still being served has no completion date yet."),
            )
        return cleaned

    @classmethod
    def initial_from(cls, conviction) -> dict:
        initial = {name: getattr(conviction, name) for name in cls.base_fields}
        initial["sentence_status"] = conviction.status
        for name in ("youthful_offender", "sealed"):
            value = initial[name]
            initial[name] = "" if value is None else ("yes" if value else "no")
        return initial


class ScreeningForm(forms.Form):
    """The relief sought, each conviction's grounds for deportation, the screener's notes."""

    relief = forms.ChoiceField(
        label=_("Relief sought"),
        choices=law.Relief.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    deported_or_abroad = forms.BooleanField(
        label=_("The person was deported before, or is outside the United States"),
        required=False,
    )
    removal_case = forms.BooleanField(
        label=_("A removal case is open in immigration court, or there is a final order"),
        required=False,
    )
    permanent_resident = forms.BooleanField(
        label=_("The person is a permanent resident (green card)"), required=False
    )
    notes = TextField(
        label=_("Screening notes"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, convictions, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for number, conviction in enumerate(convictions, start=1):
            name = f"grounds_{conviction.pk}"
            self.fields[name] = forms.MultipleChoiceField(
                label=_("Conviction %(number)s: grounds for deportation at stake")
                % {"number": number},
                choices=law.RemovalGround.choices,
                widget=forms.CheckboxSelectMultiple,
                required=False,
            )
            self.rows.append((conviction, name))

    def clean(self):
        cleaned = super().clean()
        for _conviction, name in self.rows:
            codes = cleaned.get(name) or []
            if law.RemovalGround.NONE in codes and len(codes) > 1:
                self.add_error(
                    name,
                    _("A conviction brings either some grounds for deportation or none, not both."),
                )
        return cleaned

    def grounds(self) -> dict[str, list[str]]:
        return {
            str(conviction.pk): self.cleaned_data.get(name) or [] for conviction, name in self.rows
        }

    def facts(self) -> dict[str, bool]:
        return {name: bool(self.cleaned_data.get(name)) for name in FACTS}

    @classmethod
    def initial_for(cls, screening: dict, convictions, *, facts: dict[str, bool]) -> dict:
        initial = {"relief": screening.get("relief", ""), "notes": screening.get("notes", "")}
        initial |= facts
        for conviction in convictions:
            initial[f"grounds_{conviction.pk}"] = conviction.removal_grounds or []
        return initial


class ConsentForm(forms.Form):
    """The person's own consent, taken by staff."""

    on = date_field(_("The person agreed on"), required=True)
    how = forms.ChoiceField(
        label=_("How"),
        choices=[(v, label) for v, label in ConsentHow.choices if v != ConsentHow.APPLICATION],
        widget=forms.RadioSelect,
        error_messages={"required": REQUIRED},
    )

    def clean_on(self):
        on = self.cleaned_data["on"]
        if on > timezone.localdate():
            raise forms.ValidationError(_("This date is in the future."), code="invalid")
        return on
