"""The congresses of an instance, for accounts that serve all of them: which one they work on,
setting up another (a city hosting all its wards' congresses), and, for admins, deleting one
or resetting the demo (services/deletion.py, services/seed.py)."""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired

from ..config import ROOT
from ..models import Congress, Role
from ..services import congress as congress_service
from ..services import deletion as deletion_service
from ..services import seed as seed_service
from ..storage import file_store
from . import tenancy
from .access import admin_required, every_congress_required, own_or_404
from .editing import acting_user, submit
from .organiser.congress import congress_values
from .organiser_forms import ConfirmForm, CongressForm
from .tenancy import get_congress

bp = Blueprint("congresses", __name__, url_prefix="/organiser/congresses")


class TypedConfirmForm(FlaskForm):
    """Deleting cannot be undone, so the admin types the congress's code or title."""

    confirmation = StringField(_l("Type the congress code or its full title to confirm"),
                               validators=[DataRequired(_l("Type the congress code or its "
                                                           "full title to confirm."))])


def demo_seeds() -> Path:
    """Where the demo congress is loaded from (tests may point at a smaller one)."""
    return Path(current_app.config.get("DEMO_SEEDS") or ROOT / "seeds")


@bp.get("/")
@every_congress_required
def index():
    """Every congress of the instance, the one being worked on marked."""
    return render_template(
        "organiser/congresses.html",
        congress=get_congress(),
        congresses=congress_service.all_congresses(),
        form=ConfirmForm(),
        can_create=current_user.role == Role.ADMIN,
        demo=seed_service.demo_congress(demo_seeds()),
    )


@bp.post("/<int:congress_id>/choose")
@every_congress_required
def choose(congress_id: int):
    """Work on this congress from now on (this browser session only)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    congress = own_or_404(Congress, congress_id)
    tenancy.choose(congress)
    flash(_("You are now working on “%(title)s”.", title=congress.title), "success")
    if request.form.get("then") == "delete":  # from the deletion page, to offer its archive
        return redirect(url_for(".delete", congress_id=congress.id))
    return redirect(url_for("organiser.dashboard"))


@bp.route("/new", methods=["GET", "POST"])
@every_congress_required
def new():
    """Set up another congress on this instance; the admin then works on it."""
    if current_user.role != Role.ADMIN:
        abort(403)
    form = CongressForm()
    sent = submit(form, lambda: congress_service.create_congress(
        **congress_values(form), user=acting_user()))
    if sent.done:
        congress = sent.value
        tenancy.choose(congress)
        address = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(
            "public.home", congress_slug=congress.slug)
        flash(_("The congress has been set up. Its address is %(url)s.", url=address),
              "success")
        return redirect(url_for("organiser.dashboard"))
    return render_template("organiser/congress.html", congress=None, form=form,
                           new_congress=True), sent.status


def _deletable_or_404(congress_id: int) -> Congress:
    """A congress an admin may delete: another congress's account does not even learn that
    it exists (404); an admin tied to this one may not delete it (their account goes too)."""
    congress = own_or_404(Congress, congress_id)
    if not current_user.serves_every_congress:
        abort(403)
    return congress


def _after_deleting(deleted: deletion_service.DeletedCongress, congress_id: int):
    """Forget the deleted congress as the one being worked on, say what went, move on."""
    if session.get(tenancy.CHOSEN) == congress_id:
        session.pop(tenancy.CHOSEN)
    flash(_("“%(title)s” has been deleted with its documents, delegates and records; "
            "%(accounts)d accounts tied to it were deleted and %(files)d stored files removed.",
            title=deleted.title, accounts=len(deleted.accounts), files=deleted.files_removed),
          "success")


@bp.route("/<int:congress_id>/delete", methods=["GET", "POST"])
@admin_required
def delete(congress_id: int):
    """Offer the archive and ask for the typed code (GET), then delete the congress (POST)."""
    congress = _deletable_or_404(congress_id)
    form = TypedConfirmForm()
    sent = submit(form, lambda: deletion_service.delete_congress(
        congress, form.confirmation.data, user=acting_user(), store=file_store()))
    if sent.done:
        _after_deleting(sent.value, congress_id)
        if congress_service.first_congress() is None:
            return redirect(url_for("organiser.dashboard"))
        return redirect(url_for(".index"))
    current = get_congress()
    return render_template(
        "organiser/congress_delete.html", congress=current, doomed=congress, form=form,
        choose_form=ConfirmForm(), contents=deletion_service.contents(congress),
        accounts=deletion_service.tied_accounts(congress),
        is_current=current is not None and current.id == congress.id,
        closed=congress.closed_at is not None,
    ), sent.status


@bp.route("/demo/reset", methods=["GET", "POST"])
@every_congress_required
def reset_demo():
    """Ask for the typed code (GET), then delete the demo congress and load it again (POST)."""
    if current_user.role != Role.ADMIN:
        abort(403)
    demo = seed_service.demo_congress(demo_seeds())
    if demo is None:
        abort(404)
    form = TypedConfirmForm()
    demo_id = demo.id  # the row is gone once reset
    sent = submit(form, lambda: seed_service.reset_demo(
        demo_seeds(), form.confirmation.data, user=acting_user(), store=file_store()))
    if sent.done:
        result = sent.value
        if session.get(tenancy.CHOSEN) == demo_id:
            tenancy.choose(result.congress)
        flash(_("The demo congress has been loaded again as it was at the first start: "
                "%(documents)d documents, %(delegates)d delegates.",
                documents=result.documents, delegates=result.delegates), "success")
        return redirect(url_for(".index"))
    return render_template(
        "organiser/demo_reset.html", congress=get_congress(), demo=demo,
        form=form, closed=demo.closed_at is not None,
    ), sent.status
