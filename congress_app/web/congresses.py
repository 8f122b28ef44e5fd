"""The congresses of an instance, for accounts that serve all of them: which one they work on,
and setting up another (a city hosting all its wards' congresses)."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..models import Role
from ..services import agenda as agenda_service
from ..services import congress as congress_service
from ..services.errors import InputRefused
from . import tenancy
from .organiser import congress_values, refused_on_form
from .organiser_forms import ConfirmForm, CongressForm

bp = Blueprint("congresses", __name__, url_prefix="/organiser/congresses")


def every_congress_required(view):
    """Accounts tied to one congress never see the others, not even their names."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.can_edit or not current_user.serves_every_congress:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


@bp.get("/")
@every_congress_required
def index():
    """Every congress of the instance, the one being worked on marked."""
    return render_template(
        "organiser/congresses.html",
        congress=congress_service.get_congress(),
        congresses=congress_service.all_congresses(),
        form=ConfirmForm(),
        can_create=current_user.role == Role.ADMIN,
    )


@bp.post("/<int:congress_id>/choose")
@every_congress_required
def choose(congress_id: int):
    """Work on this congress from now on (this browser session only)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    congress = congress_service.by_id(congress_id)
    if congress is None:
        abort(404)
    tenancy.choose(congress)
    flash(_("You are now working on “%(title)s”.", title=congress.title), "success")
    return redirect(url_for("organiser.dashboard"))


@bp.route("/new", methods=["GET", "POST"])
@every_congress_required
def new():
    """Set up another congress on this instance; the admin then works on it."""
    if current_user.role != Role.ADMIN:
        abort(403)
    form = CongressForm()
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            congress = agenda_service.create_congress(
                **congress_values(form), user=current_user._get_current_object())
        except InputRefused as refused:
            status = refused_on_form(form, refused)
        else:
            tenancy.choose(congress)
            address = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(
                "public.home", congress_slug=congress.slug)
            flash(_("The congress has been set up. Its address is %(url)s.", url=address),
                  "success")
            return redirect(url_for("organiser.dashboard"))
    return render_template("organiser/congress.html", congress=None, form=form,
                           new_congress=True), status
