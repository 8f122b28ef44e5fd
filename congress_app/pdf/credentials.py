"""The credentials committee's report (Báo cáo thẩm tra tư cách đại biểu), in the official
style: delegates convened by kind, present and absent, and the composition tables of those
present, with percentages; the projector page shows the same figures (web/credentials.py).

It changes with every check-in and is counted from personal data, so like the attendance
sheet it is rendered on request and never cached.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale, get_locale, pgettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from ..i18n import format_moment, format_share
from ..labels import DELEGATE_KIND_LABELS, EDUCATION_LABELS, THEORY_LABELS, absence_reason
from ..models import Congress, EducationLevel, TheoryLevel, utcnow
from ..services.credentials import CredentialsReport, Row, Table
from .attendance import _sitting_day
from .cards import number_text
from .heading import heading_context
from .render import nfc, page_counter_content, render_pdf

TEMPLATE = "pdf/credentials.html"

TABLE_TITLES = {
    "sex": _l("Sex"),
    "ethnicity": _l("Ethnicity"),
    "age": _l("Age"),
    "education": _l("Education level"),
    "theory_level": _l("Political-theory level"),
    "seniority": _l("Party seniority"),
}
ROW_LABELS = {
    "sex": {"female": _l("Women"), "male": _l("Men")},
    "ethnicity": {"minority": _l("Ethnic minorities"), "kinh": _l("Kinh")},
    "age": {"under_35": _l("Under 35"), "35_50": _l("35 to 50"), "51_60": _l("51 to 60"),
            "over_60": _l("Over 60")},
    "education": {level.value: EDUCATION_LABELS[level] for level in EducationLevel},
    "theory_level": {level.value: THEORY_LABELS[level] for level in TheoryLevel},
    "seniority": {"under_10": _l("Under 10 years"), "10_19": _l("10 to 19 years"),
                  "20_29": _l("20 to 29 years"), "30_plus": _l("30 years or more")},
}
NO_DATA = _l("no data")


def percent(share: float | None) -> str:
    """"21,3 %" in the reader's language; "–" when there is no base to take it of."""
    return format_share(share)


def row_context(table: Table, row: Row) -> dict:
    return {"label": str(ROW_LABELS[table.key][row.key]), "count": row.count,
            "share": percent(row.share)}


def table_context(table: Table) -> dict:
    """A table as printed: its rows only when some present delegate has the detail, and
    the count without data whenever there is one."""
    return {
        "key": table.key,
        "title": str(TABLE_TITLES[table.key]),
        "rows": [row_context(table, r) for r in table.rows] if table.has_data else [],
        "unknown": table.unknown,
        "unknown_line": _("No data: %(num)d", num=table.unknown) if table.unknown else "",
        "unknown_share": percent(table.unknown / table.base) if table.base else "–",
    }


def headline(report: CredentialsReport, key: str, row: str) -> dict:
    """One figure of the projector and the report's summary: the count and share, or "no
    data" when some present delegate lacks the detail."""
    table = report.table(key)
    found = table.headline(row)
    if found is None:
        return {"label": str(ROW_LABELS[key][row]), "count": None, "share": "",
                "no_data": str(NO_DATA), "unknown": table.unknown,
                "missing": _("%(num)d of the delegates present have no data",
                             num=table.unknown)}
    return {"label": str(ROW_LABELS[key][row]), "count": found.count,
            "share": percent(found.share), "no_data": "", "unknown": 0}


def report_context(congress: Congress, report: CredentialsReport) -> dict:
    """The figures and labels both the PDF and the projector page print."""
    return {
        "kinds": [{"kind": k.kind.value, "title": str(DELEGATE_KIND_LABELS[k.kind]),
                   "convened": k.convened, "present": k.present, "absent": k.absent}
                  for k in report.kinds],
        "present": report.present,
        "convened": report.convened,
        "present_share": percent(report.present_share),
        "present_line": _(
            "Official delegates present: %(present)d of %(convened)d convened (%(share)s)",
            present=report.present, convened=report.convened,
            share=percent(report.present_share)),
        "roster_note": _(
            "The roster lists %(listed)d official delegates; the congress convened "
            "%(convened)d.", listed=report.official.listed, convened=report.convened,
        ) if report.roster_differs else "",
        "tables": [table_context(t) for t in report.tables],
        "women": headline(report, "sex", "female"),
        "minorities": headline(report, "ethnicity", "minority"),
        "ages": table_context(report.table("age")),
        "absent": [{"number": number_text(a.number), "name": nfc(a.full_name),
                    "unit": nfc(a.unit), "reason": absence_reason(a.reason, nfc(a.note))}
                   for a in report.absent],
    }


def credentials_context(congress: Congress, report: CredentialsReport) -> dict:
    """Everything the PDF template prints."""
    return {
        "locale": str(get_locale()),
        "congress": {
            **heading_context(congress, _sitting_day(congress, utcnow())),
            "title": nfc(congress.title),
        },
        **report_context(congress, report),
        "printed_at": _("Counted at %(moment)s, from the check-ins at the door.",
                        moment=format_moment(utcnow())),
        "labels": {
            "title": _("Report of the credentials committee"),
            "convened_heading": _("Delegates convened and present"),
            "kind": _("Kind"),
            "convened": _("Convened"),
            "present": _("Present"),
            "absent": _("Absent"),
            "composition": _("Composition of the official delegates present"),
            "base_note": _("Percentages are of the %(num)d official delegates present. Ages "
                           "and party seniority are counted in years at the congress's "
                           "first day, from the years on the roster.", num=report.present),
            "count": _("Delegates"),
            "share": _("Share"),
            "no_data": _("No data"),
            "absent_heading": _("Official delegates absent"),
            "absent_none": _("Every official delegate on the roster is present."),
            "number": pgettext("delegate number", "No."),
            "name": _("Full name"),
            "reason": _("Reason for absence"),
            "unit": _("Unit"),
            "committee": _("On behalf of the credentials committee"),
            "sign_here": _("(signature and full name)"),
        },
        "page_content": Markup(page_counter_content(_("Page %(page)s of %(pages)s"))),
    }


def render_credentials_pdf(congress: Congress, report: CredentialsReport, *,
                           language: str | None = None) -> bytes:
    """The report as PDF bytes, in `language` (None: the current one)."""
    with force_locale(language or str(get_locale())):
        context = credentials_context(congress, report)
        html = current_app.jinja_env.get_template(TEMPLATE).render(**context)
    return render_pdf(html)
