"""Form fields that the intake and the case pages share."""

import unicodedata

from django import forms
from django.utils.functional import lazy
from django.utils.html import escape, format_html
from django.utils.translation import gettext_lazy as _

from clemency.common import text

REQUIRED = _("Please answer this question.")


def hint_with_example(hint, example: str):
    """A field's hint whose ``%(example)s`` (a code, a number) is shown isolated, left to right,
    in any page's direction. Hints are written so the example ends them with no full stop: on
    a right-to-left page a stop after it would be drawn on its far side ("A123456789." read as
    ".A123456789"). Django's field template shows hints as HTML; the hint itself is escaped."""

    def shown() -> str:
        code = format_html('<bdi dir="ltr" class="example">{}</bdi>', example)
        return escape(str(hint)) % {"example": code}

    return lazy(shown, str)()


def date_field(label, *, required=False, help_text="") -> forms.DateField:
    """A date with the browser's date picker, and a plain message when it cannot be read."""
    return forms.DateField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            # Not an example in one format: the date picker shows the reader's own.
            "invalid": _("Enter the whole date: day, month and year."),
            "required": REQUIRED,
        },
    )


class TextField(forms.CharField):
    """Free text (a story, a note, an address): kept as typed, minus the characters that reorder
    or hide text (clemency/common/text.py ``clean_text``). A Textarea keeps its line breaks."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return value
        return text.clean_text(value, multiline=isinstance(self.widget, forms.Textarea))


class PersonNameField(forms.CharField):
    """A person's name: refused, with what was typed kept in the form, when it holds hidden
    characters or no letter (clemency/common/text.py ``validate_person_name``)."""

    default_validators = [text.validate_person_name]

    def to_python(self, value):
        value = super().to_python(value)
        return unicodedata.normalize("NFC", value) if value else value
