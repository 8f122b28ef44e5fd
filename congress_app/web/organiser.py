"""Organiser pages: congress details, agenda, documents. Every route needs an editor account."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

bp = Blueprint("organiser", __name__, url_prefix="/organiser")


def organiser_required(view):
    """Anonymous visitors go to sign-in; signed-in accounts without edit rights get 403."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.can_edit:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


@bp.get("/")
@organiser_required
def dashboard():
    return render_template("organiser/dashboard.html")
