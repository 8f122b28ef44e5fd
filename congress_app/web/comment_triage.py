"""The secretariat's góp ý pages: triage every comment of the congress, print and export the
compiled report, adopt it as a congress document, and export the opinions on the higher
level's drafts. Admins and editors of the congress only; every comment id in a URL goes
through own_or_404.
"""

from __future__ import annotations

import hashlib
import io
import json

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..i18n import print_language
from ..labels import CLASSIFICATION_LABELS, STANCE_LABELS
from ..models import Comment, Stance
from ..numbers import whole_number
from ..pdf.comments_report import render_comments_report_pdf, report_title
from ..services import comment_exports, comment_groups, comment_report, comment_triage
from ..services.comment_triage import STATES, Board
from .access import organiser_required, own_or_404
from .cards import download_filename, send_private_pdf
from .comment_triage_forms import ClassifyForm, DuplicateForm, SeparateForm, forms_for
from .editing import acting_user, confirmed_or_400, loaded_version, submit
from .files import send_download
from .organiser_forms import ConfirmForm
from .request import int_arg
from .tenancy import congress_or_404

bp = Blueprint("comment_triage", __name__, url_prefix="/organiser/comments")

FILTERS = ("document", "section", "stance", "state", "changed", "group")


def _filters() -> dict:
    """The page's filters (and page number) from the query string; unknown values filter
    nothing, a page past the last shows the last."""
    stance = request.args.get("stance", "")
    state = request.args.get("state", "")
    return {"document": int_arg("document"),
            "section": request.args.get("section", "").strip()[:500],
            "stance": stance if stance in {s.value for s in Stance} else "",
            "state": state if state in STATES else "",
            "changed": "1" if request.args.get("changed") == "1" else "",
            "group": request.args.get("group", "").strip()[:100],
            "page": int_arg("page", 1, hi=10**6, clamp=True)}


def _kept(filters: dict) -> dict:
    """The filters (and page) a form's action, a page link and the redirect after a form
    keep; the first page is the default, so it is left out."""
    return {k: v for k, v in filters.items() if v and not (k == "page" and v == 1)}


def _board(congress, filters: dict) -> Board:
    return comment_triage.board(congress, document_id=filters["document"],
                                section=filters["section"], stance=filters["stance"],
                                state=filters["state"], moved_on=bool(filters["changed"]),
                                group=filters["group"], page=filters["page"])


def _page(congress, *, failed: tuple[int, str, object] | None = None, status: int = 200):
    """The triage page; `failed` (comment id, form name, form) shows a refused form as sent."""
    filters = _filters()
    shown = _board(congress, filters)
    forms = {}
    for entry in shown.entries:
        for item in [entry, *entry.duplicate_entries]:
            comment_forms = forms_for(item.comment.id, item.version)
            if failed is not None and failed[0] == item.comment.id:
                comment_forms[failed[1]] = failed[2]  # as sent, with its message
            if failed is None or failed[:2] != (item.comment.id, "classify"):
                classify = comment_forms["classify"]
                triage = item.triage
                classify.classification.data = (
                    triage.classification.value if triage and triage.classification else "")
                classify.response.data = triage.response if triage else ""
            forms[item.comment.id] = comment_forms
    adoption = comment_report.adoption_of(congress)
    filters["page"] = shown.page  # past the last page: the forms and links keep the last
    return render_template(
        "comment_triage/index.html", congress=congress, board=shown, forms=forms,
        filters=filters, kept=_kept(filters), filter_args=_kept({**filters, "page": 1}),
        poll_interval=poll_interval(), stance_labels=STANCE_LABELS,
        classification_labels=CLASSIFICATION_LABELS, states=STATES,
        adopted=adoption.document if adoption and not adoption.document.is_deleted else None,
        word_diff=comment_triage.word_diff, group_of=comment_groups.comment_label), status


@bp.get("/")
@organiser_required
def index():
    """Every comment of the congress, filtered, with the counts and the answers."""
    return _page(congress_or_404())


POLL_INTERVAL_MS = 5000


def poll_interval() -> int:
    """How often the page asks counts.json, in milliseconds (tests make it shorter)."""
    return int(current_app.config.get("TRIAGE_POLL_INTERVAL_MS", POLL_INTERVAL_MS))


def counts_json(tally: comment_triage.Counts) -> dict:
    """The counts as the page shows them: numbers by stored value, and the total's sentence."""
    return {"total": tally.total,
            "total_label": ngettext("%(num)d comment", "%(num)d comments", tally.total),
            "stances": {s.value: n for s, n in tally.stances.items()},
            "classifications": {(c.value if c else "none"): n
                                for c, n in tally.classifications.items()}}


@bp.get("/counts.json")
@organiser_required
def counts():
    """The counts at the top of the triage page, polled by it while others triage; 304 while
    nothing moved since the caller's ETag (the tag is the answer's own digest)."""
    data = counts_json(comment_triage.counts(congress_or_404()))
    version = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:20]
    if request.if_none_match.contains(version):
        response = current_app.response_class(status=304)
    else:
        response = jsonify(data)
    response.set_etag(version)
    response.headers["Cache-Control"] = "no-cache, private"
    response.vary.add("Cookie")  # the account, and the language of the sentence
    return response


def _after(comment: Comment, message: str):
    flash(message, "success")
    return redirect(url_for(".index", **_kept(_filters()), _anchor=f"comment-{comment.id}"))


