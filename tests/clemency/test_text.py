"""Names, free text and file names (clemency/common/text.py), and download names
(clemency/common/filetypes.py): nothing that reorders or hides text reaches a staff page."""

import unicodedata

import pytest
from django import forms
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from clemency.common import filetypes
from clemency.common.forms import PersonNameField, TextField
from clemency.common.text import (
    BIDI_CONTROLS,
    BIDI_EMBEDDINGS,
    clean_file_name,
    clean_text,
    person_name_problem,
    validate_person_name,
    validate_visible,
)

RLO, LRI, PDI, LRM, RLM, ALM = "\u202e", "\u2066", "\u2069", "\u200e", "\u200f", "\u061c"
ZWSP, ZWNJ, ZWJ, BOM, WJ = "\u200b", "\u200c", "\u200d", "\ufeff", "\u2060"


@pytest.mark.parametrize(
    "name",
    [
        "Maria López",
        "Nguyễn Văn An",
        "O'Brien-Smith",
        "Jean-Baptiste Pierre-Louis",
        "محمد علي",
        "محمد" + ZWNJ + "رضا",  # Persian: the non-joiner is spelling
        "র" + ZWJ + "্যাব",  # Bengali: ra + ZWJ + virama + ya (the ya-phala form)
        "রহিম উদ্দিন",
        "Ολγα",
        "Иван Петров",
        "张伟",
        "e" + "\u0301",  # a decomposed accent on its letter
        "ᠮᠣᠩ\u180bᠭᠣᠯ",  # Mongolian: a free variation selector picks the letter's form
        "김민준",
    ],
)
def test_real_names_in_every_script_pass(name):
    assert person_name_problem(name) is None
    validate_person_name(name)


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        (f"Maria{RLO}zepoL", "invisible"),
        (f"{LRI}Maria{PDI}", "invisible"),
        (f"Maria{LRM}", "invisible"),
        (f"Maria{RLM}", "invisible"),
        (f"محمد{ALM}", "invisible"),
        (f"Ma{ZWSP}ria", "invisible"),
        (f"Maria{BOM}", "invisible"),
        (f"Ma{WJ}ria", "invisible"),
        (f"Maria{ZWJ}Lopez", "invisible"),  # between Latin letters it only hides a difference
        (f"{ZWNJ}محمد", "invisible"),  # at the start it joins nothing
        (f"محمد{ZWNJ}", "invisible"),
        ("Maria\x00", "invisible"),
        ("Maria\nLopez", "invisible"),
        ("Maria\u00adLopez", "invisible"),  # a soft hyphen: a format character
        ("Maria\ue000", "invisible"),  # private use
        ("\u0301\u0301\u0301", "letters"),  # combining marks only
        ("\u0301Maria", "letters"),  # a mark with nothing to sit on
        ("Maria \u0301", "letters"),
        ("--- ...", "letters"),
        ("a" + "\u0301" * 5, "marks"),  # "Zalgo"
        # Letters and marks that draw nothing.
        ("\u3164", "invisible"),  # HANGUL FILLER: a letter, so a name that looks blank
        ("\uffa0\uffa0", "invisible"),
        ("\u115f\u1160", "invisible"),
        ("Maria\u3164", "invisible"),
        ("김\u3164민준", "invisible"),
        ("Maria\u034f", "invisible"),  # COMBINING GRAPHEME JOINER
        ("Maria\ufe0f", "invisible"),  # variation selectors
        ("Ma\ufe00ria", "invisible"),
        ("Maria\U000e0100", "invisible"),
        ("Maria\u180b", "invisible"),  # a Mongolian selector after a Latin letter
        ("\u180bᠮᠣᠩ", "invisible"),
        ("ក\u17b4", "invisible"),  # the Khmer inherent vowels
        ("ក\u17b5", "invisible"),
    ],
)
def test_hidden_characters_and_markless_names_are_refused(name, problem):
    assert person_name_problem(name) == problem
    with pytest.raises(ValidationError) as refused:
        validate_person_name(name)
    assert refused.value.code == f"name_{problem}"


class Form(forms.Form):
    name = PersonNameField(max_length=100)
    story = TextField(required=False, widget=forms.Textarea)
    phone = TextField(required=False)


def test_a_refused_name_keeps_what_was_typed_and_says_why():
    typed = f"Maria{RLO}zepoL"
    form = Form({"name": typed})
    assert not form.is_valid()
    assert "hidden characters" in form.errors["name"][0]
    assert f'value="{typed}"' in str(form["name"])


def test_free_text_loses_only_what_reorders_or_hides():
    arabic = "قال " + RLM + "(نعم)" + ZWNJ + " ok"
    typed = f"Line one {RLO}gnol{PDI}\r\nLine\u2028two{BOM}\x00 {arabic} {ZWSP}"
    form = Form({"name": "Maria", "story": typed, "phone": f"+1 718{LRI} 555\n0100"})
    assert form.is_valid(), form.errors
    story = form.cleaned_data["story"]
    assert not set(story) & (BIDI_EMBEDDINGS | {BOM, "\x00", "\u2028"})
    assert "Line one gnol\r\nLine\ntwo" in story
    assert arabic in story  # marks and joiners that writing needs stay
    assert ZWSP in story
    assert form.cleaned_data["phone"] == "+1 718 555 0100"


