"""Blueprints and error pages."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
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


def render_error(status: int, message=None):
    """One friendly page for every error, in the visitor's language."""
    return (
        render_template(
            "errors/error.html", status=status, message=message or ERROR_MESSAGES.get(status)
        ),
        status,
    )


def init_app(app: Flask) -> None:
    from . import (
        accounts,
        archive,
        audit,
        auth,
        cards,
        checkin,
        closing,
        congresses,
        delegate,
        offline,
        organiser,
        print_centre,
        public,
        roster,
        search,
        security,
        stage,
        tenancy,
    )

    security.init_app(app)

    for module in (public, auth, delegate, organiser, roster, cards, print_centre, checkin,
                   search, stage, offline, archive, audit, closing, congresses, accounts):
        app.register_blueprint(module.bp)
    tenancy.init_app(app)

    for status in ERROR_MESSAGES:
        app.register_error_handler(status, lambda e, status=status: render_error(status))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(
            400, _l("The form has expired or was sent from another page. Reload and try again.")
        )

    @app.errorhandler(ClientDisconnected)
    def upload_interrupted(error):
        return render_error(400, _l("The upload was interrupted before the whole file arrived. "
                                    "Nothing was saved; please try again."))

    @app.errorhandler(InputRefused)
    def refused(error: InputRefused):
        return render_error(error.status, error.message)
