"""``{{ value|direction }}``: the ``dir`` a piece of typed text needs where it is shown.

``dir="auto"`` takes the direction of the first letter: right for Arabic, left for Latin. A value
with no letter at all (a phone number, a date in figures, a docket number of digits) then takes
the page's direction, and on a right-to-left page "+1 347 555 0199" reads "0199 555 347 1+".
Such values are left-to-right.
"""

import re
import unicodedata

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeData, mark_safe

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


# A number or code as people write one: digits (any script's) with the letters, hyphens, dots,
# slashes and brackets in it, a leading "+", and single spaces between groups of digits
# ("+1 347-555-0199", "2014-03-02", "21A1234", "A-123-456-789"); never a full stop after it.
_TAIL = r"(?:[A-Za-z\d\-./()]*[A-Za-z\d)])?"
_NUMBER = re.compile(rf"\+?\(?(?:[A-Za-z]+-?)?\d{_TAIL}(?: \(?\d{_TAIL})*")


@register.filter
def numbers_ltr(value):
    """Typed text with each number in it isolated left to right. After an Arabic letter, digits
    are "Arabic numbers" to the bidi algorithm, and a hyphen between two of them is not part of
    the number: "رقم 718-555-0100" is drawn "0100-555-718". Safe HTML is returned as it is (its
    typed parts are isolated already)."""
    if isinstance(value, SafeData):
        return value
    text = str(value)
    parts, last = [], 0
    for number in _NUMBER.finditer(text):
        if number.group().isdigit():
            continue  # digits alone are drawn in their order anyway ("17", "1990")
        parts.append(escape(text[last : number.start()]))
        parts.append(f'<bdi dir="ltr">{escape(number.group())}</bdi>')
        last = number.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))  # noqa: S308 - every typed part is escaped above


# Marks that end a question or sentence in our languages (Latin, Arabic, Bengali).
_END_MARKS = ("?", "؟", ".", ":", "!", "।")


@register.filter
def then(label) -> str:
    """What goes between a field's label and its error in a list of problems: a colon, unless
    the label ends a question or sentence already ("May we leave a message?: ..." and the
    Arabic "...؟:" read as mistakes)."""
    return " " if str(label).rstrip().endswith(_END_MARKS) else ": "
