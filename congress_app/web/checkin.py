"""Check-in at the door (scanning delegate cards) and the attendance count.

Staff phones post the token read from a card; they never open the card's link, which
would sign the phone in as the delegate. JSON answers: 200 checked in now or already
(with "already": true), 404 not a valid card or number, 400 malformed. A typed number is
first answered "confirm" (who it is); only the post that carries confirm checks in. A
check-in can be undone on its day (POST /checkin/<id>/undo).
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request
from flask_babel import format_datetime, to_user_timezone
from flask_babel import lazy_gettext as _l

from ..i18n import format_moment
from ..labels import DELEGATE_KIND_LABELS as KIND_LABELS
from ..models import CheckIn
from ..models.base import utcnow
from ..services import attendance as attendance_service
from ..services.attendance import ScanOutcome, ScanStatus
from ..services.errors import InputRefused
from .access import own_or_404, staff_required
from .editing import acting_user
from .secure_context import camera_needs_https
from .tenancy import congress_or_404

bp = Blueprint("checkin", __name__, url_prefix="/checkin")

POLL_INTERVAL_MS = 3000
UNREADABLE = _l("This request could not be read. Reload the page and try again.")
NO_SUCH_CHECKIN = _l("This check-in does not exist (it may have been undone already).")


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
    present, expected = attendance_service.head_count(congress)
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
    present, expected = attendance_service.head_count(congress)
    return render_template("checkin/scan.html", congress=congress, present=present,
                           expected=attendance_service.convened(congress, expected),
                           outcome=None,
                           token_length=attendance_service.TOKEN_LENGTH)


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
    outcome = attendance_service.check_in_by_token(congress, token, acting_user())
    return _outcome_json(congress, outcome)


def _number_outcome(congress, number: int, confirmed: bool) -> ScanOutcome:
    """Check in a confirmed number; an unconfirmed one is only looked up (who it is)."""
    if confirmed:
        return attendance_service.check_in_by_number(congress, number, acting_user())
    return attendance_service.look_up_number(congress, number)


def _scan_page(congress, status: int = 200, **context):
    """The door page after a plain form post, with its result and a fresh count."""
    present, expected = attendance_service.head_count(congress)
    context.setdefault("outcome", None)
    return render_template(
        "checkin/scan.html", congress=congress, present=present,
        expected=attendance_service.convened(congress, expected), after_post=True,
        token_length=attendance_service.TOKEN_LENGTH, **context,
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
            congress, record.id, acting_user(), current_app.config["CONGRESS_TIMEZONE"])
    except InputRefused as refused:
        if request.is_json:
            return jsonify({"status": "refused", "message": str(refused.message)}), \
                refused.status
        return _scan_page(congress, refused.status, undo_error=refused.message)
    if request.is_json:
        html = render_template("checkin/_undone.html", delegate=delegate)
        return jsonify({"status": "undone", "html": html, **_counts(congress)})
    return _scan_page(congress, undone=delegate)


@bp.get("/attendance")
@staff_required
def attendance():
    """The head count, per unit and group, and who is still missing; it updates itself."""
    congress = congress_or_404()
    version = attendance_service.attendance_version(congress)
    return render_template("checkin/attendance.html", congress=congress,
                           attendance=attendance_service.attendance(congress),
                           etag=f'"{version}"', poll_interval=POLL_INTERVAL_MS)


@bp.get("/attendance.json")
@staff_required
def attendance_json():
    """The attendance as data; 304 while nothing has changed since the caller's ETag."""
    congress = congress_or_404()
    version = attendance_service.attendance_version(congress)
    if request.if_none_match.contains(version):
        response = current_app.response_class(status=304)
    else:
        response = jsonify(attendance_service.attendance(congress).as_json())
    response.set_etag(version)
    response.headers["Cache-Control"] = "no-cache, private"
    return response
