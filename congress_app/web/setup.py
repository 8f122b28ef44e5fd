"""The first start of an empty instance: the set-up link creates the first administrator.

/setup/<token> is the link `flask serve` prints (services/setup.py). It asks for a username
and a password, signs the new administrator in and goes on to the congress form. /setup
without a token says where the link is; a wrong or used token is a 404 saying the same.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from ..services import congress as congress_service
from ..services import setup as setup_service
from ..services import users as user_service
from . import render_error
from .editing import submit
from .security import renew_csrf_token

bp = Blueprint("setup", __name__, url_prefix="/setup")


class FirstAdminForm(FlaskForm):
    """The first administrator's account; the password rules are the users service's."""

    username = StringField(_l("Username"), validators=[
        DataRequired(_l("Enter a username.")), Length(max=80, message=_l("Too long."))])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Enter a password.")),
        Length(max=user_service.PASSWORD_MAX, message=_l("Too long."))])
    password_again = PasswordField(_l("Password again"), validators=[
        DataRequired(_l("Enter the password a second time.")),
        EqualTo("password", message=_l("The two passwords differ. Type the same password "
                                       "twice."))])


@bp.get("/")
def where_is_the_link():
    """Without the token: where to find the link (or sign-in, once the site is set up)."""
    if not setup_service.needs_setup():
        return redirect(url_for("auth.login"))
    return render_template("setup/where.html")


@bp.route("/<token>", methods=["GET", "POST"])
def first_admin(token: str):
    """Create the first administrator with the one-time link, sign in, set up the congress."""
    if not setup_service.token_is_valid(token):
        return render_error(404, setup_service.INVALID_LINK)
    form = FirstAdminForm()
    sent = submit(form, lambda: setup_service.create_first_admin(
        token, form.username.data, form.password.data))
    if sent.status == 404:  # the link was used meanwhile: the service's only 404
        return render_error(404, setup_service.INVALID_LINK)
    if sent.done:
        user = sent.value
        login_user(user)
        renew_csrf_token()
        if congress_service.first_congress() is None:
            flash(_("Your administrator account “%(name)s” is ready and you are signed in. "
                    "Now enter the congress's details.", name=user.username), "success")
            return redirect(url_for("organiser.congress_details"))
        flash(_("Your administrator account “%(name)s” is ready and you are signed in.",
                name=user.username), "success")
        return redirect(url_for("organiser.dashboard"))
    return render_template("setup/first_admin.html", form=form,
                           password_min=user_service.PASSWORD_MIN), sent.status
