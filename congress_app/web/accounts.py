"""Organise › Accounts: admins add accounts, change their role or congress, deactivate them
and hand out one-time passwords; every account changes its own password here.

An admin tied to a congress sees the accounts that serve it and changes only those tied to
it; another congress's accounts do not exist for it (404). The rules (the last admin, the
congress tie) live in services.users.
"""

from __future__ import annotations

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
from flask_login import current_user, login_user
from sqlalchemy import select

from ..extensions import db
from ..labels import ROLE_LABELS
from ..models import Congress, Role, User
from ..services import users as user_service
from ..services.errors import InputRefused
from .access import admin_required, own_or_404, staff_required
from .accounts_forms import (
    EVERY_CONGRESS,
    AccountEditForm,
    AccountForm,
    OneTimePasswordForm,
    OwnPasswordForm,
    congress_choices,
)
from .auth import landing_page, safe_next
from .editing import acting_user, confirmed_or_400, submit
from .tenancy import get_congress

bp = Blueprint("accounts", __name__, url_prefix="/organiser")

# What an account with a one-time password may still open: the page that replaces it,
# signing out, and what every page loads.
OPEN_BEFORE_THE_CHANGE = frozenset({
    "accounts.own_password", "auth.logout", "auth.login", "static",
    "offline.service_worker", "offline.web_app_manifest",
})


@bp.context_processor
def accounts_context() -> dict:
    return {"role_labels": ROLE_LABELS, "password_min": user_service.PASSWORD_MIN}


def demo_banner_context() -> dict:
    """The organiser dashboard warns while the demo admin keeps the README's password."""
    return {"exposed_demo_account": user_service.demo_account_exposed}


def one_time_password_first():
    """While an account's password is one an admin set, every page leads to changing it."""
    if request.endpoint is None or request.endpoint in OPEN_BEFORE_THE_CHANGE:
        return None
    remember = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    if not session and remember not in request.cookies:
        return None  # an anonymous phone: no account to load
    user = current_user
    if (not getattr(user, "is_authenticated", False) or getattr(user, "is_delegate", False)
            or not user.must_change_password):
        return None
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("accounts.own_password", next=target))


def _congresses() -> list[Congress]:
    return list(db.session.scalars(select(Congress).order_by(Congress.id)))


def _chosen_congress(value: str) -> Congress | None:
    """The congress the select names (its choices were already checked by the form)."""
    if value == EVERY_CONGRESS:
        return None
    congress = db.session.get(Congress, int(value))
    if congress is None:
        abort(400)
    return congress


def _changeable_or_403(target: User) -> None:
    """An account serving every congress is listed for a tied admin, but not its to change."""
    if not user_service.may_change(acting_user(), target):
        abort(403)


def _flash_refused(refused: InputRefused) -> int:
    db.session.rollback()
    flash(str(refused.message), "error")
    return refused.status


# The list and a new account ----------------------------------------------------------


@bp.get("/accounts")
@admin_required
def index():
    """The accounts that serve this congress (every account, for an admin of every one)."""
    actor = acting_user()
    accounts = user_service.visible_accounts(actor)
    return render_template(
        "organiser/accounts/index.html", accounts=accounts, actor=actor,
        congress=get_congress(), may_change=user_service.may_change
    )


@bp.route("/accounts/new", methods=["GET", "POST"])
@admin_required
def new():
    """Add an account with a one-time password, tied to a congress or serving every one."""
    actor = acting_user()
    congress = get_congress()
    options = congress_choices(actor, _congresses())
    form = AccountForm(options)
    if request.method == "GET" and congress is not None:
        form.congress.data = str(congress.id)
    sent = submit(form, lambda: user_service.create_account(
        actor, form.username.data, form.password.data, form.role.data,
        _chosen_congress(form.congress.data)))
    if sent.done:
        user = sent.value
        flash(_("The account %(name)s has been created. Give its owner the one-time "
                "password: it must be changed at the first sign-in.", name=user.username),
              "success")
        return redirect(url_for(".account", user_id=user.id))
    return render_template("organiser/accounts/new.html", form=form,
                           congress=congress), sent.status


