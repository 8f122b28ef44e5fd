"""Language choice: Vietnamese by default, English on request, remembered in a cookie."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, has_request_context, request
from flask_babel import format_date, format_datetime, format_decimal, get_locale

from .extensions import babel

COOKIE = "lang"
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
    return requested_language() or current_app.config["BABEL_DEFAULT_LOCALE"]


def _remember_language(response):
    lang = request.args.get("lang")
    if lang in current_app.config["LANGUAGES"] and request.cookies.get(COOKIE) != lang:
        response.set_cookie(COOKIE, lang, max_age=ONE_YEAR, samesite="Lax", httponly=True)
    return response


def init_app(app: Flask) -> None:
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    app.after_request(_remember_language)
    app.jinja_env.globals.update(
        format_date=format_date, format_datetime=format_datetime, format_decimal=format_decimal
    )

    @app.context_processor
    def language_context() -> dict:
        return {"current_language": str(get_locale()), "languages": app.config["LANGUAGES"]}
