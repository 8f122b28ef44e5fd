"""The congress's minutes (biên bản Đại hội), in the official style: the congress, each of
its sessions with its attendance (official delegates present of those convened), and every
vote in agenda order: a closed vote's result block, the same as its own minutes print
(pdf/vote_minutes.py), an annulled vote with its reason, a draft or open one said to be not
closed yet; then the presidium's and the secretariat's signature lines.

Attendance changes with each check-in and votes close one after another, so like the
credentials report it is rendered on request and never cached.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from ..i18n import format_moment
from ..labels import VOTE_STATE_LABELS
from ..models import Congress, CongressSession, Vote, VoteState, utcnow
from ..services import attendance as attendance_service
from ..services import votes as vote_service
from ..services.attendance_sessions import sessions_of
from .attendance import _sitting_day
from .credentials import percent
from .heading import heading_context
from .render import nfc, page_counter_content, render_pdf
from .vote_minutes import method_text, result_labels, vote_result

TEMPLATE = "pdf/congress_minutes.html"


def vote_entry(vote: Vote) -> dict:
    """One vote as the minutes list it: "closed" with its result block, "annulled" with
    the reason, or "pending" (draft or open: not closed yet, no counts shown)."""
    if vote_service.result(vote) is not None:
        return {"kind": "closed", **vote_result(vote)}
    entry = {"question": nfc(vote.question), "item": nfc(vote.item.title),
             "method": method_text(vote), "state": str(VOTE_STATE_LABELS[vote.state])}
    if vote.state == VoteState.ANNULLED:
        return {**entry, "kind": "annulled", "reason": nfc(vote.annul_reason),
                "annulled_at": format_moment(vote.annulled_at) if vote.annulled_at else ""}
    return {**entry, "kind": "pending"}


def attendance_line(congress: Congress, session: CongressSession | None) -> dict:
    """Present / convened official delegates of the session, as the credentials report
    words it."""
    counted = attendance_service.attendance(congress, session)
    share = counted.present / counted.base if counted.base else None
    return {"present": counted.present, "convened": counted.base, "line": _(
        "Official delegates present: %(present)d of %(convened)d convened (%(share)s)",
        present=counted.present, convened=counted.base, share=percent(share))}


def session_title(session: CongressSession) -> str:
    return f"{nfc(session.name)} · {session.date.strftime('%d/%m/%Y')} " \
           f"{session.starts_at.strftime('%H:%M')}"


def sections(congress: Congress) -> list[dict]:
    """The sessions in the order they sit, each with its attendance and votes; a congress
    without sessions has one congress-wide attendance and no votes (votes hang on items)."""
    by_session: dict[int, list[Vote]] = {}
    for vote in vote_service.votes_of(congress):
        by_session.setdefault(vote.item.session_id, []).append(vote)
    sessions = sessions_of(congress)
    if not sessions:
        return [{"title": "", "attendance": attendance_line(congress, None), "votes": []}]
    return [{"title": session_title(s), "attendance": attendance_line(congress, s),
             "votes": [vote_entry(v) for v in by_session.get(s.id, [])]} for s in sessions]


def congress_minutes_context(congress: Congress) -> dict:
    """Everything congress_minutes.html prints."""
    return {
        "locale": str(get_locale()),
        "congress": {**heading_context(congress, _sitting_day(congress, utcnow())),
                     "title": nfc(congress.title)},
        "sections": sections(congress),
        "printed_at": _("Printed at %(moment)s; attendance from the check-ins at the door.",
                        moment=format_moment(utcnow())),
        "labels": {
            **result_labels(),
            "title": _("Minutes of the congress"),
            "no_votes": _("No vote in this session."),
            "attendance": _("Attendance"),
            "annulled": _("ANNULLED"),
            "annul_reason": _("Reason for annulling:"),
            "annulled_at": _("Annulled at:"),
            "pending": _("Not closed yet"),
            "state": _("State:"),
        },
        "page_content": Markup(page_counter_content(_("Page %(page)s of %(pages)s"))),
    }


def render_congress_minutes_pdf(congress: Congress, *, language: str | None = None) -> bytes:
    """The minutes as PDF bytes, in `language` (None: the current one)."""
    with force_locale(language or str(get_locale())):
        html = current_app.jinja_env.get_template(TEMPLATE).render(
            **congress_minutes_context(congress))
    return render_pdf(html)
