"""One vote's result for the minutes (biên bản), in the official style: the Party heading,
"KẾT QUẢ BIỂU QUYẾT", the question, the base, the counts with percentages of the base, the
rule, passed or not, the time it closed, and the chair's and the secretary's signature lines.

The result block (vote_result() and templates/pdf/_vote_result.html) is also what the
congress's minutes print for each closed vote (pdf/congress_minutes.py), so one vote reads
the same in both. A closed vote's result never changes (the rule and the base are stored
on it), so the PDF is the same whenever it is printed; it is small and rendered on request.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

from ..i18n import format_moment, format_share
from ..labels import METHOD_LABELS, RULE_LABELS
from ..models import Vote
from ..services import votes as vote_service
from .heading import heading_context
from .render import nfc, render_pdf

TEMPLATE = "pdf/vote_minutes.html"


def method_text(vote: Vote) -> str:
    """"Trên điện thoại (bỏ phiếu kín)": the method, and whether it was secret."""
    return str(METHOD_LABELS[vote.method]) + (f" ({_('secret')})" if vote.secret else "")


def vote_result(vote: Vote) -> dict:
    """What _vote_result.html prints for a closed vote (result() must not be None)."""
    result = vote_service.result(vote)
    rows = [(_("For"), result.for_count), (_("Against"), result.against_count),
            (_("Abstain"), result.abstain_count)]
    return {
        "question": nfc(vote.question),
        "item": nfc(vote.item.title),
        "method": method_text(vote),
        "rule": str(RULE_LABELS[result.rule]),
        "result": result,
        "rows": [(label, n, format_share(result.share(n))) for label, n in rows],
        "closed_at": format_moment(vote.closed_at),
        "mismatch_reason": vote.mismatch_reason,
    }


def result_labels() -> dict:
    """The labels of _vote_result.html and _signatures.html, in the current language."""
    return {
        "question": _("Question:"),
        "item": _("Agenda item:"),
        "method": _("Method:"),
        "present": _("Delegates present:"),
        "convened": _("Delegates convened:"),
        "base": _("Base of the percentages:"),
        "choice": _("Choice"),
        "votes": _("Number of votes"),
        "percent": _("Share of the base"),
        "cast": _("Votes cast:"),
        "rule": _("Passing rule:"),
        "outcome": _("Result:"),
        "passed": _("PASSED"),
        "not_passed": _("NOT PASSED"),
        "closed_at": _("Closed at:"),
        "reason": _("Reason the sum differs from those present:"),
        "chair": _("On behalf of the presidium"),
        "secretary": _("On behalf of the secretariat"),
        "sign_here": _("(signature and full name)"),
    }


def vote_minutes_context(vote: Vote) -> dict:
    congress = vote.item.session.congress
    day = vote.closed_at.astimezone(ZoneInfo(current_app.config["CONGRESS_TIMEZONE"])).date()
    return {
        "locale": str(get_locale()),
        "congress": {**heading_context(congress, day), "title": nfc(congress.title)},
        "v": vote_result(vote),
        "labels": {"title": _("RESULT OF THE VOTE"), **result_labels()},
    }


def render_vote_minutes_pdf(vote: Vote, *, language: str | None = None) -> bytes:
    with force_locale(language or str(get_locale())):
        html = current_app.jinja_env.get_template(TEMPLATE).render(**vote_minutes_context(vote))
    return render_pdf(html)
