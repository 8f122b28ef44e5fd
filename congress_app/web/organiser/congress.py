"""The organisers' dashboard and the congress's own details."""

from __future__ import annotations

from functools import partial

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ...models import utcnow
from ...qr import is_local_base_url
from ...services import agenda as agenda_service
from ...services import attendance as attendance_service
from ...services import attendance_sessions
from ...services import congress as congress_service
from ...services import stage as stage_service
from ..access import organiser_required
from ..checkin import POLL_INTERVAL_MS as attendance_poll_ms
from ..editing import acting_user, submit
from ..organiser_forms import CongressForm
from ..secure_context import hall_https
from ..tenancy import get_congress
from . import bp


def congress_values(form: CongressForm) -> dict:
    """The congress form's fields, as the services take them."""
    return {name: form[name].data for name in (
        "title", "organisation", "parent_organisation", "ordinal", "term", "venue",
        "starts_on", "ends_on", "motto", "delegates_expected", "members_represented",
        "follow_browser_language", "delegates_see_group_comments")}


# Dashboard and congress details ------------------------------------------------------


def attendance_poll_interval() -> int:
    """How often the dashboard asks attendance.json, in milliseconds (tests shorten it)."""
    return int(current_app.config.get("ATTENDANCE_POLL_INTERVAL_MS", attendance_poll_ms))


def present_now(congress) -> dict:
    """The head count of the clock's session, as the door and the votes count it (official
    delegates checked in and not checked out, against those convened); the dashboard's
    card polls attendance.json for it afterwards, from this version on."""
    shown = attendance_sessions.resolve(congress, attendance_sessions.CLOCK)
    present, listed = attendance_service.head_count(congress, shown)
    return {"session": shown, "present": present,
            "base": attendance_service.convened(congress, listed),
            "etag": f'"{attendance_service.attendance_version(congress, shown)}"'}


@bp.get("/")
@organiser_required
def dashboard():
    """Links to everything, how much is prepared, and warnings about QR addresses and HTTPS."""
    congress = get_congress()
    base_url = current_app.config["PUBLIC_BASE_URL"]
    return render_template(
        "organiser/dashboard.html",
        congress=congress,
        counts=agenda_service.counts(congress) if congress else None,
        present_now=present_now(congress) if congress else None,
        attendance_poll=attendance_poll_interval(),
        taking_comments=stage_service.taking_comments(congress, utcnow(), public_only=False)
        if congress else [],
        base_url=base_url,
        base_url_is_local=is_local_base_url(base_url),
        hall_https=hall_https(base_url),
    )


@bp.route("/congress", methods=["GET", "POST"])
@organiser_required
def congress_details():
    """Edit what the home page, the programme and every printout are headed with.

    On a fresh instance (no demo loaded) the same form sets the congress up.
    """
    congress = get_congress()
    form = CongressForm(obj=congress)
    save = (
        congress_service.create_congress
        if congress is None
        else partial(congress_service.update_congress, congress)
    )
    sent = submit(form, lambda: save(**congress_values(form), user=acting_user()))
    if sent.done:
        flash(_("The congress details have been saved."), "success")
        return redirect(url_for(".dashboard"))
    return render_template("organiser/congress.html", congress=congress,
                           form=form), sent.status
