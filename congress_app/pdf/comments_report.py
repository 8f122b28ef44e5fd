"""The compiled report of góp ý in the official style: the party heading and place-date line,
"BÁO CÁO tổng hợp ý kiến góp ý vào dự thảo …", a table of the comments by document and
stance, then each document by section and paragraph with its opinions, their counts, the
proposed wordings as word diffs, and the secretariat's answers.

It changes with every triage, so it is rendered on request and never cached. It names no
author: the adopted report is read by delegates; the organisers' CSV and XLSX have names.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from ..labels import ANCHOR_STATE_LABELS, CLASSIFICATION_LABELS, STANCE_LABELS
from ..models import Congress, Stance, utcnow
from ..services.comment_groups import opinion_label
from ..services.comment_report import compile_report, drafts_named, stance_totals
from .heading import heading_context
from .render import nfc, page_counter_content, render_pdf

TEMPLATE = "pdf/comments_report.html"


def report_title() -> str:
    """The adopted document's title, in the current language."""
    return _("Report compiling the comments on the draft documents")


def comments_report_context(congress: Congress) -> dict:
    """What the template prints, as plain data."""
    reports = compile_report(congress)
    today = utcnow().astimezone(ZoneInfo(current_app.config["CONGRESS_TIMEZONE"])).date()
    return {
        "locale": str(get_locale()),
        "congress": {**heading_context(congress, today), "title": nfc(congress.title)},
        "reports": reports,
        "totals": stance_totals(reports),
        "stances": list(Stance),
        "stance_labels": {s: str(label) for s, label in STANCE_LABELS.items()},
        "classification_labels": {c: str(label) for c, label in CLASSIFICATION_LABELS.items()},
        "flag_labels": {s: str(label) for s, label in ANCHOR_STATE_LABELS.items()},
        "subtitle": _("compiling the comments on the draft %(titles)s",
                      titles=nfc(drafts_named(reports))) if reports else "",
        "labels": {
            "report": _("REPORT"),
            "summary": _("The comments received"),
            "document": _("Draft document"),
            "total": _("Total"),
            "all": _("All the drafts"),
            "whole": _("On the document as a whole"),
            "paragraph": _("§ %(n)s"),
            "count": _("Comments: %(n)d"),
            "wording": _("Proposed wording (deleted words struck through in [brackets], "
                         "added words underlined in {braces}):"),
            "classification": _("Answer:"),
            "unclassified": _("Not answered yet"),
            "response": _("Response:"),
            "none": _("No comments have been received."),
            "no_group": _("(no discussion group)"),
            "counting": _("Under each draft, its comments by discussion group. A delegate's own "
                          "comment counts 1; a discussion group's opinion counts as the number "
                          "of its delegates who share it, shown as “%(example)s”.",
                          example=opinion_label("Tổ 3", 12, 15)),
            "secretariat": _("On behalf of the secretariat"),
            "sign_here": _("(signature and full name)"),
        },
        "page_content": Markup(page_counter_content(_("Page %(page)s of %(pages)s"))),
    }


def render_comments_report_pdf(congress: Congress, *, language: str | None = None) -> bytes:
    """The compiled report as PDF bytes, in `language` (None: the current one)."""
    with force_locale(language or str(get_locale())):
        context = comments_report_context(congress)
        html = current_app.jinja_env.get_template(TEMPLATE).render(**context)
    return render_pdf(html)
