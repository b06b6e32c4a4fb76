"""The intake's steps as plain Django forms. Every label, help text and error is translated.

Cleaned data is stored as JSON in the encrypted draft (dates as ISO text), under the step's
identifier; cases/opening.py reads it from there.
"""

import re
import unicodedata
from datetime import date

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clemency import texting
from clemency.common.counties import NEW_YORK_COUNTIES
from clemency.common.forms import (
    REQUIRED,
    PersonNameField,
    TextField,
    date_field,
    hint_with_example,
)
from clemency.common.text import validate_person_name, validate_visible

PARTIAL_LIMIT = 20000  # characters kept of a field with no length of its own
TOO_LONG = _(
    "This is too long: at most %(limit_value)d characters, and it has %(show_value)d. "
    "Please shorten it."
)


def _blank(value) -> bool:
    return value in (None, "", [])


class StepForm(forms.Form):
    """Plain-language required message, and JSON-friendly cleaned data."""

    def __init__(self, *args, **kwargs) -> None:
        # No colon after a label: they are questions, and Django's colon after an Arabic "؟"
        # (which it does not know as a question mark) read "…؟:".
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages["required"] = REQUIRED
            if getattr(field, "max_length", None):
                # A browser cuts what is typed past maxlength without a word: the server says
                # it instead, and what was typed is shown back whole.
                field.widget.attrs.pop("maxlength", None)
                field.error_messages["max_length"] = TOO_LONG

    def as_answers(self) -> dict:
        return {
            name: value.isoformat() if isinstance(value, date) else value
            for name, value in self.cleaned_data.items()
        }

    def as_partial(self) -> dict:
        """What was typed in a form that is not complete: valid answers as values, the others
        as typed, so that nothing is lost when the person comes back."""
        kept = {}
        for name, field in self.fields.items():
            if name in getattr(self, "cleaned_data", {}) and name not in self.errors:
                value = self.cleaned_data[name]
                kept[name] = value.isoformat() if isinstance(value, date) else value
            else:
                raw = field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
                # Kept whole to be shortened later, within a bound: a few times what it may hold.
                length = getattr(field, "max_length", None)
                limit = 4 * length if length else PARTIAL_LIMIT
                if isinstance(raw, str):
                    raw = raw[:limit]  # kept as typed, but never more than the field takes
                elif isinstance(raw, list):
                    raw = [str(item)[:limit] for item in raw[:20]]
                if raw not in (None, "", []):
                    kept[name] = raw
        return {**kept, "_partial": True}

    def switched(self, saved: dict | None) -> dict | None:
        """For a language button pressed on the page: what was saved, with each answer the
        person changed there kept as "finish later" keeps it; None if nothing changed (a default
        the page showed, such as the form's language, is not an answer). The step then waits to
        be answered: a language button never finishes a step."""
        self.is_valid()
        before = {key: value for key, value in (saved or {}).items() if key != "_partial"}
        typed = self.as_partial()
        kept = dict(before)
        changed = False
        for name, field in self.fields.items():
            was = before.get(name, self.get_initial_for_field(field, name))
            now = typed.get(name)
            if isinstance(field, forms.BooleanField):  # a box left unticked is no answer
                now, was = now or None, was or None
            if (_blank(now) and _blank(was)) or now == was:
                continue
            changed = True
            if _blank(now):
                kept.pop(name, None)
            else:
                kept[name] = now
        return {**kept, "_partial": True} if changed else None

    @classmethod
    def initial_from(cls, answers: dict | None) -> dict:
        return {key: value for key, value in (answers or {}).items() if key != "_partial"}

    @classmethod
    def shown(cls, saved: dict) -> dict:
        """Saved answers as the review and the case page show them."""
        return saved


class YesNoField(forms.TypedChoiceField):
    """Yes or no, kept as True or False; a saved answer shows its button chosen again."""

    def prepare_value(self, value):
        if isinstance(value, bool):
            return "yes" if value else "no"
        return value

    def has_changed(self, initial, data) -> bool:
        return str(self.prepare_value(initial) or "") != str(data or "")


def _yes_no(label, help_text="") -> forms.TypedChoiceField:
    return YesNoField(
        label=label,
        help_text=help_text,
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        required=False,
        empty_value=None,
    )