def test_free_text_keeps_hangul_fillers_and_selectors():
    old_korean = "\u1100\u1160 \u115f\u1161"  # syllables without a vowel, without a consonant
    typed = f"{old_korean} 葛\U000e0100 ok\ufe0f"
    assert clean_text(typed) == unicodedata.normalize("NFC", typed)


def test_addresses_and_codes_refuse_what_draws_nothing():
    with pytest.raises(ValidationError):
        validate_visible("maria\u3164@example.org")
    validate_visible("maria@example.org")


def test_names_are_normalised():
    form = Form({"name": "Jose\u0301"})
    assert form.is_valid()
    assert form.cleaned_data["name"] == "José"


@pytest.mark.parametrize(
    ("uploaded", "kept"),
    [
        (f"invoice{RLO}fdp.bat", "invoicefdp.bat"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\maria\\scan.pdf", "scan.pdf"),
        ("  .hidden.pdf. ", "hidden.pdf"),
        (f"ce{ZWJ}rt{ZWSP}ificate.pdf", "certificate.pdf"),
        ("carta\tde\napoyo.docx", "carta de apoyo.docx"),
        ("شهادة.pdf", "شهادة.pdf"),
        ("...", "document"),
        ("\u0301\u0301", "document"),
        ("\u0301\u0301scan.pdf", "scan.pdf"),  # marks with nothing to sit on
        ("scan\u3164\u034f\ufe0f.pdf", "scan.pdf"),  # what draws nothing
        ("\u3164\uffa0", "document"),
        ("fax" + "\u0301" * 9 + ".pdf", "fax" + "\u0301" * 4 + ".pdf"),
        ("Nguye\u0302\u0303n.pdf", "Nguyễn.pdf"),
        (RLO + LRI, "document"),
        ("", "document"),
    ],
)
def test_file_names_keep_the_visible_name(uploaded, kept):
    assert clean_file_name(uploaded) == kept


def test_long_file_names_keep_their_extension():
    name = clean_file_name("a" * 400 + ".pdf")
    assert len(name) <= 150
    assert name.endswith("a.pdf")


@pytest.mark.parametrize(
    ("uploaded", "content_type", "downloaded"),
    [
        ("polyglot.html", filetypes.PDF, "polyglot.pdf"),
        ("invoice.pdf.exe", filetypes.PDF, "invoice.pdf"),
        (f"invoice{RLO}fdp.bat", filetypes.PDF, "invoicefdp.pdf"),
        ("photo.HTML.JPG", filetypes.PNG, "photo.png"),
        ("carta.docx", filetypes.DOCX, "carta.docx"),
        ("scan.heic", filetypes.HEIC, "scan.heic"),
        ("IMG_0001.jpeg", filetypes.JPEG, "IMG_0001.jpg"),
        ("Maria.Lopez", filetypes.PDF, "Maria.Lopez.pdf"),  # not an extension: kept
        (".html", filetypes.PDF, "html.pdf"),
        ("...", filetypes.PDF, "document.pdf"),
        ("x.html", "text/html", "x.bin"),  # a stored type we no longer serve as itself
    ],
)
def test_downloads_are_named_after_the_type_found(uploaded, content_type, downloaded):
    assert filetypes.download_name(uploaded, content_type) == downloaded


TYPES = st.sampled_from(sorted(filetypes.EXTENSIONS))
NAMES = st.one_of(
    st.text(max_size=300),
    st.lists(
        st.sampled_from(
            ["a", "é", "ش", "ব", ".", ".html", ".pdf", ".exe", " ", "/", "\\", RLO, ZWJ, LRM]
            + [f".{extension}" for extension in sorted(filetypes.KNOWN_EXTENSIONS)[:40]]
        ),
        max_size=30,
    ).map("".join),
)


@given(name=NAMES, content_type=TYPES)
def test_a_download_name_always_says_the_type_found(name, content_type):
    downloaded = filetypes.download_name(name, content_type)
    extension = filetypes.EXTENSIONS[content_type]
    assert downloaded.endswith(extension)
    stem = downloaded.removesuffix(extension)
    assert stem
    assert stem == stem.strip(" .")
    # No second extension hides in front of the real one, and nothing hides at all.
    assert "." not in stem or stem.rpartition(".")[2].lower() not in filetypes.KNOWN_EXTENSIONS
    assert "/" not in downloaded
    assert "\\" not in downloaded
    assert not any(unicodedata.category(char)[0] == "C" for char in downloaded)
    assert not set(downloaded) & BIDI_CONTROLS
    assert clean_file_name(downloaded) == downloaded


@given(st.text(max_size=200))
def test_free_text_never_keeps_a_reordering_control(typed):
    cleaned = clean_text(typed)
    assert not set(cleaned) & BIDI_EMBEDDINGS
    assert clean_text(cleaned) == cleaned
