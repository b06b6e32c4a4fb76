from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse

LOCALE = Path(settings.BASE_DIR) / "locale"
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != "en"]
HEADING = "Ask the Governor of New York for a pardon"


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalogue_is_complete(language):
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    assert po.metadata["Language"] == language
    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []
    assert po.obsolete_entries() == []
    assert po.percent_translated() == 100


@pytest.mark.parametrize(("code", "_name"), settings.LANGUAGES)
def test_landing_in_every_language(client, db, code, _name):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = code
    response = client.get(reverse("intake:landing"))
    direction = "rtl" if code == "ar" else "ltr"
    assert f'<html lang="{code}" dir="{direction}">' in response.text
    if code != "en":
        assert HEADING not in response.text
        assert "Skip to main content" not in response.text


def test_accept_language_is_honoured_without_a_cookie(client, db):
    response = client.get(reverse("intake:landing"), HTTP_ACCEPT_LANGUAGE="bn,en;q=0.5")
    assert '<html lang="bn" dir="ltr">' in response.text


def test_switcher_offers_every_language_in_its_own_name(client, db):
    text = client.get(reverse("intake:landing")).text
    for code, name in [
        ("es", "español"),
        ("fr", "français"),
        ("ht", "Kreyòl Ayisyen"),
        ("ar", "العربيّة"),
        ("bn", "বাংলা"),
    ]:
        assert f'value="{code}" lang="{code}"' in text
        assert name in text
    assert 'value="en" lang="en" dir="ltr" aria-current="true"' in text


def test_switching_language_is_remembered_and_returns_to_the_page(client, db):
    login = reverse("accounts:login")
    response = client.post(reverse("set_language"), {"language": "ar", "next": login})
    assert response.status_code == 302
    assert response.url == login
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "ar"
    assert cookie["max-age"] == settings.LANGUAGE_COOKIE_AGE
    assert '<html lang="ar" dir="rtl">' in client.get(login).text


def test_switching_refuses_an_offsite_next(client, db):
    response = client.post(
        reverse("set_language"), {"language": "fr", "next": "https://evil.example/"}
    )
    assert response.url == "/"


def test_unknown_language_is_ignored(client, db):
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert '<html lang="en"' in client.get("/").text


@pytest.mark.parametrize("language", TRANSLATED)
def test_what_screening_and_consent_tell_people_is_translated(language):
    """The texts a person reads about who sees a petition, where else to turn and what a
    conditional pardon means are in their language, not left in English (ADR 0020)."""
    from django.utils import translation

    from cases import law
    from clemency.common.status import REFERRAL_SENTENCES
    from intake.forms import SENTENCE_ANSWERS, ConsentForm

    english = [
        *(str(sentence) for sentence in REFERRAL_SENTENCES.values()),
        str(law.CONDITIONAL_WARNING),
        *(str(label) for _code, label in SENTENCE_ANSWERS),
        *(str(field.label) for field in ConsentForm().visible_fields()),
        *(str(label) for _code, label in law.Result.choices),
        *(str(label) for _code, label in law.RemovalGround.choices),
    ]
    with translation.override(language):
        translated = [
            *(str(sentence) for sentence in REFERRAL_SENTENCES.values()),
            str(law.CONDITIONAL_WARNING),
            *(str(label) for _code, label in SENTENCE_ANSWERS),
            *(str(field.label) for field in ConsentForm().visible_fields()),
            *(str(label) for _code, label in law.Result.choices),
            *(str(label) for _code, label in law.RemovalGround.choices),
        ]
    untouched = [text for text, theirs in zip(english, translated, strict=True) if text == theirs]
    assert untouched == []