# One account -------------------------------------------------------------------------


def _account_page(target: User, edit_form=None, password_form=None, status: int = 200):
    actor = acting_user()
    options = congress_choices(actor, _congresses())
    if edit_form is None:
        edit_form = AccountEditForm(options, formdata=None, role=target.role.value,
                                    congress=("" if target.congress_id is None
                                              else str(target.congress_id)))
    return render_template(
        "organiser/accounts/account.html", account=target, actor=actor,
        may_change=user_service.may_change(actor, target),
        edit_form=edit_form, password_form=password_form or OneTimePasswordForm(formdata=None),
        published=user_service.has_published_password(target),
        congress=get_congress(),
    ), status


@bp.route("/accounts/<int:user_id>", methods=["GET", "POST"])
@admin_required
def account(user_id: int):
    """One account: its role and congress tie (POST saves them), password and state."""
    target = own_or_404(User, user_id)
    if request.method != "POST":  # GET, and HEAD like GET
        return _account_page(target)
    _changeable_or_403(target)
    actor = acting_user()
    form = AccountEditForm(congress_choices(actor, _congresses()))
    sent = submit(form, lambda: user_service.update_account(
        actor, target, form.role.data, _chosen_congress(form.congress.data)))
    if not sent.done:
        return _account_page(target, edit_form=form, status=sent.status)
    if sent.value:
        flash(_("The account %(name)s has been saved.", name=target.username), "success")
    if target.id == actor.id and target.role != Role.ADMIN:
        return redirect(landing_page(target))  # no longer an admin: the list is closed to it
    return redirect(url_for(".account", user_id=target.id))


@bp.post("/accounts/<int:user_id>/password")
@admin_required
def one_time_password(user_id: int):
    """Give the account a password to pass on; its sessions end, the next sign-in changes it."""
    target = own_or_404(User, user_id)
    if target.id == current_user.id:
        abort(400)  # one's own password is changed knowing the current one (own_password)
    _changeable_or_403(target)
    form = OneTimePasswordForm()
    sent = submit(form, lambda: user_service.set_one_time_password(
        acting_user(), target, form.password.data))
    if not sent.done:
        return _account_page(target, password_form=form, status=sent.status)
    flash(_("%(name)s has a one-time password now: every session of the account has ended, and "
            "the next sign-in must choose a new password.", name=target.username), "success")
    return redirect(url_for(".account", user_id=target.id))


def _set_active(user_id: int, active: bool):
    target = own_or_404(User, user_id)
    _changeable_or_403(target)
    confirmed_or_400()
    try:
        user_service.set_active(acting_user(), target, active)
    except InputRefused as refused:
        return _account_page(target, status=_flash_refused(refused))
    if active:
        flash(_("%(name)s can sign in again.", name=target.username), "success")
    else:
        flash(_("%(name)s has been deactivated: its sessions have ended and it can no longer "
                "sign in.", name=target.username), "success")
    return redirect(url_for(".account", user_id=target.id))


@bp.post("/accounts/<int:user_id>/deactivate")
@admin_required
def deactivate(user_id: int):
    """Stop an account from signing in; nothing it did is deleted."""
    return _set_active(user_id, False)


@bp.post("/accounts/<int:user_id>/reactivate")
@admin_required
def reactivate(user_id: int):
    """Let a deactivated account sign in again."""
    return _set_active(user_id, True)


# One's own password ------------------------------------------------------------------


@bp.route("/password", methods=["GET", "POST"])
@staff_required
def own_password():
    """Change one's own password: the current one, then the new one twice."""
    user = acting_user()
    form = OwnPasswordForm()
    sent = submit(form, lambda: user_service.change_own_password(
        user, form.current.data, form.password.data))
    if sent.done:
        # The session id carries the password's stamp: sign this session in again with
        # the new one, so only the other sessions end.
        login_user(user, remember=False)
        flash(_("Your password has been changed. Every other session of your account has "
                "ended."), "success")
        return redirect(safe_next(request.args.get("next"), landing_page(user)))
    return render_template("organiser/accounts/password.html", form=form), sent.status
