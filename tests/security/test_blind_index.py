from collections import Counter
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clemency.security.blind_index import (
    IndexKind,
    blind_index,
    normalize_a_number,
    normalize_name,
    normalize_surname_dob,
)
from clemency.security.keys import random_key

KEY = random_key()
FULL_WIDTH = "".join(chr(0xFEE0 + ord(ch)) if ch != " " else ch for ch in "Garcia Lopez")


@pytest.mark.parametrize("written", ["A012345678", "a-012-345-678", "012 345 678", "12345678"])
def test_a_number_spellings_agree(written):
    assert normalize_a_number(written) == "012345678"


@pytest.mark.parametrize("bad", ["", "A123", "1234567890", "no digits"])
def test_a_number_needs_eight_or_nine_digits(bad):
    with pytest.raises(ValueError, match="8 or 9 digits"):
        normalize_a_number(bad)


@pytest.mark.parametrize(
    "spelling",
    [
        "García López",
        "GARCIA LOPEZ",
        "garcía-lópez",
        FULL_WIDTH,
        "Garci\u0301a Lopez",
    ],
)
def test_surname_spellings_agree(spelling):
    assert normalize_name(spelling) == "garcialopez"


def test_non_latin_names_are_kept():
    assert normalize_name("আহমেদ") != ""
    assert normalize_name("محمد") == "محمد"


def test_surname_and_date_of_birth_index():
    one = normalize_surname_dob("García", date(1990, 5, 17))
    two = normalize_surname_dob("GARCIA ", date(1990, 5, 17))
    assert blind_index(IndexKind.SURNAME_DOB, one, key=KEY) == blind_index(
        IndexKind.SURNAME_DOB, two, key=KEY
    )
    other_day = normalize_surname_dob("Garcia", date(1990, 5, 18))
    assert one != other_day


@given(st.text(min_size=1, max_size=40), st.integers(1, 64))
def test_index_fits_the_requested_bits(value, bits):
    assert 0 <= blind_index(IndexKind.A_NUMBER, value, key=KEY, bits=bits) < 2**bits


def test_index_depends_on_key_and_kind():
    value = "012345678"
    base = blind_index(IndexKind.A_NUMBER, value, key=KEY, bits=64)
    assert base != blind_index(IndexKind.A_NUMBER, value, key=random_key(), bits=64)
    assert base != blind_index(IndexKind.SURNAME_DOB, value, key=KEY, bits=64)
    assert blind_index(IndexKind.A_NUMBER, value, key=KEY) == base >> 48


def test_truncation_gives_collisions_by_design():
    people = 200_000
    counts = Counter(blind_index(IndexKind.A_NUMBER, f"{n:09d}", key=KEY) for n in range(people))
    # 16 bits: at most 65,536 index values, and the HMAC spreads people over nearly all of them
    # (about 95% expected), not over a few.
    assert max(counts) < 2**16
    assert len(counts) > 0.9 * 2**16
    # So an index value hardly ever points at one person: about 95% of people share theirs.
    shared = sum(n for n in counts.values() if n > 1)
    assert shared / people > 0.9
