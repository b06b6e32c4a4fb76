"""Form fields that the intake and the case pages share."""

from django import forms
from django.utils.translation import gettext_lazy as _

REQUIRED = _("Please answer this question.")


def date_field(label, *, required=False, help_text="") -> forms.DateField:
    """A date with the browser's date picker, and a plain message when it cannot be read."""
    return forms.DateField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "invalid": _("Enter a date, for example 2024-05-17."),
            "required": REQUIRED,
        },
    )
