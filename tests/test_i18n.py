"""Every string a user sees is in both catalogs, with its Vietnamese and its English text;
no source text (msgid) is Vietnamese, so an English page never shows Vietnamese wording."""

from __future__ import annotations

import re

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from congress_app.config import ROOT
from congress_app.extensions import db

TRANSLATIONS = ROOT / "congress_app" / "translations"
# Babel's own keywords (gettext, ngettext, pgettext …) plus the lazy ones this app uses.
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None}
LANGUAGES = ("vi", "en")
# Letters that only Vietnamese uses among the languages of the app: ă â đ ê ô ơ ư, and the
# tone marks, precomposed (à á ả ã ạ …) or combining (U+0300, U+0301, U+0303, U+0309, U+0323).
VIETNAMESE_ONLY = re.compile(
    "[ăâđêôơư\u0300\u0301\u0303\u0309\u0323"
    "àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]",
    re.IGNORECASE,
)

pytestmark = pytest.mark.database_agnostic


def extracted_messages() -> set[tuple[str, str | None]]:
    with (TRANSLATIONS / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found = set()
    for _filename, _lineno, message, _comments, context in extract_from_dir(
        ROOT, method_map, options_map, keywords=KEYWORDS
    ):
        found.add((message[0] if isinstance(message, tuple) else message, context))
    return found


def source_catalog(language: str):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=language)


def _complete(message) -> bool:
    """Translated, every plural form included, and not marked fuzzy."""
    if message is None or message.fuzzy:
        return False
    return all(message.string) if isinstance(message.string, tuple) else bool(message.string)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_ui_string_has_a_translation(language):
    """English is the source language, yet it has a catalog: an entry left out or left empty
    there fails here exactly as a missing Vietnamese one does (msgstr repeats the msgid)."""
    catalog = source_catalog(language)
    missing = [msgid for msgid, context in sorted(extracted_messages(), key=str)
               if not _complete(catalog.get(msgid, context=context))]
    assert not missing, (
        f"{len(missing)} strings lack a translation in {language}/LC_MESSAGES/messages.po "
        f"(for en, msgstr is the msgid): {missing}"
    )


def _texts(value) -> list[str]:
    return list(value) if isinstance(value, list | tuple) else [value]


def test_no_source_string_is_vietnamese():
    """Vietnamese examples or names inside an English sentence go in as %(…)s arguments."""
    found = [msgid for msgid, _context in sorted(extracted_messages(), key=str)
             if VIETNAMESE_ONLY.search(msgid)]
    assert not found, f"{len(found)} msgids hold Vietnamese letters: {found}"


def test_the_english_catalog_holds_no_vietnamese_text():
    found = [m.id for m in source_catalog("en") if m.id
             if any(VIETNAMESE_ONLY.search(t) for t in _texts(m.string) if t)]
    assert not found, f"English messages with Vietnamese letters: {found}"


def _hashable(value):
    """Plural entries come back as lists from .mo files and tuples from .po files."""
    return tuple(value) if isinstance(value, list | tuple) else value


def _text(value):
    return value.decode() if isinstance(value, bytes) else value


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalog_matches_the_source(language):
    source = {(m.context, _hashable(m.id)): _hashable(m.string)
              for m in source_catalog(language) if m.id and not m.fuzzy}
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo").open("rb") as fh:
        # read_mo gives the context as bytes, read_po as text.
        compiled = {(_text(m.context), _hashable(m.id)): _hashable(m.string)
                    for m in read_mo(fh) if m.id}
    assert compiled == source, "run `make translations` (pybabel compile)"


def test_vietnamese_is_the_default_language(client, congress):
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="vi">' in html
    assert "Chương trình" in html and "Programme" not in html


def test_translated_messages_never_carry_markup_from_user_text(app):
    from flask import render_template_string
    from flask_babel import lazy_gettext

    with app.test_request_context():
        message = lazy_gettext("“%(title)s” has been linked.", title="<script>alert(1)</script>")
        html = render_template_string("<p>{{ message }}</p>", message=message)
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_a_hostile_title_in_an_error_message_is_escaped_on_the_page(client, signed_in, congress):
    item = congress.sessions[0].items[0]
    item.title = "<img src=x onerror=alert(1)>"
    db.session.commit()
    # An item time outside its session's times is refused with a message naming the item.
    session = congress.sessions[0]
    response = signed_in.post(f"/organiser/sessions/{session.id}/edit", {
        "name": session.name, "date": "2025-07-23", "starts_at": "09:00", "ends_at": "11:30"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "<img src=x" not in html and "&lt;img src=x" in html


def _language_of(response) -> str:
    html = response.get_data(as_text=True)
    return "en" if '<html lang="en">' in html else "vi" if '<html lang="vi">' in html else "?"


@pytest.fixture
def follows_browser(congress):
    """The congress lets the phone's language choose (off by default: test_language_choice)."""
    congress.follow_browser_language = True
    db.session.commit()
    return congress


@pytest.mark.parametrize(("accept_language", "expected"), [
    ("en", "en"),
    ("en-US;q=0.9, vi;q=0.8", "en"),
    ("vi-VN, en;q=0.5", "vi"),
    ("fr", "vi"),
])
def test_the_browsers_language_is_the_first_guess(client, follows_browser, accept_language,
                                                  expected):
    response = client.get("/", headers={"Accept-Language": accept_language})
    assert _language_of(response) == expected
    assert {"Accept-Language", "Cookie"} <= set(response.vary)


def test_an_english_browser_reads_the_home_page_in_english(client, follows_browser):
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Programme" in html and "Chương trình" not in html


def test_english_pages_are_translated_with_the_english_catalog(app):
    """The compiled English catalog is found and loaded, as the Vietnamese one is."""
    from babel.support import Translations
    from flask_babel import force_locale, get_translations

    with app.test_request_context("/"), force_locale("en"):
        translations = get_translations()
        assert isinstance(translations, Translations)
        assert translations.ngettext("%(num)d page", "%(num)d pages", 2) == "%(num)d pages"


def test_the_remembered_language_beats_the_browsers(client, follows_browser):
    client.set_cookie("lang", "vi")
    assert _language_of(client.get("/", headers={"Accept-Language": "en"})) == "vi"


def test_lang_in_the_address_beats_cookie_and_browser(client, follows_browser):
    client.set_cookie("lang", "vi")
    response = client.get("/?lang=en", headers={"Accept-Language": "vi"})
    assert _language_of(response) == "en"
    assert "lang=en" in response.headers["Set-Cookie"]
    assert _language_of(client.get("/", headers={"Accept-Language": "vi"})) == "en"


def test_the_cached_landing_page_is_kept_apart_per_browser_language(client, follows_browser,
                                                                   make_document):
    document = make_document()
    english = {"Accept-Language": "en"}
    vietnamese = {"Accept-Language": "vi"}
    for headers, expected in [(english, "en"), (vietnamese, "vi"), (english, "en"),
                              (vietnamese, "vi")]:
        response = client.get(f"/d/{document.code}", headers=headers)
        assert _language_of(response) == expected
        assert "Accept-Language" in response.vary
