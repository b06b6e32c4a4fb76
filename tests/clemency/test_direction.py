"""Typed text shown on right-to-left pages: numbers and codes keep their order."""

import pytest
from django.utils.safestring import mark_safe

from clemency.templatetags.direction import direction, numbers_ltr


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("رقم 718-555-0100.", 'رقم <bdi dir="ltr">718-555-0100</bdi>.'),  # the stop stays outside
        ("DIN 21A1234", 'DIN <bdi dir="ltr">21A1234</bdi>'),
        ("A-123-456-789", '<bdi dir="ltr">A-123-456-789</bdi>'),
        ("+1 (347) 555-0199", '<bdi dir="ltr">+1 (347) 555-0199</bdi>'),
        ("منذ ٢٠-٢١ سنة", 'منذ <bdi dir="ltr">٢٠-٢١</bdi> سنة'),
        ("17 مايو، 1990", "17 مايو، 1990"),  # digits alone are in their order anyway
        ("<b>2-3</b>", '&lt;b&gt;<bdi dir="ltr">2-3</bdi>&lt;/b&gt;'),  # typed text is escaped
        ("Brooklyn", "Brooklyn"),
    ],
)
def test_numbers_in_typed_text_are_isolated_left_to_right(typed, shown):
    assert numbers_ltr(typed) == shown


def test_safe_html_is_left_as_it_is():
    line = mark_safe("<bdi>2014-00123</bdi>")
    assert numbers_ltr(line) is line
    assert direction(line) == ""


@pytest.mark.parametrize(
    ("value", "way"), [("+1 347 555 0199", "ltr"), ("Maria", "auto"), ("مريم", "auto")]
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
