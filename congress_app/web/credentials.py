"""The credentials committee's report (PDF) and its figures on the projector, organisers only.

Unlike the stage screen, which shows only what anyone may read, these figures are counted
from personal data (ethnicity, age, who is absent): the projector page is opened by a
signed-in organiser on the hall's computer when the committee reads its report out.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l

from ..i18n import print_language
from ..pdf import credentials as credentials_pdf
from ..services import credentials as credentials_service
from .access import organiser_required
from .cards import download_filename, send_private_pdf
from .tenancy import congress_or_404

bp = Blueprint("credentials", __name__, url_prefix="/organiser/credentials")


@bp.get("/report.pdf")
@organiser_required
def report_pdf():
    """The report as of now, in the language asked for (or the organiser's own)."""
    congress = congress_or_404()
    language = print_language(request.args)
    report = credentials_service.credentials_report(congress)
    pdf = credentials_pdf.render_credentials_pdf(congress, report, language=language)
    return send_private_pdf(pdf, download_filename(
        _l("Report of the credentials committee"), congress.organisation, language=language))


@bp.get("/screen")
@organiser_required
def screen():
    """The key figures in large type for the hall's projector (16:9, 1366×768 and up)."""
    congress = congress_or_404()
    report = credentials_service.credentials_report(congress)
    response = render_template(
        "stage/credentials.html", congress=congress,
        **credentials_pdf.report_context(congress, report))
    return response, 200, {"Cache-Control": "no-store"}
