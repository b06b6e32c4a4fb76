"""Text people type, before someone else reads it on a page: names, free text and file names.

Unicode has characters that draw nothing but change what is drawn around them. Bidirectional
controls reorder text ("invoice" U+202E "fdp.bat" reads as "invoicetab.pdf"; a name can appear
to end a sentence on a staff page and start another); zero-width characters make two names that
look the same differ (and so slip past a duplicate check); other control and format characters
hide text or break lines; a value of combining marks alone has no letter to sit on and draws over
its neighbours. What each kind of field does with them:

- **Person names** (``validate_person_name``) refuse every bidirectional control and mark
  (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C), zero-width characters (U+200B, U+FEFF,
  U+2060) and every other control, format, private-use or unassigned character, with an error
  the form shows next to what was typed. Two exceptions are part of writing itself: ZERO WIDTH
  NON-JOINER and ZERO WIDTH JOINER (U+200C, U+200D) are allowed *between two letters or signs of
  a script that is written with them* (Arabic script, as in Persian "محمد‌رضا"; Bengali, as in
  "র‍্যাব"; the other Indic scripts, Syriac, N'Ko, Mongolian, ...). Anywhere else (next to a
  Latin letter, at either end) they do nothing visible, so they are refused. So are the letters
  and marks that draw nothing (``DRAWS_NOTHING``): the Hangul fillers, which count as letters (a
  name of U+3164 alone looks blank), COMBINING GRAPHEME JOINER, variation selectors and the
  Khmer inherent vowels U+17B4/U+17B5; the Mongolian free variation selectors only pick a
  letter's form, so they are allowed right after a Mongolian letter. A name needs at least one
  letter, and at most ``MAX_MARKS_IN_A_ROW`` combining marks on one letter (more than any
  language stacks; "Zalgo" text draws over the lines around it).
- **Free text** (stories, notes, reasons, addresses: ``clean_text``) is kept as typed except for
  the controls that reorder or embed text (U+202A-U+202E, U+2066-U+2069), which are removed,
  and other control characters but tab and line breaks. The directional *marks* (LRM, RLM, ALM),
  ZWJ/ZWNJ (Persian, Bengali, emoji) and ZERO WIDTH SPACE (the word break of Thai, Khmer and
  Burmese) stay: they cannot move text outside the element they are in, and pages show typed
  text isolated (``<bdi>``, ``dir="auto"``). The Hangul fillers and invisible marks stay too:
  old Korean is written with the fillers (U+115F, U+1160 stand for a missing consonant or
  vowel of a syllable), and in a story they hide nothing that the page around them needs.
- **File names** (``clean_file_name``) lose every control and format character, the
  characters that draw nothing (``DRAWS_NOTHING``) and any folder part; what is left of the
  visible name is kept, or a default when nothing is.

Values are also put in Unicode normal form C, so that the same name typed on two phones is the
same string.
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Controls that reorder or embed text: embeddings and overrides (LRE, RLE, PDF, LRO, RLO) and
# isolates (LRI, RLI, FSI, PDI).
BIDI_EMBEDDINGS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Marks that set a direction without embedding: LEFT-TO-RIGHT, RIGHT-TO-LEFT, ARABIC LETTER MARK.
BIDI_MARKS = frozenset("\u200e\u200f\u061c")
BIDI_CONTROLS = BIDI_EMBEDDINGS | BIDI_MARKS
ZWNJ, ZWJ = "\u200c", "\u200d"
# ZERO WIDTH SPACE, ZERO WIDTH NO-BREAK SPACE (byte order mark), WORD JOINER, and the joiners.
ZERO_WIDTH = frozenset({"\u200b", ZWNJ, ZWJ, "\ufeff", "\u2060"})

# Scripts whose spelling uses ZWNJ/ZWJ between letters (the first word of a character's name).
JOINING_SCRIPTS = frozenset(
    {
        "ARABIC",
        "SYRIAC",
        "NKO",
        "MANDAIC",
        "MONGOLIAN",
        "BENGALI",
        "DEVANAGARI",
        "GURMUKHI",
        "GUJARATI",
        "ORIYA",
        "TAMIL",
        "TELUGU",
        "KANNADA",
        "MALAYALAM",
        "SINHALA",
        "TIBETAN",
        "MYANMAR",
        "KHMER",
    }
)

# Letters and marks that draw nothing, which Unicode lists as default-ignorable but classes
# neither as control nor as format characters: the Hangul fillers (HANGUL FILLER, HALFWIDTH
# HANGUL FILLER, HANGUL CHOSEONG and JUNGSEONG FILLER), COMBINING GRAPHEME JOINER, the Khmer
# inherent vowels, the Mongolian free variation selectors and the variation selectors
# (VS1-VS16, VS17-VS256).
HANGUL_FILLERS = frozenset("\u3164\uffa0\u115f\u1160")
MONGOLIAN_VARIATION_SELECTORS = frozenset("\u180b\u180c\u180d\u180f")
DRAWS_NOTHING = (
    HANGUL_FILLERS
    | MONGOLIAN_VARIATION_SELECTORS
    | frozenset("\u034f\u17b4\u17b5")
    | frozenset(map(chr, range(0xFE00, 0xFE10)))
    | frozenset(map(chr, range(0xE0100, 0xE01F0)))
)

MAX_MARKS_IN_A_ROW = 4

# Kept in free text although they are format characters (see the module's docstring).
_KEPT_IN_TEXT = frozenset({"\u200b", ZWNJ, ZWJ, "\u2060", "\u00ad"}) | BIDI_MARKS
_LINE_BREAKS = {"\u2028": "\n", "\u2029": "\n\n", "\x85": "\n"}

INVISIBLE = _(
    "This contains hidden characters that change how text is shown (they often come with "
    "copying and pasting). Please delete it and type it again."
)
NO_LETTERS = _("Please write the name with letters (an accent or mark needs a letter before it).")
TOO_MANY_MARKS = _("A letter here has too many accents or marks. Please type the name again.")

DEFAULT_FILE_NAME = "document"
MAX_FILE_NAME_LENGTH = 150


def _is_control(char: str) -> bool:
    """Control, format, surrogate, private-use or unassigned, or a line or paragraph separator."""
    return unicodedata.category(char)[0] == "C" or unicodedata.category(char) in ("Zl", "Zp")


def _script(char: str) -> str:
    return unicodedata.name(char, "").split(" ", 1)[0]


def _joins(before: str, after: str) -> bool:
    """Whether a ZWNJ/ZWJ between these two characters is spelling, not a hidden difference."""
    return all(
        unicodedata.category(char)[0] in "LM" and _script(char) in JOINING_SCRIPTS
        for char in (before, after)
    )


def _selects_form(before: str, char: str) -> bool:
    """Whether this is a Mongolian free variation selector right after a Mongolian letter,
    where it picks the letter's form: spelling."""
    return (
        char in MONGOLIAN_VARIATION_SELECTORS
        and unicodedata.category(before).startswith("L")
        and _script(before) == "MONGOLIAN"
    )


