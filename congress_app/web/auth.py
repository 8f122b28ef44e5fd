"""Organiser sign-in and sign-out."""

from __future__ import annotations

import hmac
import time
import unicodedata
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..extensions import db, limiter, login_manager
from ..models import Delegate, Role, User
from ..numbers import whole_number
from ..services import users as user_service
from . import render_error
from .security import renew_csrf_token
from .sign_in_limits import guard_sign_in

bp = Blueprint("auth", __name__)

login_manager.login_message = _l("Please sign in as an organiser to open this page.")


@login_manager.user_loader
def load_user(user_id: str) -> User | Delegate | None:
    """Session ids are "u:<id>:<stamp>:<session>" for organiser accounts and
    "d:<id>:<version>:<session>" for delegates, checked on every request: a new password, a
    reissued card, a sign-out or a (de)activation (end_sessions) ends the sessions and
    remember-me cookies made before it, whoever holds a copy."""
    kind, raw_id, credential, raw_version = (user_id.split(":") + ["", "", "", ""])[:4]
    row_id, session_version = whole_number(raw_id), whole_number(raw_version)
    if user_id.count(":") != 3 or row_id is None or session_version is None:
        return None
    if kind == "u" and credential:
        user = db.session.get(User, row_id)
        if (user is not None and hmac.compare_digest(user.credential_stamp, credential)
                and user.session_version == session_version):
            return user
        return None
    card_version = whole_number(credential)
    if kind == "d" and card_version is not None:
        delegate = db.session.get(Delegate, row_id)
        if (delegate is not None and delegate.active
                and delegate.credential_version == card_version
                and delegate.session_version == session_version):
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


def _submitted_username() -> str:
    """The rate-limit key of the username in the form, whatever its case or spacing."""
    username = unicodedata.normalize("NFC", (request.form.get("username") or "").strip())
    return f"organiser-username:{username.casefold()[:80]}"


@bp.route("/login", methods=["GET", "POST"])
@guard_sign_in(_submitted_username, per_client="LOGIN_ATTEMPTS_PER_CLIENT",
               per_account_and_client="LOGIN_ATTEMPTS_PER_USERNAME_AND_CLIENT",
               per_account="LOGIN_ATTEMPTS_PER_USERNAME")
def login():
    if current_user.is_authenticated and not getattr(current_user, "is_delegate", False):
        return redirect(landing_page(current_user))
    form = LoginForm(next=request.args.get("next", ""))
    status = 200
    if form.validate_on_submit():
        user = user_service.authenticate(form.username.data, form.password.data,
                                         address=get_remote_address())
        if user is not None:
            login_user(user, remember=form.remember.data)
            renew_csrf_token()
            return redirect(safe_next(form.next.data, landing_page(user)))
        flash(_("Wrong username or password."), "error")
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.errorhandler(RateLimitExceeded)
def too_many_logins(error: RateLimitExceeded):
    """Guessing passwords is paused: say for how long, and keep a trace in the audit log."""
    user_service.record_paused_login(request.form.get("username", ""), get_remote_address())
    limit = limiter.current_limit
    wait = max(1, int(limit.reset_at - time.time())) if limit is not None else 15 * 60
    minutes = max(1, round(wait / 60))
    response = current_app.make_response(render_error(429, ngettext(
        "Too many wrong sign-in attempts. To protect the organisers' accounts, please wait "
        "%(num)d minute before you try again.",
        "Too many wrong sign-in attempts. To protect the organisers' accounts, please wait "
        "%(num)d minutes before you try again.",
        minutes,
    )))
    response.headers["Retry-After"] = str(wait)
    return response


@bp.post("/logout")
@login_required
def logout():
    user_service.sign_out(current_user)
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("public.home"))
