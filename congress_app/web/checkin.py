"""Check-in at the door (scanning delegate cards) and the attendance count.

Staff phones post the token read from a card; they never open the card's link, which
would sign the phone in as the delegate. JSON answers: 200 checked in now or already
(with "already": true), 404 not a valid card or number, 400 malformed. A typed number is
first answered "confirm" (who it is); only the post that carries confirm checks in. A
check-in can be undone within its session (POST /checkin/<id>/undo).

The door records for the session the clock says is on, unless the staff chose one on the
page (POST /checkin/session): the choice is kept in the phone's session cookie, per
congress. Organisers check out a delegate leaving early and enter reasons for absence on
the attendance page, which shows any session (?session=<id>; default: the clock's).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_datetime, to_user_timezone
from flask_babel import lazy_gettext as _l

from ..i18n import format_moment
from ..labels import DELEGATE_KIND_LABELS as KIND_LABELS
from ..models import CheckIn
from ..models.base import utcnow
from ..numbers import whole_number
from ..services import absences as absence_service
from ..services import attendance as attendance_service
from ..services import attendance_sessions
from ..services.attendance import ScanOutcome, ScanStatus
from ..services.attendance_sessions import CLOCK, SessionChoice
from ..services.errors import InputRefused
from .access import organiser_required, own_or_404, staff_required
from .editing import acting_user
from .secure_context import camera_needs_https
from .tenancy import congress_or_404

bp = Blueprint("checkin", __name__, url_prefix="/checkin")

POLL_INTERVAL_MS = 3000
UNREADABLE = _l("This request could not be read. Reload the page and try again.")
NO_SUCH_CHECKIN = _l("This check-in does not exist (it may have been undone already).")
NO_SUCH_SESSION = _l("This session does not exist.")
DOOR_CHOICES = "door_sessions"  # the cookie's {congress id: session id} of the staff's choice


def door_session(congress) -> tuple[SessionChoice, bool]:
    """(the session this phone records for, whether the staff chose it): the choice kept
    in the cookie while it is still one of the congress's sessions, else the clock's."""
    chosen = attendance_sessions.session_of_congress(
        congress, session.get(DOOR_CHOICES, {}).get(str(congress.id)))
    if chosen is not None:
        return chosen, True
    return attendance_sessions.current_session(congress), False


def _session_id(value) -> int | None:
    """A session id from a form or query value; None for "" (the clock's choice)."""
    if value in (None, ""):
        return None
    number = whole_number(value)
    if number is None:
        raise InputRefused(NO_SUCH_SESSION, 404, field="session")
    return number


def session_arg(congress, value) -> SessionChoice:
    """The session a page or sheet asks for (?session=<id>); missing or "": the clock's.
    An id that is not one of the congress's sessions is 404, nothing shown."""
    session_id = _session_id(value)
    if session_id is None:
        return CLOCK
    chosen = attendance_sessions.session_of_congress(congress, session_id)
    if chosen is None:
        raise InputRefused(NO_SUCH_SESSION, 404, field="session")
    return chosen


def checkin_time(at) -> str:
    """07:42 for an arrival today; with the date for one on an earlier day of the congress."""
    if to_user_timezone(at).date() == to_user_timezone(utcnow()).date():
        return format_datetime(at, "HH:mm")
    return format_moment(at)


@bp.context_processor
def checkin_context() -> dict:
    """Labels the check-in templates show next to stored values, and whether the camera is
    refused because the page came over plain HTTP."""
    return {"kind_labels": KIND_LABELS, "camera_needs_https": camera_needs_https()}


def _counts(congress) -> dict:
    """The head count every JSON answer carries, so the counter follows each change."""
    present, expected = attendance_service.head_count(congress, door_session(congress)[0])
    return {"present": present, "expected": expected,
            "base": attendance_service.convened(congress, expected)}


def _outcome_json(congress, outcome: ScanOutcome, number: int | None = None):
    """The JSON answer to a scan or a typed number, with the result card ready to show."""
    body = {
        "status": str(outcome.status),
        "already": outcome.status == ScanStatus.ALREADY,
        "html": render_template("checkin/_result.html", outcome=outcome, number=number),
        **_counts(congress),
    }
    if outcome.delegate is not None and outcome.status != ScanStatus.INVALID:
        delegate = outcome.delegate
        body["delegate"] = {
            "number": delegate.number,
            "full_name": delegate.full_name,
            "unit": delegate.unit,
            "discussion_group": delegate.discussion_group,
            "kind": str(delegate.kind),
        }
    if outcome.checkin is not None:
        body["checkin_id"] = outcome.checkin.id
        body["checked_in_at"] = outcome.checkin.at.isoformat()
        body["checked_in_time"] = checkin_time(outcome.checkin.at)
    return jsonify(body), 404 if outcome.status == ScanStatus.INVALID else 200


def _malformed(message=UNREADABLE):
    """400 for a request no phone of ours would send; nothing is written."""
    return jsonify({"status": "malformed", "message": str(message)}), 400


def _json_object() -> dict | None:
    """The JSON object the page's script posts; None for any other body (not JSON, not an
    object, not UTF-8, nested past what the parser can read)."""
    payload = request.get_json(silent=True)
    return payload if isinstance(payload, dict) else None


@bp.get("/")
@staff_required
def scan():
    """The door phone: camera viewfinder, result, and the number form."""
    congress = congress_or_404()
    return _scan_page(congress, after_post=False)[0]


@bp.post("/session")
@staff_required
def choose_session():
    """Remember on this phone which session the door records for ("": by the clock)."""
    congress = congress_or_404()
    session_id = _session_id(request.form.get("session", ""))
    choices = dict(session.get(DOOR_CHOICES, {}))
    if session_id is None:
        choices.pop(str(congress.id), None)
    elif attendance_sessions.session_of_congress(congress, session_id) is None:
        raise InputRefused(NO_SUCH_SESSION, 404, field="session")
    else:
        choices[str(congress.id)] = session_id
    session[DOOR_CHOICES] = choices
    return redirect(url_for(".scan"))


@bp.post("/scan")
@staff_required
def scan_token():
    """Check in the holder of the card whose token the camera read (JSON in, JSON out)."""
    congress = congress_or_404()
    payload = _json_object()
    if payload is None:
        return _malformed()
    token = attendance_service.parse_token(payload.get("token"))
    if token is None:
        return _malformed(_l("This is not a delegate card code."))
    outcome = attendance_service.check_in_by_token(congress, token, acting_user(),
                                                   door_session(congress)[0])
    return _outcome_json(congress, outcome)


def _number_outcome(congress, number: int, confirmed: bool) -> ScanOutcome:
    """Check in a confirmed number; an unconfirmed one is only looked up (who it is)."""
    door = door_session(congress)[0]
    if confirmed:
        return attendance_service.check_in_by_number(congress, number, acting_user(), door)
    return attendance_service.look_up_number(congress, number, door)


def _scan_page(congress, status: int = 200, **context):
    """The door page after a plain form post, with its result and a fresh count."""
    door, chosen_by_staff = door_session(congress)
    present, expected = attendance_service.head_count(congress, door)
    context.setdefault("outcome", None)
    context.setdefault("after_post", True)
    return render_template(
        "checkin/scan.html", congress=congress, present=present,
        expected=attendance_service.convened(congress, expected),
        token_length=attendance_service.TOKEN_LENGTH, door_session=door,
        door_chosen=chosen_by_staff, sessions=attendance_sessions.sessions_of(congress),
        **context,
    ), status


@bp.post("/number")
@staff_required
def check_in_number():
    """Check in by the number printed on the card: JSON from the page's script, or a plain
    form post when the phone runs no JavaScript. The first post only shows who the number
    is ("Check in this delegate?"); the post carrying confirm writes the check-in."""
    congress = congress_or_404()
    if request.is_json:
        payload = _json_object()
        if payload is None:
            return _malformed()
        number = attendance_service.parse_number(payload.get("number"))
        if number is None:
            return _malformed(_l("Enter the number printed on the card."))
        # Only a JSON true confirms; anything else only asks who the number is.
        return _outcome_json(congress, _number_outcome(
            congress, number, payload.get("confirm") is True), number)

    number = attendance_service.parse_number(request.form.get("number", ""))
    outcome, error, status = None, None, 400
    if number is None:
        error = _l("Enter the number printed on the card.")
    else:
        outcome = _number_outcome(congress, number, request.form.get("confirm") == "1")
        status = 404 if outcome.status == ScanStatus.INVALID else 200
    # After a check-in the field is empty for the next delegate; a refused number stays.
    typed = "" if status == 200 else request.form.get("number", "")[:20]
    return _scan_page(congress, status, outcome=outcome, number=number, number_error=error,
                      typed=typed)


@bp.post("/<int:checkin_id>/undo")
@staff_required
def undo(checkin_id: int):
    """Undo a check-in made by mistake, on the day it was made (audited); the delegate
    counts as absent again. JSON for the page's script, the door page for a form post."""
    congress = congress_or_404()
    try:
        record = own_or_404(CheckIn, checkin_id, missing=NO_SUCH_CHECKIN)
        delegate = attendance_service.undo_check_in(
            congress, record.id, acting_user(), current_app.config["CONGRESS_TIMEZONE"],
            door_session(congress)[0])
    except InputRefused as refused:
        if request.is_json:
            return jsonify({"status": "refused", "message": str(refused.message)}), \
                refused.status
        return _scan_page(congress, refused.status, undo_error=refused.message)
    if request.is_json:
        html = render_template("checkin/_undone.html", delegate=delegate)
        return jsonify({"status": "undone", "html": html, **_counts(congress)})
    return _scan_page(congress, undone=delegate)


def _attendance_page(congress, chosen: SessionChoice, status: int = 200, **context):
    """The attendance page of one session, with any refusal of the organisers' forms."""
    shown = attendance_service.attendance(congress, chosen)
    version = attendance_service.attendance_version(congress, chosen)
    json_url = url_for(".attendance_json", session=shown.session.id) \
        if shown.session is not None and chosen is not CLOCK else url_for(".attendance_json")
    return render_template("checkin/attendance.html", congress=congress, attendance=shown,
                           sessions=attendance_sessions.sessions_of(congress),
                           by_clock=chosen is CLOCK, json_url=json_url,
                           etag=f'"{version}"', poll_interval=POLL_INTERVAL_MS,
                           **context), status


@bp.get("/attendance")
@staff_required
def attendance():
    """The head count of a session, per unit and group, who is missing (with the reasons
    entered) and who left early; it updates itself."""
    congress = congress_or_404()
    return _attendance_page(congress, session_arg(congress, request.args.get("session")))


def _organiser_form(congress, action) -> tuple:
    """Run an organiser's form of the attendance page: back to the page on success, the
    page with the refusal (and its status) otherwise; nothing changed then."""
    chosen = session_arg(congress, request.form.get("session"))
    number = attendance_service.parse_number(request.form.get("number", ""))
    try:
        if number is None:
            raise InputRefused(_l("Enter the number printed on the card."), field="number")
        message = action(chosen, number)
    except InputRefused as refused:
        return _attendance_page(congress, chosen, refused.status, form_error=refused.message,
                                form_name=request.endpoint)
    flash(message, "success")
    target = url_for(".attendance", session=chosen.id) if chosen not in (CLOCK, None) \
        else url_for(".attendance")
    return redirect(target), 303


@bp.post("/checkout")
@organiser_required
def check_out():
    """Check out a delegate who leaves the session early (audited)."""
    congress = congress_or_404()

    def action(chosen, number):
        record = attendance_service.check_out(congress, number, acting_user(), chosen)
        return _l("%(name)s has been checked out.", name=record.delegate.full_name)

    return _organiser_form(congress, action)


@bp.post("/absence")
@organiser_required
def absence():
    """Enter why an official delegate is absent from the session (audited)."""
    congress = congress_or_404()

    def action(chosen, number):
        absence_service.mark_absence(congress, number, request.form.get("reason", ""),
                                     request.form.get("note", ""), acting_user(), chosen)
        return _l("The reason for absence of delegate No. %(number)d has been saved.",
                  number=number)

    return _organiser_form(congress, action)


@bp.get("/attendance.json")
@staff_required
def attendance_json():
    """The attendance of a session as data; 304 while nothing has changed since the
    caller's ETag."""
    congress = congress_or_404()
    chosen = session_arg(congress, request.args.get("session"))
    version = attendance_service.attendance_version(congress, chosen)
    if request.if_none_match.contains(version):
        response = current_app.response_class(status=304)
    else:
        response = jsonify(attendance_service.attendance(congress, chosen).as_json())
    response.set_etag(version)
    response.headers["Cache-Control"] = "no-cache, private"
    return response
