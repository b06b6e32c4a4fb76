"""``{{ value|direction }}``: the ``dir`` a piece of typed text needs where it is shown, and
``{{ value|numbers_ltr }}``: the numbers in it drawn as typed.

The direction is the first letter's: right for Arabic, left for Latin. A value with no letter at
all (a phone number, a date in figures, a docket number of digits) would take the page's
direction with dir="auto", and on a right-to-left page "+1 347 555 0199" reads "0199 555 347 1+":
such values are left-to-right.
"""

import re
import unicodedata

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeData, mark_safe

register = template.Library()


@register.filter
def direction(value) -> str:
    """The direction of typed text, as dir="auto" would find it (its first letter: "rtl" for
    Arabic or Hebrew, "ltr" for Latin and for text with no letter), written out so that it is
    the one ``numbers_ltr`` reads the text in (dir="auto" would skip numbers it isolates); ""
    (inherit the page's) for safe HTML, whose typed parts are isolated in it already."""
    if isinstance(value, SafeData):
        return ""
    return "rtl" if _first_strong(str(value)) in ("R", "AL") else "ltr"


# A number as people write one: digits (any script's) and what joins them (letters, hyphens and
# dashes, dots, commas, colons, the Arabic decimal and thousands signs, slashes, brackets, a
# leading "+", up to three spaces or a spaced dash between groups of digits): "+1 347-555-0199",
# "718 - 555 - 0100", "2014-03-02 9:30", "1,500.50", "21A1234"; never a stop or comma after it.
# It matches in linear time: the tail holds no space, the joints are bounded, and a group after
# a joint starts with a digit.
_TAIL = r"(?:[A-Za-z\d\-\u2013./():,\u066b\u066c]*[A-Za-z\d)])?"
_JOINT = r"(?:[ \u00a0]{1,3}|[ \u00a0]{0,3}[-\u2013\u2014][ \u00a0]{0,3})"
_NUMBER = re.compile(rf"\+?\(?\d{_TAIL}(?:{_JOINT}\(?\d{_TAIL})*")
_STRONG = ("L", "R", "AL")


def _last_strong(text: str, default: str | None) -> str | None:
    for character in reversed(text):
        kind = unicodedata.bidirectional(character)
        if kind in _STRONG:
            return kind
    return default


def _first_strong(text: str) -> str | None:
    return next((kind for c in text if (kind := unicodedata.bidirectional(c)) in _STRONG), None)


def _arabic_digits(text: str) -> bool:
    return any(unicodedata.bidirectional(c) == "AN" for c in text)


def _balanced(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without a bracket that has no partner inside it ("(رقم 718-555-0100)" isolates
    718-555-0100, not "718-555-0100)")."""
    opening, closing = text.count("(", start, end), text.count(")", start, end)
    while text[end - 1] == ")" and closing > opening:
        end, closing = end - 1, closing - 1
    while text[start] == "(" and opening > closing:
        start, opening = start + 1, opening - 1
    return start, end


def _left_to_right(number: str) -> str:
    # An override, not only an isolate: between two Arabic-Indic numbers a hyphen or a space
    # takes the right-to-left direction even inside a left-to-right isolate.
    return f'<bdo dir="ltr">{escape(number)}</bdo>'


@register.filter
def numbers_ltr(value):
    """Typed text with the numbers in it that the bidi algorithm would reorder drawn left to
    right, as typed. On a right-to-left line (after an Arabic or Hebrew letter, or at the start
    of a line of a right-to-left value) the spaces, hyphens and brackets between groups of
    digits take the line's direction: "رقم 718-555-0100" is drawn "0100-555-718", and
    "+1 347 555 0199 رقمي" "0199 555 347 1+". Numbers in Arabic-Indic digits are reordered on
    any line. After a Latin letter, numbers keep their order ("Apt 4B", "ana2@example.org" are
    left alone). Each line (linebreaksbr makes one of each line break) is read on its own.
    Safe HTML is returned as it is (its typed parts are isolated already), and so is text with
    no letters and no Arabic-Indic digits (shown with dir="ltr")."""
    if isinstance(value, SafeData):
        return value
    text = str(value)
    base = _first_strong(text)  # the direction dir="auto" gives the whole value
    if base is None and not _arabic_digits(text):
        return value  # no letters at all: the whole is shown left to right
    parts, last, scanned, strong = [], 0, 0, base
    for number in _NUMBER.finditer(text):
        start, end = _balanced(text, *number.span())
        # Each character is read once: the text since the last number, then the number.
        between = text[scanned:start]
        line_start = between.rfind("\n")
        if line_start >= 0:
            strong = _last_strong(between[line_start + 1 :], base)
        else:
            strong = _last_strong(between, strong)
        found = text[start:end]
        scanned = end
        if found.isdigit() or not (strong in ("R", "AL") or _arabic_digits(found)):
            strong = _last_strong(found, strong)  # left as it is: its letters count
            continue  # drawn in its order anyway ("17", "1990", or after Latin text)
        parts.append(escape(text[last:start]))
        parts.append(_left_to_right(found))
        last = end  # an isolate is neutral to what follows: its letters do not count
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
