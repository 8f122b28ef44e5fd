"""Blueprints, error pages and the hooks every request goes through.

The app-wide hooks (before-request checks, context processors, error handlers) are
registered here and only here, in the order they run; each is defined beside its domain.
A blueprint's own handlers (auth's pause page for sign-in) stay with its blueprint.
"""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import ClientDisconnected

from ..services.errors import InputRefused

ERROR_MESSAGES = {
    400: _l("The request could not be understood. Please go back and try again."),
    403: _l("You do not have permission to open this page."),
    404: _l("There is no such page or document. Check the code printed under the QR code."),
    405: _l("This action is not allowed here."),
    410: _l("This document has been withdrawn by the organisers and is no longer available."),
    413: _l("The file is larger than the upload limit. Please upload a smaller file."),
    500: _l("Something went wrong on our side. Please try again in a moment."),
}


# What an error page says first, in words: the code itself comes last, for the helpdesk.
ERROR_TITLES = {
    400: _l("This could not be done"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    405: _l("Not allowed here"),
    409: _l("Changed in the meantime"),
    410: _l("Withdrawn"),
    413: _l("The file is too large"),
    423: _l("The congress is closed"),
    429: _l("Please wait a moment"),
    500: _l("Something went wrong"),
}


def render_error(status: int, message=None, title=None):
    """One friendly page for every error, in the visitor's language: a heading in words
    (`title`, else the status's), what happened and what to do, then the code."""
    return (
        render_template(
            "errors/error.html", status=status,
            title=title or ERROR_TITLES.get(status, ERROR_TITLES[400 if status < 500 else 500]),
            message=message or ERROR_MESSAGES.get(status),
        ),
        status,
    )


def init_app(app: Flask) -> None:
    from . import (
        accounts,
        archive,
        audit,
        auth,
        ballots,
        cards,
        checkin,
        closing,
        comment_triage,
        comments,
        congresses,
        credentials,
        delegate,
        offline,
        organiser,
        print_centre,
        public,
        roster,
        search,
        security,
        setup,
        stage,
        tenancy,
        votes,
    )

    security.init_app(app)

    for module in (public, auth, delegate, comments, organiser, comment_triage, roster, cards,
                   print_centre, checkin, search, stage, offline, archive, audit, closing,
                   congresses, setup, accounts, credentials, votes, ballots):
        app.register_blueprint(module.bp)

    # After the security checks (security.init_app), before the congress of a /c/<slug>/
    # URL is checked (tenancy.init_app).
    app.before_request(closing.refuse_writes_when_closed)
    app.before_request(accounts.one_time_password_first)
    for context in (public.public_context, closing.closing_context,
                    accounts.demo_banner_context, stage.stage_context,
                    comments.outbox_context, ballots.votes_context):
        app.context_processor(context)
    app.add_template_filter(checkin.checkin_time, "checkin_time")
    tenancy.init_app(app)

    for status in ERROR_MESSAGES:
        app.register_error_handler(status, lambda e, status=status: render_error(status))

    @app.errorhandler(413)
    def too_large(error):
        """Name the limit: the organiser has to know what "smaller" means."""
        limit = app.config.get("MAX_CONTENT_LENGTH") or 0
        return render_error(413, _l(
            "The file is larger than the upload limit of %(size)s MB, so nothing was saved. "
            "Go back to the form, choose a smaller file (or split the document) and send it "
            "again.", size=format_decimal(limit / 1048576, "#,##0.#")))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(
            400, _l("The form has expired or was sent from another page. Reload and try again.")
        )

    @app.errorhandler(ClientDisconnected)
    def upload_interrupted(error):
        return render_error(400, _l("The upload was interrupted before the whole file arrived. "
                                    "Nothing was saved; please try again."))

    # Every rate limit's pause page; auth answers its own sign-in form's (auth.too_many_logins).
    app.register_error_handler(RateLimitExceeded, delegate.too_many_attempts)

    @app.errorhandler(InputRefused)
    def refused(error: InputRefused):
        return render_error(error.status, error.message)
