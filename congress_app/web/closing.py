"""Closing the congress (admins): a closed congress is read-only on the organiser side.

The refusal is one app-wide before-request hook (registered in web/__init__.py) keyed by
blueprint and HTTP method, so a write route added later to an organiser-side blueprint is
covered without touching it.
It answers 423 Locked rather than 409 Conflict: this app already uses 409 for "your input
clashes with what is stored; fix it and send again" (a delegate number taken, a roster
changed during import, an edit made on a stale page), which resubmitting can cure, while
here no resubmission helps until an admin reopens the congress — the congress is locked.
Reading stays open, and delegates' sign-in and documents are not affected. A delegate's
own writes — comments on the drafts (the `comments` blueprint) — are frozen with the
congress too: the record the congress adopted must not move after it closed.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired

from ..services import audit as audit_service
from ..services import closing as closing_service
from ..services.errors import InputRefused
from . import render_error
from .access import admin_required
from .editing import acting_user
from .organiser_forms import ConfirmForm
from .tenancy import congress_or_404, get_congress

bp = Blueprint("closing", __name__, url_prefix="/organiser/closing")

LOCKED = 423
# Blueprints whose writes change the congress; closing them is what "read-only" means.
ORGANISER_BLUEPRINTS = frozenset({
    "organiser", "roster", "checkin", "stage", "cards", "print_centre", "archive", "audit",
    "closing", "congresses", "accounts", "comment_triage", "credentials", "votes",
})
# The only writes a closed congress accepts: undoing the closure, the purge, moving on to
# another congress of the instance (choosing one, setting one up) without touching this one,
# the full backup (a POST for its confirmation; it changes nothing), and changing one's own
# password (the account's, not the congress's). Deleting a congress or resetting the demo
# names its congress, which the service checks.
ALLOWED_WHEN_CLOSED = frozenset({"closing.reopen", "closing.purge", "congresses.choose",
                                 "congresses.new", "archive.export_full", "congresses.delete",
                                 "congresses.reset_demo", "accounts.own_password"})
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Delegates' writes that a closed congress refuses: their comments (write, edit, withdraw).
DELEGATE_BLUEPRINTS = frozenset({"comments"})

CLOSED_MESSAGE = _l("The congress is closed; reopen it to make changes. Nothing was changed.")
DELEGATE_CLOSED_MESSAGE = _l("The congress is closed: comments can no longer be written, "
                             "changed or withdrawn. Nothing was changed.")


class PurgeForm(FlaskForm):
    """The purge cannot be undone, so the admin types the congress's code to confirm it."""

    confirmation = StringField(_l("Type the congress code to confirm"), validators=[
        DataRequired(_l("Type the congress code to confirm."))])


def _staff() -> bool:
    """A signed-in organiser-side account (not a delegate, not anonymous)."""
    return current_user.is_authenticated and not getattr(current_user, "is_delegate", True)


def refuse_writes_when_closed():
    """Answer 423 to every organiser-side write while the congress is closed.

    Anonymous visitors and delegates pass on to the view, whose own check sends them to
    sign-in or refuses them, so the closure never changes who may see what.
    """
    if request.method in READ_METHODS:
        return None
    if request.blueprint in DELEGATE_BLUEPRINTS:
        return _refuse_delegate_writes()
    if (request.blueprint not in ORGANISER_BLUEPRINTS
            or request.endpoint in ALLOWED_WHEN_CLOSED or not _staff()):
        return None
    congress = get_congress()
    if not closing_service.is_closed(congress):
        return None
    if request.is_json or request.accept_mimetypes.best == "application/json":
        # The door phone's script shows `message` as it shows any refusal.
        return jsonify({"status": "closed", "message": str(CLOSED_MESSAGE)}), LOCKED
    return render_template("organiser/closing_refused.html", congress=congress,
                           message=CLOSED_MESSAGE), LOCKED


def _refuse_delegate_writes():
    """423 to a signed-in delegate's comment write once the delegate's congress is closed
    (a delegate comments on the own congress's documents only); others go on to the view."""
    if not getattr(current_user, "is_delegate", False):
        return None
    if not closing_service.is_closed(current_user.congress):
        return None
    if request.is_json or request.accept_mimetypes.best == "application/json":
        return jsonify({"status": "closed", "message": str(DELEGATE_CLOSED_MESSAGE)}), LOCKED
    return render_error(LOCKED, DELEGATE_CLOSED_MESSAGE)


def closing_context() -> dict:
    """`congress_purge(congress)` for pages that show the purge notice (attendance)."""
    return {"congress_purge": _purge_summary}


def _purge_summary(congress) -> dict | None:
    """When and how the congress's personal data was purged, with the counts it kept."""
    if congress is None:
        return None
    event = closing_service.last_purge(congress)
    if event is None:
        return None
    return {"at": event.at, "by": event.user.username if event.user else _("system"),
            **audit_service.details(event)}


def _closed_by(congress):
    """The audit event of the latest closure, for "closed by … at …"."""
    return audit_service.latest_event(congress, "congress.close")


@bp.get("/")
@admin_required
def index():
    """Whether the congress is closed, and the buttons to close, reopen or purge it."""
    congress = congress_or_404()
    return render_template(
        "organiser/closing.html", congress=congress, closed_by=_closed_by(congress),
        purge=_purge_summary(congress), form=ConfirmForm(),
    )


@bp.route("/close", methods=["GET", "POST"])
@admin_required
def close():
    """Ask first (GET), then close (POST): every organiser change is refused until reopened."""
    congress = congress_or_404()
    form = ConfirmForm()
    if form.validate_on_submit():
        closing_service.close(congress, user=acting_user())
        flash(_("The congress is closed. Everything stays readable; nothing can be changed "
                "until an administrator reopens it."), "success")
        return redirect(url_for(".index"))
    return render_template("organiser/closing_confirm.html", congress=congress, form=form), (
        400 if request.method == "POST" else 200)


@bp.post("/reopen")
@admin_required
def reopen():
    """Allow changes again."""
    congress = congress_or_404()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    closing_service.reopen(congress, user=acting_user())
    flash(_("The congress is open again: organisers can make changes."), "success")
    return redirect(url_for(".index"))


@bp.route("/purge", methods=["GET", "POST"])
@admin_required
def purge():
    """Ask for the typed congress code (GET), then purge personal data (POST)."""
    congress = congress_or_404()
    if not closing_service.is_closed(congress):
        raise InputRefused(_l("Close the congress before purging personal data."), 409)
    form = PurgeForm()
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            counts = closing_service.purge_personal_data(
                congress, form.confirmation.data, user=acting_user())
        except InputRefused as refused:
            form.confirmation.errors = [*form.confirmation.errors, refused.message]
            status = refused.status
        else:
            flash(_("Personal data has been purged: %(n)d delegate cards no longer work and "
                    "%(c)d check-ins were removed; the counts are kept in the audit log.",
                    n=counts["delegates"], c=counts["checkins"]), "success")
            return redirect(url_for(".index"))
    return render_template("organiser/closing_purge.html", congress=congress, form=form), status
