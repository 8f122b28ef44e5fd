"""Organiser sign-in and sign-out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..extensions import db, login_manager
from ..models import Delegate, Role, User
from ..services import users as user_service

bp = Blueprint("auth", __name__)

login_manager.login_message = _l("Please sign in as an organiser to open this page.")


@login_manager.user_loader
def load_user(user_id: str) -> User | Delegate | None:
    """Session ids are "u:<id>" for organiser accounts, "d:<id>:<version>" for delegates."""
    kind, _sep, rest = user_id.partition(":")
    if kind == "u" and rest.isdigit():
        return db.session.get(User, int(rest))
    number, _sep, version = rest.partition(":")
    if kind == "d" and number.isdigit() and version.isdigit():
        delegate = db.session.get(Delegate, int(number))
        if (delegate is not None and delegate.active
                and delegate.credential_version == int(version)):
            return delegate
    return None


def safe_next(target: str | None, default: str) -> str:
    """Only ever redirect to a path on this site, never to another host."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(c) < 32 for c in target):
        return default
    return target


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[
        DataRequired(_l("Enter your username.")), Length(max=80, message=_l("Too long."))])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Enter your password.")), Length(max=200, message=_l("Too long."))])
    remember = BooleanField(_l("Keep me signed in on this device"))
    next = HiddenField()


def landing_page(user) -> str:
    """Where an account goes after signing in: check-in staff straight to the scanner."""
    if getattr(user, "can_edit", False):
        return url_for("organiser.dashboard")
    if getattr(user, "role", None) == Role.CHECKIN:
        return url_for("checkin.scan")
    return url_for("public.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated and not getattr(current_user, "is_delegate", False):
        return redirect(landing_page(current_user))
    form = LoginForm(next=request.args.get("next", ""))
    status = 200
    if form.validate_on_submit():
        user = user_service.authenticate(form.username.data, form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(form.next.data, landing_page(user)))
        flash(_("Wrong username or password."), "error")
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("public.home"))
