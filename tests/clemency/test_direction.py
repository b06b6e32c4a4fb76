"""Typed text shown on right-to-left pages: numbers and codes keep their order."""

import pytest
from django.utils.safestring import mark_safe

from clemency.templatetags.direction import direction, numbers_ltr


def ltr(number: str) -> str:
    return f'<bdo dir="ltr">{number}</bdo>'


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("رقم 718-555-0100.", f"رقم {ltr('718-555-0100')}."),  # the stop stays outside
        ("رقم 21A1234", f"رقم {ltr('21A1234')}"),
        ("(رقم 718-555-0100)", f"(رقم {ltr('718-555-0100')})"),  # brackets paired
        ("+1 347 555 0199 رقمي", f"{ltr('+1 347 555 0199')} رقمي"),  # a right-to-left line
        ("(718) 555-0100 رقمي", f"{ltr('(718) 555-0100')} رقمي"),
        ("منزل Brooklyn\n+1 347 555 0199", f"منزل Brooklyn\n{ltr('+1 347 555 0199')}"),
        ("رقم 347  555 0100", f"رقم {ltr('347  555 0100')}"),
        ("رقم 718 - 555 - 0100", f"رقم {ltr('718 - 555 - 0100')}"),
        ("رقم 718\u2013555\u20130100", f"رقم {ltr('718\u2013555\u20130100')}"),
        ("שלום 347 555", f"שלום {ltr('347 555')}"),  # after Hebrew too
        ("منذ ٢٠-٢١ سنة", f"منذ {ltr('٢٠-٢١')} سنة"),  # Arabic-Indic digits
        ("x ٧١٨-٣٣٣", f"x {ltr('٧١٨-٣٣٣')}"),  # reordered after Latin text too
        ("٧١٨-٣٣٣-٢٢٢", ltr("٧١٨-٣٣٣-٢٢٢")),  # and with no letter at all
        ("م <2-3>", f"م &lt;{ltr('2-3')}&gt;"),  # typed text is escaped
        # Left alone: digits alone, and numbers after Latin text, are drawn in their order.
        ("17 مايو، 1990", "17 مايو، 1990"),
        ("DIN 21A1234, A-123-456-789", "DIN 21A1234, A-123-456-789"),
        ("Tel +1 (347) 555-0199", "Tel +1 (347) 555-0199"),
        ("Brooklyn\n+1 347 555 0199", "Brooklyn\n+1 347 555 0199"),
        ("راسلني ana2@example.org", "راسلني ana2@example.org"),
        ("شقة Apt 4B", "شقة Apt 4B"),
        ("No. 2014-123 هنا", "No. 2014-123 هنا"),
        ("+1 (347) 555-0199", "+1 (347) 555-0199"),  # no letters: its element is dir="ltr"
        ("<b>", "&lt;b&gt;"),
    ],
)
def test_numbers_in_typed_text_are_isolated_left_to_right(typed, shown):
    assert numbers_ltr(typed) == shown


def test_safe_html_is_left_as_it_is():
    line = mark_safe("<bdi>2014-00123</bdi>")
    assert numbers_ltr(line) is line
    assert direction(line) == ""


@pytest.mark.parametrize(
    ("value", "way"), [("+1 347 555 0199", "ltr"), ("Maria", "ltr"), ("مريم", "rtl")]
)
def test_direction_of_a_value(value, way):
    assert direction(value) == way


@pytest.mark.parametrize(
    ("label", "between"),
    [("Phone number", ": "), ("May we leave a message?", " "), ("هل يمكننا ترك رسالة؟", " ")],
)
def test_no_colon_after_a_question_in_the_list_of_problems(label, between):
    from clemency.templatetags.direction import then

    assert then(label) == between


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("غرامة 1,500.50 دولار", f"غرامة {ltr('1,500.50')} دولار"),  # money, whole
        ("الجلسة 2027-01-10 9:30 صباحا", f"الجلسة {ltr('2027-01-10 9:30')} صباحا"),
        ("الساعة 9:30 - 10:00", f"الساعة {ltr('9:30 - 10:00')}"),
        # After an isolated number its letters do not count: the next is isolated too.
        ("رقمه 21A1234 / 718-555-0100", f"رقمه {ltr('21A1234')} / {ltr('718-555-0100')}"),
    ],
)
def test_money_times_and_numbers_in_a_row(typed, shown):
    assert numbers_ltr(typed) == shown
