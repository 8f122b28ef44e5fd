"""The organisers' print centre: every handout on one page, previewed, cached, ready to print.

Handouts made from public data (programme, QR sheets, posters, table tents, labels, stamped
documents) are cached PDFs (pdf/cache.py) served with validators; delegate cards and the
attendance sheet carry secrets or personal data, so their previews are made in memory and
never stored (web/cards.py serves the PDFs). Every printable is printed in the language the
organiser picks (`language`, by default their own), whatever the interface shows.
"""

from __future__ import annotations

import io

from flask import Blueprint, abort, current_app, jsonify, render_template, request, send_file
from werkzeug.datastructures import MultiDict

from ..i18n import print_language, vary_by_language
from ..labels import CATEGORY_LABELS, VISIBILITY_LABELS
from ..models import DocumentCategory
from ..pdf import attendance, cards, stamp, table_tent
from ..pdf.cache import preview_path
from ..pdf.editions import EDITION_LABELS, Edition
from ..pdf.printables import PRINTABLES, Printable
from ..qr import is_local_base_url
from ..services import attendance_sessions
from ..services import documents as document_service
from ..services.page_images import preview_webp
from ..storage import write_atomically
from .access import organiser_required
from .cards import download_filename, print_counts
from .checkin import session_arg
from .files import send_download
from .tenancy import congress_or_404

bp = Blueprint("print_centre", __name__, url_prefix="/organiser/print")


def _printable(slug: str) -> Printable:
    printable = PRINTABLES.get(slug)
    if printable is None:
        abort(404)
    return printable


@bp.get("/")
@organiser_required
def index():
    """Every printable with its options, a thumbnail and when it was last rendered."""
    congress = congress_or_404()
    base_url = current_app.config["PUBLIC_BASE_URL"]
    documents = document_service.congress_documents(congress)
    return render_template(
        "organiser/print/index.html",
        congress=congress,
        counts=print_counts(congress),
        sessions=attendance_sessions.sessions_of(congress),
        printables=PRINTABLES,
        documents=documents,
        pdf_documents=[d for d in documents if d.current_version
                       and d.current_version.mime_type == "application/pdf"],
        categories=[(c, CATEGORY_LABELS[c]) for c in DocumentCategory
                    if any(d.category == c for d in documents)],
        editions=[(e, EDITION_LABELS[e]) for e in Edition],
        visibility_labels=VISIBILITY_LABELS,
        base_url=base_url,
        base_url_is_local=is_local_base_url(base_url),
        tent=_tent_choice(congress),
    )


def _tent_choice(congress) -> dict:
    """The table tent's document choice: what may go on a table, the automatic pick ticked
    and numbered (as the card's default edition and size print it), and each size's limit."""
    picked = table_tent.automatic_pick(congress, Edition.PUBLIC, table_tent.DEFAULT_SIZE)
    return {
        "documents": table_tent.offered_documents(congress),
        "size": table_tent.DEFAULT_SIZE,
        "places": {d.code: n for n, d in enumerate(picked, start=1)},
        "limits": {size: table_tent.documents_that_fit(size) for size in table_tent.SIZES},
        "limit_messages": {size: table_tent.limit_message(size) for size in table_tent.SIZES},
    }


@bp.get("/<slug>.pdf")
@organiser_required
def printable_pdf(slug: str):
    """A cached printable for the options in the query string; 304 while it is unchanged."""
    printable = _printable(slug)
    congress = congress_or_404()
    path = printable.render(congress, request.args)
    response = send_download(
        path,
        mimetype="application/pdf",
        download_name=download_filename(printable.file_title, congress.organisation,
                                        language=print_language(request.args)),
        conditional=True,
        max_age=0,
    )
    # Organisers' editions list restricted titles: no shared cache may keep a copy.
    response.headers["Cache-Control"] = "private, no-cache"
    # Without `language`, the organiser's own language chose the file.
    return vary_by_language(response)


@bp.get("/<slug>/preview.webp")
@organiser_required
def printable_preview(slug: str):
    """The first page of a printable, small; rendered with the PDF, cached beside it."""
    printable = _printable(slug)
    congress = congress_or_404()
    path = printable.render(congress, request.args)
    preview = preview_path(path)
    if not preview.is_file():
        write_atomically(preview, preview_webp(path))
    response = send_file(preview, mimetype="image/webp", conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-cache"
    return vary_by_language(response)


@bp.get("/stamped/over-text.json")
@organiser_required
def stamp_over_text():
    """The pages where the stamp, with these options, could not avoid the document's text,
    and the warning print.js shows beside the options (in the organiser's language)."""
    congress = congress_or_404()
    pages = stamp.pages_over_text(PRINTABLES["stamped"].render(congress, request.args))
    response = jsonify({"pages": pages, "warning": stamp.over_text_warning(pages)})
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _private_preview(pdf: bytes):
    response = send_file(io.BytesIO(preview_webp(pdf)), mimetype="image/webp",
                         conditional=False, etag=False, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/cards/preview.webp")
@organiser_required
def cards_preview():
    """A specimen of the cards: the first delegate's card, made in memory, never stored."""
    congress = congress_or_404()
    args = MultiDict(request.args)
    layout = args.get("layout") if args.get("layout") in cards.LAYOUTS else cards.LAYOUTS[0]
    pin = args.get("pin") if args.get("pin") in cards.PIN_MODES else cards.PIN_MODES[0]
    language = print_language(args)
    delegates = cards.card_delegates(congress)[:1]
    if not delegates:
        abort(404)
    return _private_preview(cards.render_cards_pdf(congress, delegates, layout=layout, pin=pin,
                                                   language=language))


@bp.get("/attendance-sheet/preview.webp")
@organiser_required
def attendance_preview():
    """The attendance sheet's first page as of now; personal data, so never stored."""
    congress = congress_or_404()
    language = print_language(request.args)
    delegates = attendance.attendance_delegates(congress)
    return _private_preview(attendance.render_attendance_sheet_pdf(
        congress, delegates, language=language,
        session=session_arg(congress, request.args.get("session"))))

