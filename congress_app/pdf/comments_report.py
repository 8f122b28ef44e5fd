"""The compiled report of góp ý in the official style: the party heading and place-date line,
"BÁO CÁO tổng hợp ý kiến góp ý vào dự thảo …", a table of the comments by document and
stance, then each document by section and paragraph with its opinions, their counts, the
proposed wordings as word diffs, and the secretariat's answers.

It changes with every triage, so it is rendered on request and never cached. It names no
author: the adopted report is read by delegates; the organisers' CSV and XLSX have names.
A large report is rendered in parts at once, one core each (pdf/parallel.py): 2,000
comments in about a second and a half of each of two cores, not eleven of one.
"""

from __future__ import annotations

from itertools import pairwise
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from .. import forking
from ..labels import ANCHOR_STATE_LABELS, CLASSIFICATION_LABELS, STANCE_LABELS
from ..models import Congress, Stance, utcnow
from ..services.comment_groups import opinion_label
from ..services.comment_report import compile_report, drafts_named, stance_totals
from . import parallel
from .comments_rows import Row, cut_points, report_rows
from .heading import heading_context
from .render import nfc, page_counter_content, render_pdf

TEMPLATE = "pdf/comments_report.html"
NUMBERS_TEMPLATE = "pdf/page_numbers.html"
PAGE_MARGIN = "18mm 15mm 18mm 25mm"
# Below this weight (comments_rows.Row.weight: about 1,000 short opinions, a second and a
# half of one core) one process renders the report: the parts would save less than the
# child, the page numbers and the joining cost (about 0.4 s; measured with 600 comments:
# 1.2 s in one process, 1.5 s in two on a busy 2-core machine).
PARTS_FROM_WEIGHT = 150_000
# The first part is rendered by the request's own process, which then numbers and joins
# the pages (about 0.4 s of 2,000 comments' 2.5 s): it takes a smaller share.
FIRST_PART_SHARE = 0.8
# How many processes may render one report (None: one per core, at most MAX_PARTS).
PROCESSES_SETTING = "COMMENTS_REPORT_PROCESSES"


def report_title() -> str:
    """The adopted document's title, in the current language."""
    return _("Report compiling the comments on the draft documents")


def processes() -> int:
    """How many processes render a large report: the setting, else one per core."""
    setting = current_app.config.get(PROCESSES_SETTING)
    if setting is not None:
        return max(1, int(setting))
    return min(parallel.cores(), parallel.MAX_PARTS)


def _parts(rows: list[Row]) -> list[list[Row]]:
    """The rows cut into as many parts as processes will render them (one if small)."""
    at_once = processes()
    if at_once < 2 or sum(row.weight for row in rows) < PARTS_FROM_WEIGHT:
        return [rows]
    cuts = [0, *cut_points(rows, at_once, first=FIRST_PART_SHARE), len(rows)]
    return [rows[start:end] for start, end in pairwise(cuts)]


def comments_report_context(congress: Congress) -> dict:
    """What the template prints, as plain data; `parts` are the body's rows, cut where
    the parts rendered at once begin (one part for a small report)."""
    reports = compile_report(congress)
    parts = _parts(report_rows(reports))
    today = utcnow().astimezone(ZoneInfo(current_app.config["CONGRESS_TIMEZONE"])).date()
    return {
        "locale": str(get_locale()),
        "congress": {**heading_context(congress, today), "title": nfc(congress.title)},
        "reports": reports,
        "parts": parts,
        "part_break": parallel.PART_BREAK,
        "page_margin": PAGE_MARGIN,
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
            "wording_short": _("Proposed wording:"),
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
    env = current_app.jinja_env
    if processes() > 1:
        forking.start()  # its imports go on while the report is compiled
    with force_locale(language or str(get_locale())):
        context = comments_report_context(congress)
        if len(context["parts"]) == 1:
            return render_pdf(env.get_template(TEMPLATE).render(**context))
        # The parts have no page numbers of their own: they are stamped once all are known.
        html = env.get_template(TEMPLATE).render(**{**context, "page_content": None})
        numbers = env.get_template(NUMBERS_TEMPLATE)

        def numbered_pages(pages: int) -> str:
            return numbers.render(locale=context["locale"], page_margin=PAGE_MARGIN,
                                  page_content=context["page_content"], pages=pages)

        return parallel.render_parts(parallel.split_html(html), numbered_pages)
