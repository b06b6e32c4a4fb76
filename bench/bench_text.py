"""Typed text on a right-to-left page: numbers isolated in linear time, whatever is typed."""

from bench.timing import measure
from clemency.templatetags.direction import numbers_ltr

TITLE = "Typed text on right-to-left pages"
DESCRIPTION = """
`numbers_ltr` (clemency/templatetags/direction.py) runs on every typed answer of the review page
and the staff case page; anyone can type a 20,000-character story and reload the review. Median
of 30 runs per row, at 2,000 and 20,000 characters: real mixed Arabic text, and inputs built to
make a regular expression backtrack (a long word with no digit; digits among brackets; a long
run of separators). Target: time grows in proportion to the length (20,000 characters within 15x
of 2,000), and no row above 50 ms.
"""

REAL = "عاش في Brooklyn منذ 20 سنة، رقمه 718-555-0100 ورقم A-123-456-789. "


def _inputs(length: int) -> dict[str, str]:
    return {
        "mixed Arabic text": (REAL * (length // len(REAL) + 1))[:length],
        "one long word, no digit": "م " + "a" * (length - 2),
        "digits and brackets": "م " + "(1)" * ((length - 2) // 3),
        "a number, then separators": "م 1" + ")" * (length - 3),
        "digits apart": "م " + "1 " * ((length - 2) // 2),
    }


def run() -> list[dict]:
    rows = []
    for length in (2_000, 20_000):
        for kind, text in _inputs(length).items():
            timing = measure(lambda t=text: numbers_ltr(t), repeat=30, warmup=2)
            rows.append(
                {"input": kind, "characters": f"{length:,}", "median ms": timing["median ms"]}
            )
    return rows
