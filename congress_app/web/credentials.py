"""The credentials committee's report (PDF) and its figures on the projector, organisers only.

The projector page redraws its figures without a reload (static/js/credentials.js polls
figures.json with If-None-Match, like the stage's stage.json): check-ins at the door move the
counts while the committee reads.

Unlike the stage screen, which shows only what anyone may read, these figures are counted
from personal data (ethnicity, age, who is absent): the projector page is opened by a
signed-in organiser on the hall's computer when the committee reads its report out.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, current_app, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from ..i18n import print_language
from ..pdf import credentials as credentials_pdf
from ..services import credentials as credentials_service
from .access import organiser_required
from .cards import download_filename, send_private_pdf
from .stage import poll_interval
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


def _figures(congress) -> tuple[str, str]:
    """(the figures' HTML, its version): the same fragment the page draws, so the page and
    its refresh can never disagree; the version is a digest of it (language included)."""
    report = credentials_service.credentials_report(congress)
    html = render_template("stage/_credentials_figures.html",
                           **credentials_pdf.report_context(congress, report))
    return html, hashlib.sha256(html.encode()).hexdigest()[:16]


@bp.get("/screen")
@organiser_required
def screen():
    """The key figures in large type for the hall's projector (16:9, 1366×768 and up)."""
    congress = congress_or_404()
    html, version = _figures(congress)
    response = render_template(
        "stage/credentials.html", congress=congress, figures_html=Markup(html), version=version,
        interval=poll_interval())
    return response, 200, {"Cache-Control": "no-store"}


@bp.get("/figures.json")
@organiser_required
def figures():
    """The figures again for the projector page; 304 while they are what the caller has."""
    congress = congress_or_404()
    html, version = _figures(congress)
    if request.if_none_match.contains(version):
        response = current_app.response_class(status=304)
    else:
        response = jsonify({"html": html, "version": version})
    response.set_etag(version)
    response.headers["Cache-Control"] = "no-cache, private"
    response.vary.add("Cookie")  # the language of the labels
    return response
