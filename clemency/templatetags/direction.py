"""``{{ value|direction }}``: the ``dir`` a piece of typed text needs where it is shown.

``dir="auto"`` takes the direction of the first letter: right for Arabic, left for Latin. A value
with no letter at all (a phone number, a date in figures, a docket number of digits) then takes
the page's direction, and on a right-to-left page "+1 347 555 0199" reads "0199 555 347 1+".
Such values are left-to-right.
"""

import unicodedata

from django import template
from django.utils.safestring import SafeData

register = template.Library()


@register.filter
def direction(value) -> str:
    """ "ltr" for text with no letter, "auto" for typed text, "" (inherit the page's) for safe
    HTML, whose typed parts are isolated in it already."""
    if isinstance(value, SafeData):
        return ""
    for character in str(value):
        if unicodedata.bidirectional(character) in ("L", "R", "AL"):
            return "auto"
    return "ltr"