class FilerForm(StepForm):
    """Who fills in the form; someone filing for another person gives their own name, so that
    the team knows whom to ask for when they call."""

    who = forms.ChoiceField(
        label=_("Who is filling in this application?"),
        choices=[
            ("applicant", _("I am the person who needs help")),
            ("family", _("A family member or friend")),
            ("attorney", _("A lawyer")),
            ("organisation", _("An organisation")),
        ],
        widget=forms.RadioSelect,
    )
    filer_name = PersonNameField(
        label=_("Your name"),
        help_text=_(
            "If you fill this in for someone else. Our team will ask for you by this name."
        ),
        required=False,
        max_length=200,
    )
    relationship = TextField(
        label=_("How do you know the person?"),
        help_text=_("For example: his sister, her lawyer, a community group."),
        required=False,
        max_length=200,
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("who") not in (None, "applicant") and not cleaned.get("filer_name"):
            self.add_error(
                "filer_name", _("Please give your name, so that we know whom to ask for.")
            )
        return cleaned


class ApplicantForm(StepForm):
    legal_name = PersonNameField(
        label=_("Full legal name"),
        help_text=_("As it is written on court or immigration papers."),
        max_length=200,
    )
    surname = PersonNameField(label=_("Family name (surname)"), max_length=100)
    other_names = forms.CharField(
        label=_("Other names or spellings used on records"),
        help_text=_("One per line. Leave empty if there are none."),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )
    date_of_birth = date_field(_("Date of birth"), required=True)
    country_of_birth = TextField(label=_("Country of birth"), max_length=100)
    language = forms.ChoiceField(
        label=_("Which language does the person prefer?"),
        choices=[*settings.LANGUAGES, ("other", _("Another language"))],
    )
    other_language = TextField(
        label=_("If another language: which one?"),
        help_text=_("For example: Mam, K'iche', Wolof, Fula, Punjabi, Mandarin."),
        required=False,
        max_length=100,
    )
    interpreter = _yes_no(_("Does the person need an interpreter?"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The form's own language is the likeliest answer, not English.
        self.fields["language"].initial = get_language()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("language") == "other" and not cleaned.get("other_language"):
            self.add_error("other_language", _("Please say which language."))
        return cleaned

    def clean_other_names(self) -> list[str]:
        text = unicodedata.normalize("NFC", self.cleaned_data.get("other_names") or "")
        names = [line.strip() for line in text.splitlines() if line.strip()][:20]
        for name in names:
            validate_person_name(name)  # the error is shown with what was typed
        return names

    def clean_date_of_birth(self) -> date:
        born = self.cleaned_data["date_of_birth"]
        if born > timezone.localdate() or born.year < 1900:
            raise forms.ValidationError(_("Please check the date of birth."), code="invalid")
        return born

    @classmethod
    def initial_from(cls, answers: dict | None) -> dict:
        initial = dict(answers or {})
        if isinstance(initial.get("other_names"), list):
            initial["other_names"] = "\n".join(initial["other_names"])
        return initial


# The field each way of contact needs.
_WAYS = {"phone": "phone", "whatsapp": "phone", "email": "email", "mail": "address"}


class WayOfContactForm(StepForm):
    """A safe contact: a way (named by ``WAY``) and the number or address it needs. A finished
    answer keeps only the number or address of the way chosen: staff must not use one typed
    before and left (what "finish later" keeps is kept as typed, and never sent)."""

    WAY: str
    NEEDED = _("We need this to contact you the way you chose.")

    phone = TextField(
        label=_("Phone number"),
        required=False,
        max_length=40,
        widget=forms.TextInput(
            attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel", "dir": "ltr"}
        ),
    )
    email = forms.EmailField(
        label=_("Email address"),
        required=False,
        validators=[validate_visible],
        error_messages={"invalid": _("Enter a valid email address.")},
        widget=forms.EmailInput(attrs={"autocomplete": "email", "dir": "ltr"}),
    )
    address = TextField(
        label=_("Postal address"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
    )

    def clean_phone(self) -> str:
        return _checked_phone(self.cleaned_data.get("phone", ""))

    def clean(self):
        cleaned = super().clean()
        field = _WAYS.get(cleaned.get(self.WAY) or "")
        if field and not cleaned.get(field):
            self.add_error(field, self.NEEDED)
        return cleaned

    def as_answers(self) -> dict:
        return self.shown(super().as_answers())

    @classmethod
    def shown(cls, saved: dict) -> dict:
        if saved.get("_partial"):
            return saved
        way = saved.get(cls.WAY) or ""
        kept = {name: "" for name in ("phone", "email", "address") if name in saved}
        if _WAYS.get(way) in kept:
            del kept[_WAYS[way]]
        if "leave_message" in saved and way not in ("phone", "whatsapp"):
            kept["leave_message"] = None
        return {**saved, **kept}


class ContactForm(WayOfContactForm):
    WAY = "method"

    where_now = forms.ChoiceField(
        label=_("Where is the person now?"),
        choices=[
            ("home", _("At home, or staying with someone")),
            ("ice_detention", _("In immigration (ICE) detention")),
            ("state_prison", _("In a New York State prison")),
            ("outside_us", _("Outside the United States")),
        ],
        widget=forms.RadioSelect,
    )
    method = forms.ChoiceField(
        label=_("How can we contact you safely?"),
        choices=[
            ("phone", _("Phone call")),
            ("whatsapp", _("WhatsApp")),
            ("email", _("Email")),
            ("mail", _("Letter by post")),
        ],
        widget=forms.RadioSelect,
    )
    leave_message = _yes_no(_("May we leave a message?"))
    field_order = ["where_now", "method", "phone", "email", "address", "leave_message"]

    def __init__(self, *args, for_someone: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if for_someone:  # the person is asked about on a page of their own
            self.fields["method"].label = _(
                "How can we contact you safely? You: the one filling in this form."
            )


def ascii_digits(text: str) -> str:
    """The text with decimal digits of any script written 0-9 (a number typed in Arabic-Indic
    or Bengali digits is the same number, and staff and text-message services dial 0-9).
    Other signs that look like digits (², ①, ⑴) raise ValidationError: a footnote mark must
    not become part of a number."""
    written = []
    for character in text:
        if character.isdigit() and not "0" <= character <= "9":
            if unicodedata.category(character) != "Nd":
                raise forms.ValidationError(_("Please check the phone number."), code="invalid")
            character = str(unicodedata.decimal(character))
        written.append(character)
    return "".join(written)


def _checked_phone(text: str) -> str:
    phone = ascii_digits(text.strip())
    if phone and len(re.sub(r"[^0-9]", "", phone)) < 7:
        raise forms.ValidationError(_("Please check the phone number."), code="invalid")
    return phone


IN_CUSTODY = ("ice_detention", "state_prison")
DIN = re.compile(r"^\d{2}[A-Z]\d{4}$")


class CustodyForm(StepForm):
    """Only for a person in ICE detention or a New York State prison."""

    facility = TextField(
        label=_("Name of the detention centre or prison"),
        help_text=_("For example: Orange County Jail, or Sing Sing Correctional Facility."),
        max_length=200,
    )
    din = forms.CharField(
        label=_("DIN (prison number), if the person is in a New York State prison"),
        help_text=hint_with_example(
            _("Two digits, a letter and four digits, like this: %(example)s"), "21A1234"
        ),
        required=False,
        max_length=20,
    )
    mail_read_by_others = _yes_no(
        _("Could other people read letters we send?"),
        _("In detention or prison, staff often open mail."),
    )

    def clean_din(self) -> str:
        din = re.sub(r"[\s-]", "", self.cleaned_data.get("din", "")).upper()
        if din and not DIN.match(din):
            raise forms.ValidationError(
                _("A DIN has two digits, a letter and four digits. Please check it."),
                code="invalid",
            )
        return din


class PersonContactForm(WayOfContactForm):
    """For an application filled in by someone else: how to reach the person themselves, which
    may differ from how to reach the one filing (a person held is reached through the facility,
    a person at home may have a phone of their own, or be reached only through the family)."""

    WAY = "reach"
    NEEDED = _("We need this to reach the person the way you chose.")

    reach = forms.ChoiceField(
        label=_("How can we safely reach the person?"),
        widget=forms.RadioSelect,
    )
    leave_message = _yes_no(
        _("May we leave the person a message?"),
        _("Answer this if you chose a phone call or WhatsApp."),
    )

    field_order = ["reach", "phone", "email", "address", "leave_message"]
    REACH_AT_HOME = [
        ("through_filer", _("Only through me")),
        ("phone", _("Phone call")),
        ("whatsapp", _("WhatsApp")),
        ("email", _("Email")),
        ("mail", _("Letter by post")),
    ]
    REACH_HELD = [
        ("through_filer", _("Only through me")),
        ("legal_call", _("A legal call or visit at the detention centre or prison")),
        ("legal_mail", _("A legal letter to the detention centre or prison")),
    ]

    def __init__(self, *args, in_custody: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reach"].choices = self.REACH_HELD if in_custody else self.REACH_AT_HOME
        if in_custody:  # reached where they are held: no phone, e-mail or address of their own
            for name in ("phone", "email", "address", "leave_message"):
                del self.fields[name]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reach") in ("phone", "whatsapp") and cleaned.get("leave_message") is None:
            self.add_error("leave_message", REQUIRED)
        return cleaned


A_NUMBER = re.compile(r"^\s*A?[\s-]*(\d[\s-]*){8,9}$", re.IGNORECASE)


class ImmigrationForm(StepForm):
    status = forms.ChoiceField(
        label=_("What is the person's immigration status?"),
        choices=[
            ("permanent_resident", _("Permanent resident (green card)")),
            ("visa", _("A visa")),
            ("asylum_tps", _("Asylum, refugee status, or TPS (Temporary Protected Status)")),
            ("none", _("No status")),
            ("unknown", _("I do not know")),
        ],
        # Buttons, none chosen: a list opened on nothing would answer with its first choice.
        widget=forms.RadioSelect,
    )
    a_number = forms.CharField(
        label=_("A-number (if you know it)"),
        help_text=hint_with_example(
            _("8 or 9 digits. It is on immigration papers and often looks like this: %(example)s"),
            "A123456789",
        ),
        required=False,
        max_length=20,
    )
    removal_pending = _yes_no(_("Is there a deportation (removal) case in immigration court?"))
    next_hearing = date_field(_("Date of the next hearing, if there is one"))
    final_order = _yes_no(_("Has a judge already ordered deportation (a final order)?"))
    ice_check_in = date_field(_("Date of the next ICE check-in, if there is one"))
    removal_imminent = _yes_no(
        _("Could the person be deported in the next few weeks?"),
        _("For example: ICE has set a date, or the person is held to be deported."),
    )
    deported_before = _yes_no(_("Has the person been deported before?"))
    deported_on = date_field(_("If yes: date of the last deportation"))
    deported_to = TextField(
        label=_("If yes: the country the person was sent to"), required=False, max_length=100
    )

    def _upcoming(self, name: str) -> date | None:
        day = self.cleaned_data.get(name)
        if day and day < timezone.localdate():
            raise forms.ValidationError(
                _("This date has passed. Give the next date, or leave it empty."), code="invalid"
            )
        return day

    def clean_next_hearing(self) -> date | None:
        return self._upcoming("next_hearing")

    def clean_ice_check_in(self) -> date | None:
        return self._upcoming("ice_check_in")

    def clean_deported_on(self) -> date | None:
        deported = self.cleaned_data.get("deported_on")
        if deported and (deported > timezone.localdate() or deported.year < 1900):
            raise forms.ValidationError(_("Please check the date."), code="invalid")
        return deported

    def clean_a_number(self) -> str:
        value = self.cleaned_data.get("a_number", "").strip()
        if value and not A_NUMBER.match(value):
            raise forms.ValidationError(
                _("An A-number has 8 or 9 digits. Please check it, or leave it empty."),
                code="invalid",
            )
        return value


class StoryForm(StepForm):
    text = TextField(
        label=_("Tell us about the person"),
        help_text=_(
            "For example: family in the United States, years here, work, health. Also what they "
            "did to change their life, and anything else that matters. Write as much or as "
            "little as you want."
        ),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        max_length=20000,
    )


UNKNOWN_COUNTY = "unknown"  # cases/opening.py keeps no county for it: staff find it out
# cases/opening.py reads these codes.
SENTENCE_ANSWERS = [
    ("finished", _("Yes, it is finished")),
    ("in_custody", _("No, the person is still in prison or jail")),
    ("supervision", _("No, the person is on probation or parole")),
    ("unknown", _("I do not know")),
]


class ConvictionForm(StepForm):
    """One New York conviction. Only the county and the charge are needed; the rest helps."""

    county = forms.ChoiceField(
        label=_("County"),
        choices=[
            ("", _("Choose the county")),
            *((c, c) for c in NEW_YORK_COUNTIES),
            (UNKNOWN_COUNTY, _("I do not know the county")),
        ],
    )
    charge = TextField(
        label=_("What was the conviction for?"),
        help_text=_("For example: criminal possession of a controlled substance, 2014."),
        max_length=300,
    )
    court = TextField(label=_("Court"), required=False, max_length=200)
    docket = TextField(
        label=_("Docket or indictment number"),
        help_text=_("The number the court gave the case. It is on court papers."),
        required=False,
        max_length=100,
    )
    date = date_field(_("Date of the conviction"))
    sentence = TextField(label=_("Sentence"), required=False, max_length=300)
    sentence_status = forms.ChoiceField(
        label=_("Is the sentence finished?"),
        help_text=_("Finished means: no more prison, jail, probation or parole, and fines paid."),
        choices=SENTENCE_ANSWERS,
        widget=forms.RadioSelect,
        required=False,
    )

    def has_input(self) -> bool:
        return any(str(self.data.get(self.add_prefix(name), "")).strip() for name in self.fields)


class OtherConvictionsForm(StepForm):
    outside_ny = _yes_no(
        _("Are there convictions outside New York State?"),
        _("Federal courts or other states count as outside New York State."),
    )


class DocumentsForm(StepForm):
    """The documents step: files go through the encrypting upload handler, not this form."""


class ConsentForm(StepForm):
    """Before sending: the filer has read who will see a petition, and says who agrees."""

    understood = forms.BooleanField(
        label=_("I have read who will see a petition, and that a pardon is made public."),
        required=True,
    )
    agrees = forms.BooleanField(label=_("I agree to this application."), required=True)
    # Which page was read: the person's own, or the one for someone filing for them. A page left
    # open while who files changed in another window must not record the wrong consent.
    given_as = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, for_someone: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.for_someone = for_someone
        self.fields["given_as"].initial = "someone" if for_someone else "person"
        if for_someone:
            self.fields["agrees"].label = _(
                "The person knows about this application and agrees to it."
            )
            self.fields["agrees"].help_text = _(
                "Our team will also ask the person. We file nothing without their own yes."
            )
        for name in ("understood", "agrees"):
            self.fields[name].error_messages["required"] = _("Please tick this box to go on.")

    def clean(self):
        cleaned = super().clean()
        expected = self.fields["given_as"].initial
        if (cleaned.get("given_as") or expected) != expected:
            # Shown again as it reads now, the boxes unticked: they were ticked for the other.
            data = self.data.copy()
            data[self.add_prefix("given_as")] = expected
            for name in ("understood", "agrees"):
                data.pop(self.add_prefix(name), None)
            self.data = data
            self.add_error(
                None,
                _(
                    "Who is applying was changed in another window. Please read this page "
                    "again and tick the boxes."
                ),
            )
        cleaned["given_as"] = expected
        return cleaned


# --- The status page: the applicant's answer, and a way to be told of news ----------------------


class ReplyForm(forms.Form):
    """A short message beside the files (the files are taken by the encrypting upload handler,
    intake/views.py)."""

    message = TextField(
        label=_("A message for our team (optional)"),
        required=False,
        max_length=settings.REPLY_MESSAGE_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


def text_message_number(value: str) -> str:
    """A phone number as a text message needs it (+ and the country code, E.164), from what
    people type: spaces, dashes, dots and brackets are fine; ten digits are a US number."""
    digits = re.sub(r"[\s\-.()]", "", ascii_digits(value))
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if re.fullmatch(r"[0-9]{10}", digits):
        digits = "+1" + digits
    elif re.fullmatch(r"1[0-9]{10}", digits):
        digits = "+" + digits
    if not re.fullmatch(r"\+[1-9][0-9]{7,14}", digits):
        raise forms.ValidationError(
            _("Enter the number with its country code, for example +1 347 555 0199."),
            code="invalid",
        )
    return digits


class NewsForm(forms.Form):
    """Where to send "there is news, please check your status" (never more than that)."""

    email = forms.EmailField(
        label=_("Email address"),
        required=False,
        validators=[validate_visible],
        error_messages={"invalid": _("Enter a valid email address.")},
        widget=forms.EmailInput(attrs={"autocomplete": "email", "dir": "ltr"}),
    )
    phone = forms.CharField(
        label=_("Mobile phone number, for text messages"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "dir": "ltr"}),
    )
    stop = forms.BooleanField(label=_("Send me no more messages"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not texting.enabled():  # no provider configured: e-mail only
            del self.fields["phone"]

    def clean_phone(self) -> str:
        phone = self.cleaned_data.get("phone", "").strip()
        return text_message_number(phone) if phone else ""

    def clean(self):
        cleaned = super().clean()
        wanted = not self.errors and not cleaned.get("stop")
        if wanted and not (cleaned.get("email") or cleaned.get("phone")):
            self.add_error(
                "email",
                _("Give an email address or a phone number, or choose no messages.")
                if "phone" in self.fields
                else _("Give an email address, or choose no messages."),
            )
        return cleaned
