"""The attendance sheet for the credentials committee: every active delegate, official ones
first, with the check-in time of those present in one session (the clock's by default),
who left early, the reasons entered for absentees, and an empty column for signatures.

It changes with every check-in and lists personal data, so like the cards it is rendered on
request and never cached.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import (
    force_locale,
    format_date,
    format_datetime,
    format_percent,
    get_locale,
    pgettext,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..i18n import format_moment
from ..labels import absence_reason
from ..models import Absence, CheckIn, Congress, CongressSession, Delegate, DelegateKind, utcnow
from ..services import attendance as attendance_service
from ..services.attendance_sessions import CLOCK, SessionChoice, resolve
from .cards import number_text
from .heading import heading_context
from .render import nfc, page_counter_content, render_pdf

TEMPLATE = "pdf/attendance_sheet.html"

SECTION_LABELS = {
    DelegateKind.OFFICIAL: _l("Official delegates"),
    DelegateKind.ALTERNATE: _l("Alternate delegates"),
    DelegateKind.GUEST: _l("Guests"),
}


def attendance_delegates(congress: Congress) -> list[Delegate]:
    """Active delegates by number, with their check-ins loaded in the same round trip."""
    return list(db.session.scalars(
        select(Delegate)
        .where(Delegate.congress_id == congress.id, Delegate.active.is_(True))
        .order_by(Delegate.number)
        .options(selectinload(Delegate.checkins))
    ))


def _session_checkin(delegate: Delegate, session: CongressSession | None) -> CheckIn | None:
    wanted = session.id if session is not None else None
    return next((c for c in delegate.checkins if c.session_id == wanted), None)


def _arrival(checkin: CheckIn | None, several_days: bool) -> tuple[str, str]:
    """(time, day) of the delegate's check-in in the congress's time zone; ("", "") if not yet.
    The day is only printed when the congress sits for several days."""
    if checkin is None:
        return "", ""
    at = checkin.at
    return format_datetime(at, "HH:mm"), format_datetime(at, "d/M") if several_days else ""


def _left(checkin: CheckIn | None) -> str:
    """"left at 10:15" for a delegate checked out of the session, else ""."""
    if checkin is None or checkin.checked_out_at is None:
        return ""
    return _("left at %(time)s", time=format_datetime(checkin.checked_out_at, "HH:mm"))


def _reasons(congress: Congress, session: CongressSession | None) -> dict[int, str]:
    """Delegate id → the printed reason for absence from the session."""
    rows = db.session.scalars(select(Absence).where(
        Absence.congress_id == congress.id,
        Absence.session_id == session.id if session is not None
        else Absence.session_id.is_(None)))
    return {a.delegate_id: absence_reason("excused" if a.excused else "unexcused", nfc(a.note))
            for a in rows}


def _sitting_day(congress: Congress, at: datetime) -> date:
    """The day the sheet is signed for: the day of `at` in the congress's time zone, kept
    within the congress's days (a sheet printed ahead is for the first, one printed
    afterwards for the last)."""
    day = at.astimezone(ZoneInfo(current_app.config["CONGRESS_TIMEZONE"])).date()
    return min(max(day, congress.starts_on), congress.ends_on)


def attendance_context(congress: Congress, delegates: list[Delegate],
                       session: SessionChoice = CLOCK) -> dict:
    """The sections, rows and totals the sheet prints, for one session (CLOCK: the
    clock's; a congress without sessions: its one attendance)."""
    chosen = resolve(congress, session)
    reasons = _reasons(congress, chosen)
    several_days = congress.starts_on != congress.ends_on
    active = sorted((d for d in delegates if d.active), key=lambda d: d.number)
    sections = []
    for kind in DelegateKind:
        rows = [
            {
                "number": number_text(d.number),
                "name": nfc(d.full_name),
                "unit": nfc(d.unit),
                "group": nfc(d.discussion_group),
                "arrived": arrived,
                "arrived_day": day,
                "left": _left(checkin),
                "reason": reasons.get(d.id, ""),
            }
            for d in active if d.kind == kind
            for checkin in [_session_checkin(d, chosen)]
            for arrived, day in [_arrival(checkin, several_days)]
        ]
        if rows:
            # Present at the end of the count: arrived and not checked out.
            present = sum(1 for r in rows if r["arrived"] and not r["left"])
            sections.append({"kind": kind.value, "title": str(SECTION_LABELS[kind]),
                             "rows": rows, "listed": len(rows), "present": present,
                             "absent": len(rows) - present})
    officials = next((s for s in sections if s["kind"] == DelegateKind.OFFICIAL.value), None)
    official_present = officials["present"] if officials else 0
    listed = officials["listed"] if officials else 0
    expected = attendance_service.convened(congress, listed)
    return {
        "locale": str(get_locale()),
        "congress": {
            # A session's sheet is signed on the session's day.
            **heading_context(congress, chosen.date if chosen is not None
                              else _sitting_day(congress, utcnow())),
            "title": nfc(congress.title),
        },
        "sections": sections,
        "session_line": "" if chosen is None else _(
            "Session: %(name)s, %(day)s", name=nfc(chosen.name),
            day=format_date(chosen.date, "dd/MM/yyyy")),
        "official_present": official_present,
        "expected": expected,
        "quorum_line": _(
            "Official delegates present: %(present)d of %(expected)d (%(share)s)",
            present=official_present, expected=expected,
            share=format_percent(official_present / expected if expected else 0, "#,##0.0%"),
        ),
        # The sheet counts against the delegates convened; a roster that lists another
        # number is said, so the committee sees the two before it signs.
        "roster_note": _(
            "The roster lists %(listed)d official delegates; the congress convened "
            "%(convened)d.", listed=listed, convened=expected,
        ) if congress.delegates_expected and listed != expected else "",
        "printed_at": _("Printed at %(moment)s. Check-ins after this time are not shown.",
                        moment=format_moment(utcnow())),
        "labels": {
            "title": _("Attendance sheet"),
            "number": pgettext("delegate number", "No."),
            "name": _("Full name"),
            "unit": _("Unit"),
            "group": _("Discussion group"),
            "present": _("Present"),
            "signature": _("Signature"),
            "totals": _("Totals"),
            "listed": _("On the list"),
            "absent": _("Absent"),
            "committee": _("On behalf of the credentials committee"),
            "sign_here": _("(signature and full name)"),
            "empty": _("There are no active delegates yet."),
        },
        "page_content": Markup(page_counter_content(_("Page %(page)s of %(pages)s"))),
    }


def render_attendance_sheet_pdf(
    congress: Congress, delegates: list[Delegate], *, language: str | None = None,
    session: SessionChoice = CLOCK,
) -> bytes:
    """The attendance sheet of these delegates (inactive ones are left out) for a session,
    as PDF bytes, in `language` (None: the current one)."""
    with force_locale(language or str(get_locale())):
        context = attendance_context(congress, delegates, session)
        html = current_app.jinja_env.get_template(TEMPLATE).render(**context)
    return render_pdf(html)
