"""The attendance sheet for the credentials committee: every active delegate, official ones
first, with the check-in time of those present and an empty column for signatures.

It changes with every check-in and lists personal data, so like the cards it is rendered on
request and never cached.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale, format_datetime, format_percent, get_locale, pgettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..i18n import format_moment
from ..models import Congress, Delegate, DelegateKind, utcnow
from ..services import attendance as attendance_service
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
        .options(selectinload(Delegate.checkin))
    ))


def _arrival(delegate: Delegate, several_days: bool) -> tuple[str, str]:
    """(time, day) of the delegate's check-in in the congress's time zone; ("", "") if not yet.
    The day is only printed when the congress sits for several days."""
    if delegate.checkin is None:
        return "", ""
    at = delegate.checkin.at
    return format_datetime(at, "HH:mm"), format_datetime(at, "d/M") if several_days else ""


def _sitting_day(congress: Congress, at: datetime) -> date:
    """The day the sheet is signed for: the day of `at` in the congress's time zone, kept
    within the congress's days (a sheet printed ahead is for the first, one printed
    afterwards for the last)."""
    day = at.astimezone(ZoneInfo(current_app.config["CONGRESS_TIMEZONE"])).date()
    return min(max(day, congress.starts_on), congress.ends_on)


def attendance_context(congress: Congress, delegates: list[Delegate]) -> dict:
    """The sections, rows and totals the sheet prints."""
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
            }
            for d in active if d.kind == kind
            for arrived, day in [_arrival(d, several_days)]
        ]
        if rows:
            present = sum(1 for r in rows if r["arrived"])
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
            **heading_context(congress, _sitting_day(congress, utcnow())),
            "title": nfc(congress.title),
        },
        "sections": sections,
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
    congress: Congress, delegates: list[Delegate], *, language: str | None = None
) -> bytes:
    """The attendance sheet of these delegates (inactive ones are left out) as PDF bytes,
    in `language` (None: the current one)."""
    with force_locale(language or str(get_locale())):
        context = attendance_context(congress, delegates)
        html = current_app.jinja_env.get_template(TEMPLATE).render(**context)
    return render_pdf(html)
