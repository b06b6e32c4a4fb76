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


# A number as people write one: digits (any script's) and what joins them (letters, hyphens,
# dots, slashes, brackets, a leading "+", single spaces between groups of digits):
# "+1 347-555-0199", "2014-03-02", "21A1234"; never a full stop after it. It matches in linear
# time: the tail holds no space, and a group after a space starts with a digit.
_TAIL = r"(?:[A-Za-z\d\-./()]*[A-Za-z\d)])?"
_NUMBER = re.compile(rf"\+?\(?\d{_TAIL}(?: \(?\d{_TAIL})*")
_STRONG = ("L", "R", "AL")


def _last_strong(text: str, default: str | None) -> str | None:
    for character in reversed(text):
        kind = unicodedata.bidirectional(character)
        if kind in _STRONG:
            return kind
    return default


def _balanced(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without a bracket that has no partner inside it ("(رقم 718-555-0100)" isolates
    718-555-0100, not "718-555-0100)")."""
    opening, closing = text.count("(", start, end), text.count(")", start, end)
    while text[end - 1] == ")" and closing > opening:
        end, closing = end - 1, closing - 1
    while text[start] == "(" and opening > closing:
        start, opening = start + 1, opening - 1
    return start, end


@register.filter
def numbers_ltr(value):
    """Typed text with the numbers in it that the bidi algorithm would reorder isolated left to
    right. After an Arabic letter, digits are "Arabic numbers", and a hyphen or space between
    two of them is not part of the number: "رقم 718-555-0100" is drawn "0100-555-718"; Arabic-
    Indic digits are such numbers wherever they are. After a Latin letter, digits keep their
    order ("Apt 4B", "ana2@example.org" are left alone). Safe HTML is returned as it is (its
    typed parts are isolated already), and so is text with no letters (shown with dir="ltr")."""
    if isinstance(value, SafeData) or direction(value) == "ltr":
        return value  # safe HTML; or no letters at all, and the whole is shown left to right
    text = str(value)
    parts, last, scanned, strong = [], 0, 0, None
    for number in _NUMBER.finditer(text):
        start, end = _balanced(text, *number.span())
        # Each character is read once: the text since the last number, then the number.
        strong = _last_strong(text[scanned:start], strong)
        found = text[start:end]
        scanned, after = end, _last_strong(found, strong)
        arabic_digits = any(unicodedata.bidirectional(c) == "AN" for c in found)
        if found.isdigit() or (strong != "AL" and not arabic_digits):
            strong = after
            continue  # drawn in its order anyway ("17", "1990", or after Latin text)
        parts.append(escape(text[last:start]))
        parts.append(f'<bdi dir="ltr">{escape(found)}</bdi>')
        last, strong = end, after
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
