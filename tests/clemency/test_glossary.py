"""Each glossary term is translated one way in each catalogue (locale/glossary.json,
docs/glossary.md): every entry whose English names the term uses the chosen word, and none uses
a word the glossary rules out (a term translated two ways fails here)."""

import json
import re
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale"
GLOSSARY = json.loads((LOCALE / "glossary.json").read_text(encoding="utf-8"))["terms"]
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != "en"]


def translations(entry: polib.POEntry) -> list[str]:
    return [entry.msgstr] if not entry.msgid_plural else list(entry.msgstr_plural.values())


def problems(language: str) -> list[str]:
    catalogue = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    found = []
    for term, rule in GLOSSARY.items():
        flags = 0 if rule.get("case") else re.IGNORECASE
        english = re.compile(rule["en"], flags)
        use = [re.compile(word, re.IGNORECASE) for word in rule[language]["use"]]
        avoid = [re.compile(word, re.IGNORECASE) for word in rule[language].get("avoid", [])]
        for entry in catalogue:
            if entry.obsolete:
                continue
            source = entry.msgid + " " + (entry.msgid_plural or "")
            if rule.get("except"):
                source = source.replace(rule["except"], "")
            if not english.search(source):
                continue
            for text in translations(entry):
                if not any(word.search(text) for word in use):
                    wanted = rule[language]["use"]
                    found.append(f"{term}: not {wanted}: {entry.msgid!r} -> {text!r}")
                for word in avoid:
                    if word.search(text):
                        found.append(f"{term}: uses {word.pattern!r}: {entry.msgid!r} -> {text!r}")
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_glossary_term_is_translated_one_way(language):
    assert problems(language) == []


def test_the_glossary_covers_every_language_and_its_terms_are_documented():
    documented = (Path(settings.BASE_DIR) / "docs" / "glossary.md").read_text(encoding="utf-8")
    for term, rule in GLOSSARY.items():
        assert set(LANGUAGES) <= set(rule), term
        assert f"| {term} |" in documented, term


def test_the_check_catches_a_term_translated_two_ways(tmp_path, monkeypatch):
    """The check itself can fail: a catalogue using both words for a pardon is caught."""
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    po.append(polib.POEntry(msgid="Ask for a pardon", msgstr="Pida un indulto"))
    po.append(polib.POEntry(msgid="A pardon is public", msgstr="Un perdón es público"))
    (tmp_path / "es" / "LC_MESSAGES").mkdir(parents=True)
    po.save(str(tmp_path / "es" / "LC_MESSAGES" / "django.po"))
    monkeypatch.setattr(sys.modules[__name__], "LOCALE", tmp_path)
    found = problems("es")
    assert any("A pardon is public" in problem for problem in found)
    assert not any("Ask for a pardon" in problem for problem in found)
