"""Delegate sign-in: the personal card link, and the number + PIN fallback."""

from __future__ import annotations

import time
from datetime import timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter import RateLimitExceeded
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Regexp

from ..extensions import limiter
from ..numbers import whole_number
from ..services import delegates as delegate_service
from ..services import users as user_service
from .auth import safe_next
from .security import renew_csrf_token
from .sign_in_limits import guard_sign_in
from .tenancy import get_congress

bp = Blueprint("delegate", __name__)

# One scan at the door must last the whole congress, however many days it runs.
SIGN_IN_DURATION = timedelta(days=14)
# The page a visitor was trying to open when the sign-in page was shown. The camera app opens
# the card's link without ?next=, so the sign-in page remembers it for the card link.
PENDING_NEXT = "delegate_next"


def _without_spaces(value: str | None) -> str | None:
    """People copy "123 456" from the card as they read it; spaces are not part of it."""
    return "".join(value.split()) if value else value


class PinSignInForm(FlaskForm):
    """The fallback for phones that cannot scan: the number and the PIN printed on the card."""

    number = StringField(_l("Delegate number"), filters=[_without_spaces], validators=[
        DataRequired(_l("Enter your delegate number.")),
        Regexp(r"^[0-9]{1,6}$",
               message=_l("The delegate number has digits only, as printed on your card.")),
    ])
    pin = StringField(_l("PIN (6 digits)"), filters=[_without_spaces], validators=[
        DataRequired(_l("Enter the PIN printed on your card.")),
        Regexp(r"^[0-9]{6}$", message=_l(
            "The PIN has exactly 6 digits (numbers only). Check the PIN printed on your card.")),
    ])
    next = HiddenField()


def _home() -> str:
    """Where a sign-in lands when it was not asked to go anywhere in particular."""
    return url_for("public.home")


def _is_delegate(user) -> bool:
    """Whether this visitor is signed in as a delegate (not anonymous, not an organiser)."""
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_delegate", False))


def _keep_token_private(response: Response) -> Response:
    """The card token is a password in the URL: no cached copy, and a Referer that names only
    the site, never the path. Not "no-referrer": a form on such a page (the footer's
    sign-out) would be sent with "Origin: null", which web/security.py refuses."""
    response.headers["Referrer-Policy"] = "strict-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


def _sign_in(delegate, target: str | None) -> Response:
    """Sign this phone in for the whole congress and go on to where the delegate was going."""
    login_user(delegate, remember=True, duration=SIGN_IN_DURATION)
    renew_csrf_token()
    pending = session.pop(PENDING_NEXT, None)
    flash(_("Welcome, %(name)s", name=delegate.full_name), "success")
    return redirect(safe_next(target or pending, _home()))


@bp.get("/k/<token>")
@bp.get("/K/<token>")
def card(token: str):
    """The card's QR code: one scan signs this phone in. Cards encode /K/ in upper case."""
    if current_user.is_authenticated and not current_user.is_delegate:
        # A check-in or organiser phone that opens a card must not lose its own account.
        page = render_template("delegate/card_not_used.html")
        return _keep_token_private(make_response(page, 409))
    delegate = delegate_service.delegate_by_token(token)
    if delegate is None:
        page = render_template("delegate/card_invalid.html",
                               next=safe_next(request.args.get("next"), ""))
        return _keep_token_private(make_response(page, 403))
    return _keep_token_private(_sign_in(delegate, request.args.get("next")))


def _submitted_number() -> str:
    """The rate-limit key of the delegate number in the form ("007" and "7" are one)."""
    number = whole_number(_without_spaces(request.form.get("number")), 999_999)
    if number is not None:
        congress = get_congress()
        # Numbers start at 1 in every congress: the limit is per card, not per number.
        return f"delegate-number:{congress.id if congress else 0}:{number}"
    return "delegate-number:invalid"


@bp.route("/delegate/sign-in", methods=["GET", "POST"])
@guard_sign_in(_submitted_number, per_client="PIN_ATTEMPTS_PER_CLIENT",
               per_account_and_client="PIN_ATTEMPTS_PER_NUMBER_AND_CLIENT",
               per_account="PIN_ATTEMPTS_PER_NUMBER")
def sign_in():
    """Delegate number and PIN from the card, for phones that cannot scan it."""
    congress = get_congress()
    if congress is None:
        abort(404)
    target = safe_next(request.values.get("next"), "")
    if request.method == "GET":
        if _is_delegate(current_user):
            return redirect(target or _home())
        if target:
            session[PENDING_NEXT] = target
    form = PinSignInForm(next=target)
    status = 200
    if form.validate_on_submit():
        delegate = delegate_service.check_pin(congress, int(form.number.data), form.pin.data)
        if delegate is not None:
            return _sign_in(delegate, safe_next(form.next.data, ""))
        form.form_errors.append(
            _("The delegate number or the PIN is not correct. Check your card and try again.")
        )
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template(
        "delegate/sign_in.html",
        form=form,
        for_document=target.startswith("/d/") and not _is_comment_form(target),
        for_comment=_is_comment_form(target),
        staff_signed_in=current_user.is_authenticated and not current_user.is_delegate,
    ), status


def _is_comment_form(target: str) -> bool:
    """Whether the page asked for is a comment form (/d/CODE/comment…)."""
    return target.startswith("/d/") and "/comment" in target.split("?")[0]


@bp.post("/delegate/sign-out")
def sign_out():
    """Sign this phone out (the CSRF token comes with the form in the footer)."""
    if current_user.is_authenticated:
        user_service.sign_out(current_user)
        logout_user()
        flash(_("You have signed out."), "info")
    return redirect(_home())


def too_many_attempts(error: RateLimitExceeded):
    """A readable pause page: how long to wait, and that the organisers' desk can help."""
    limit = limiter.current_limit
    wait = max(1, int(limit.reset_at - time.time())) if limit is not None else 15 * 60
    minutes = max(1, round(wait / 60))
    page = render_template(
        "delegate/too_many_attempts.html",
        minutes=minutes,
        delegate_sign_in=request.endpoint == "delegate.sign_in",
    )
    response = make_response(page, 429)
    response.headers["Retry-After"] = str(wait)
    return response
