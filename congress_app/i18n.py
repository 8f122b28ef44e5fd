"""Language choice: ?lang= (remembered in a cookie), else the cookie, else Vietnamese.

A phone set to English does not turn a Vietnamese party congress into English: the
browser's Accept-Language is followed only where the congress of the request asks for it
(Congress.follow_browser_language, off by default). Pages that belong to no congress (the
list of a city's congresses, an unknown slug) stay in Vietnamese unless the visitor chose.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flask import Flask, Response, current_app, g, has_request_context, request
from flask_babel import format_date, format_datetime, format_decimal, format_percent, get_locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape

from .extensions import babel
from .services.errors import InputRefused


def _escaped_html(self: LazyString) -> Markup:
    return escape(str(self))


# Flask-Babel's lazy strings claim to be safe HTML (__html__ returns the raw text), so a
# message such as _l("“%(title)s” …", title=user_text) would reach the page unescaped.
# They carry no markup of ours: escape them like any other string.
LazyString.__html__ = _escaped_html

COOKIE = "lang"
# What selects the language when the address does not (?lang=): caches must keep apart
# responses that differ by them. The cookie always; Accept-Language only where the congress
# follows the browser (elsewhere it changes nothing, and leaving it out keeps one cached copy
# instead of one per phone setting).
CHOICE_HEADER = "Cookie"
BROWSER_HEADER = "Accept-Language"
# The print centre's "language of the printout" option. Not ?lang=, which would also switch
# (and remember) the organiser's own interface language.
PRINT_LANGUAGE = "language"
# How a day is written in running text: Vietnamese official style is 22/7/2025.
DAY_PATTERNS = {"vi": "d/M/yyyy", "en": "d MMM yyyy"}
# A day with its weekday, as a heading: "Thứ Tư, 23 tháng 7, 2025", "Wednesday, 23 July 2025"
# (day before month, as everywhere else here; CLDR's English "full" puts the month first).
WEEKDAY_PATTERNS = {"vi": "full", "en": "EEEE, d MMMM y"}
MOMENT_PATTERNS = {"vi": "HH:mm, d/M/yyyy", "en": "d MMM yyyy, HH:mm"}
ONE_YEAR = 365 * 24 * 3600


def requested_language() -> str | None:
    """A language asked for explicitly (?lang=) or remembered from an earlier visit."""
    if not has_request_context():  # CLI commands and renders outside a request
        return None
    languages = current_app.config["LANGUAGES"]
    for candidate in (request.args.get("lang"), request.cookies.get(COOKIE)):
        if candidate in languages:
            return candidate
    return None


def select_locale() -> str:
    """What was asked for, else the browser's language where the congress follows it, else
    Vietnamese."""
    chosen = requested_language()
    if chosen:
        return chosen
    # Kept for Vary: whether another Accept-Language could change this response.
    g.language_follows_browser = follows_browser_language()
    browser = browser_language() if g.language_follows_browser else None
    return browser or current_app.config["BABEL_DEFAULT_LOCALE"]


def follows_browser_language() -> bool:
    """Whether the congress this request is about lets the phone's language choose."""
    from .web.tenancy import get_congress

    congress = get_congress()
    return bool(congress is not None and congress.follow_browser_language)


def browser_language() -> str | None:
    """The first of the browser's languages (by preference) that we have, ignoring regions.

    Not accept_languages.best_match: it prefers an exact tag to a better-liked regional one,
    so "en-US;q=0.9, vi;q=0.8" would give Vietnamese.
    """
    if not has_request_context():
        return None
    languages = current_app.config["LANGUAGES"]
    for tag, quality in request.accept_languages:  # best liked first
        primary = tag.replace("_", "-").split("-")[0].lower()
        if quality > 0 and primary in languages:
            return primary
    return None


def _remember_language(response):
    lang = request.args.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        if request.cookies.get(COOKIE) != lang:
            response.set_cookie(COOKIE, lang, max_age=ONE_YEAR, samesite="Lax", httponly=True)
    elif response.mimetype == "text/html":
        # Same URL, a language chosen by the cookie or the browser: caches must keep them apart.
        response.vary.add(CHOICE_HEADER)
        if g.get("language_follows_browser"):
            response.vary.add(BROWSER_HEADER)
    return response


def vary_by_language(response: Response) -> Response:
    """Mark a response whose body follows the visitor's language (a translated PDF, say)."""
    response.vary.add(CHOICE_HEADER)
    follows = g.get("language_follows_browser")
    if follows is None:  # chosen by ?lang= or the cookie here; the congress says for others
        follows = follows_browser_language()
    if follows:
        response.vary.add(BROWSER_HEADER)
    return response


def print_language(args: Mapping[str, str]) -> str:
    """The language a printout is asked for (`language`), else the organiser's own.

    A value we do not have is refused (400), as the print centre's other options are.
    """
    value = (args.get(PRINT_LANGUAGE) or "").strip().lower()
    if not value:
        return str(get_locale())
    if value not in current_app.config["LANGUAGES"]:
        raise InputRefused(
            _l("Unknown language of the printout “%(value)s”: choose vi (Vietnamese) or "
               "en (English).", value=value[:40]),
            field=PRINT_LANGUAGE,
        )
    return value


def format_day(value) -> str:
    """A date as people of the visitor's language write it in a sentence."""
    return format_date(value, DAY_PATTERNS.get(str(get_locale()), "medium"))


def format_weekday(value) -> str:
    """A day with its weekday, as a session's heading gives it."""
    return format_date(value, WEEKDAY_PATTERNS.get(str(get_locale()), "full"))


def format_moment(value) -> str:
    """An instant (an upload, a deletion) in the congress's time zone, 24-hour clock."""
    return format_datetime(value, MOMENT_PATTERNS.get(str(get_locale()), "short"))


def format_share(share: float | None) -> str:
    """A share (0.25) as every sheet and screen prints it: "25,0%" in Vietnamese, "25.0%" in
    English; "–" where there is no base to take it of."""
    return format_percent(share, "#,##0.0%") if share is not None else "–"


def init_app(app: Flask) -> None:
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    app.after_request(_remember_language)
    app.jinja_env.globals.update(
        format_date=format_date,
        format_datetime=format_datetime,
        format_decimal=format_decimal,
        format_day=format_day,
        format_moment=format_moment,
        format_share=format_share,
        format_weekday=format_weekday,
    )

    @app.context_processor
    def language_context() -> dict:
        return {"current_language": str(get_locale()), "languages": app.config["LANGUAGES"]}