def person_name_problem(value: str) -> str | None:
    """Why this is not acceptable as a person's name: "invisible", "letters", "marks"; or None."""
    marks = 0
    for index, char in enumerate(value):
        if char in (ZWNJ, ZWJ):
            if 0 < index < len(value) - 1 and _joins(value[index - 1], value[index + 1]):
                continue
            return "invisible"
        if char in BIDI_CONTROLS or char in ZERO_WIDTH or _is_control(char):
            return "invisible"
        if char in DRAWS_NOTHING and not (index and _selects_form(value[index - 1], char)):
            return "invisible"
        if unicodedata.category(char)[0] == "M":
            before = value[index - 1] if index else " "
            if before not in (ZWNJ, ZWJ) and unicodedata.category(before)[0] not in "LMN":
                return "letters"  # a mark with no letter to sit on
            marks += 1
            if marks > MAX_MARKS_IN_A_ROW:
                return "marks"
        else:
            marks = 0
    if value and not any(unicodedata.category(char)[0] == "L" for char in value):
        return "letters"
    return None


_NAME_ERRORS = {"invisible": INVISIBLE, "letters": NO_LETTERS, "marks": TOO_MANY_MARKS}


def validate_person_name(value: str) -> None:
    """A Django validator for a person's name (or one line of several names)."""
    problem = person_name_problem(value)
    if problem:
        raise ValidationError(_NAME_ERRORS[problem], code=f"name_{problem}")


def validate_visible(value: str) -> None:
    """A Django validator refusing any control or format character, or any that draws nothing
    (e-mail addresses, codes)."""
    if any(
        _is_control(char) or char in ZERO_WIDTH or char in BIDI_CONTROLS or char in DRAWS_NOTHING
        for char in value
    ):
        raise ValidationError(INVISIBLE, code="invisible")


def clean_text(value: str, *, multiline: bool = True) -> str:
    """Free text as typed, minus what reorders text or hides it (see the module's docstring)."""
    value = unicodedata.normalize("NFC", value)
    kept = []
    for char in value:
        if char in _LINE_BREAKS:
            kept.append(_LINE_BREAKS[char] if multiline else " ")
        elif char in "\t\n\r":
            kept.append(char if multiline else " ")
        elif char in BIDI_EMBEDDINGS or char == "\ufeff":
            continue
        elif char in _KEPT_IN_TEXT or not _is_control(char):
            kept.append(char)
    return "".join(kept)


def clean_file_name(name: str, *, default: str = DEFAULT_FILE_NAME) -> str:
    """The visible part of an uploaded file's name: no folders, no control or format characters
    nor any that draws nothing, no combining mark without a letter to sit on (or piled up), no
    leading or trailing dots and spaces, at most MAX_FILE_NAME_LENGTH characters (the extension
    kept); ``default`` when nothing visible is left."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    kept, marks = [], 0
    for char in name:
        if char.isspace():
            char = " "
        elif _is_control(char) or char in DRAWS_NOTHING:
            continue
        # A mark needs a letter before it, and no letter carries more than a few.
        marks = marks + 1 if unicodedata.category(char)[0] == "M" else 0
        if marks and (len(kept) == marks - 1 or kept[-1] == " " or marks > MAX_MARKS_IN_A_ROW):
            marks -= 1
            continue
        kept.append(char)
    name = " ".join("".join(kept).split()).strip(" .")
    if not any(unicodedata.category(char)[0] in "LN" for char in name):
        return default
    if len(name) > MAX_FILE_NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            keep = MAX_FILE_NAME_LENGTH - len(extension) - 1
            name = f"{stem[:keep].rstrip(' .')}.{extension}"
        else:
            name = name[:MAX_FILE_NAME_LENGTH].rstrip(" .")
    return name