@bp.post("/<int:comment_id>/classify")
@organiser_required
def classify(comment_id: int):
    """Answer a comment (classification and response)."""
    congress = congress_or_404()
    comment = own_or_404(Comment, comment_id)
    form = ClassifyForm(prefix=f"c{comment.id}")
    sent = submit(form, lambda: comment_triage.classify(
        congress, comment, classification=form.classification.data,
        response=form.response.data, user=acting_user(),
        expected_version=loaded_version(form)))
    if sent.done:
        return _after(comment, _("Comment No. %(n)d is answered: %(answer)s.", n=comment.id,
                                 answer=CLASSIFICATION_LABELS[sent.value.classification]))
    return _page(congress, failed=(comment.id, "classify", form), status=sent.status)


@bp.post("/<int:comment_id>/duplicate")
@organiser_required
def duplicate(comment_id: int):
    """Merge a comment into another one on the same document."""
    congress = congress_or_404()
    comment = own_or_404(Comment, comment_id)
    form = DuplicateForm(prefix=f"c{comment.id}")
    sent = submit(form, lambda: comment_triage.mark_duplicate(
        congress, comment, original_id=_number(form.original.data), user=acting_user(),
        expected_version=loaded_version(form)))
    if sent.done:
        return _after(comment, _("Comment No. %(n)d is counted with comment No. %(original)d.",
                                 n=comment.id, original=sent.value.duplicate_of_id))
    return _page(congress, failed=(comment.id, "duplicate", form), status=sent.status)


def _number(raw: str | None) -> int | None:
    """The original's number as typed: "12", "#12" or "№ 12"."""
    return whole_number((raw or "").strip().lstrip("#№").strip())


@bp.post("/<int:comment_id>/separate")
@organiser_required
def separate(comment_id: int):
    """Count a merged comment on its own again."""
    congress = congress_or_404()
    comment = own_or_404(Comment, comment_id)
    form = SeparateForm(prefix=f"c{comment.id}")
    sent = submit(form, lambda: comment_triage.separate(
        congress, comment, user=acting_user(), expected_version=loaded_version(form)))
    if sent.done:
        return _after(comment, _("Comment No. %(n)d is counted on its own again.",
                                 n=comment.id))
    return _page(congress, failed=(comment.id, "separate", form), status=sent.status)


# The compiled report and its exports --------------------------------------------------


REPORT_NAME = _l("Compiled comments")


@bp.get("/report.pdf")
@organiser_required
def report_pdf():
    """The compiled report as it stands now, in the language asked for."""
    congress = congress_or_404()
    language = print_language(request.args)
    pdf = render_comments_report_pdf(congress, language=language)
    return send_private_pdf(pdf, download_filename(REPORT_NAME, congress.organisation,
                                                   language=language))


def _private_file(data: bytes, mimetype: str, name: str):
    response = send_download(io.BytesIO(data), mimetype=mimetype, download_name=name,
                             as_attachment=True, conditional=False, etag=False, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _name(congress, extension: str, what=REPORT_NAME) -> str:
    return download_filename(what, congress.organisation).removesuffix(".pdf") + extension


@bp.get("/report.csv")
@organiser_required
def report_csv():
    """The report's rows with the authors' names, for a spreadsheet."""
    congress = congress_or_404()
    return _private_file(comment_exports.organisers_csv(congress), "text/csv",
                         _name(congress, ".csv"))


@bp.get("/report.xlsx")
@organiser_required
def report_xlsx():
    """The same rows as an Excel workbook."""
    congress = congress_or_404()
    return _private_file(
        comment_exports.organisers_xlsx(congress),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _name(congress, ".xlsx"))


HIGHER_NAME = _l("Comments on the higher level's drafts")


@bp.get("/higher-level.json")
@organiser_required
def higher_level_json():
    """The opinions on the higher level's drafts, for the higher-level congress (no names)."""
    congress = congress_or_404()
    return _private_file(comment_exports.higher_level_json(congress), "application/json",
                         _name(congress, ".json", HIGHER_NAME))


@bp.get("/higher-level.csv")
@organiser_required
def higher_level_csv():
    """The same as CSV."""
    congress = congress_or_404()
    return _private_file(comment_exports.higher_level_csv(congress), "text/csv",
                         _name(congress, ".csv", HIGHER_NAME))


@bp.route("/adopt", methods=["GET", "POST"])
@organiser_required
def adopt():
    """Ask first (GET), then adopt the compiled report as a congress document (POST)."""
    congress = congress_or_404()
    adoption = comment_report.adoption_of(congress)
    adopted = adoption.document if adoption and not adoption.document.is_deleted else None
    if request.method == "POST":
        confirmed_or_400()
        language = congress_language()
        pdf = render_comments_report_pdf(congress, language=language)
        with force_locale(language):
            title = report_title()
        result = comment_report.adopt(congress, pdf, title=title, user=acting_user())
        document, number = result.document, result.number
        if result.unchanged:
            flash(_("The compiled report has not changed since it was adopted: the document "
                    "%(code)s keeps version %(n)d.", code=document.code, n=number), "info")
        elif number == 1:
            flash(_("The compiled report is now the congress document %(code)s.",
                    code=document.code), "success")
        else:
            flash(_("The document %(code)s now holds the compiled report as of now (version "
                    "%(n)d); its QR code is the same.", code=document.code, n=number),
                  "success")
        return redirect(url_for("organiser.document", document_id=document.id))
    return render_template("comment_triage/adopt.html", congress=congress, form=ConfirmForm(),
                           adopted=adopted)


def congress_language() -> str:
    """The language the adopted report is printed in: the app's default (Vietnamese)."""
    return current_app.config.get("BABEL_DEFAULT_LOCALE", "vi")
