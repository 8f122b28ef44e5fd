"""What a delegate's phone sees: the congress, the programme, documents and their QR codes."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from ..labels import CATEGORY_LABELS
from ..models import Document, utcnow
from ..qr import QR_FORMATS, document_url, qr_image, qr_payload
from ..services import comment_anchoring, page_images
from ..services import comments as comment_service
from ..services import congress as congress_service
from ..services import documents as document_service
from ..services import reader as reader_service
from ..services import setup as setup_service
from ..services import stage as stage_service
from ..services import visibility as visibility_service
from ..storage import file_store
from . import page_cache
from .files import content_disposition, send_download, send_version
from .request import int_arg
from .tenancy import congress_or_404, get_congress, is_multi

bp = Blueprint("public", __name__)

# Page and version numbers in the reader's query string: past these, a number is ignored.
NUMBER_MAX = 999_999
# How often an open document page asks whether a new version was published, in ms: a
# replacement is rare and 168 phones reading should cost little.
VERSION_POLL_MS = 30_000

def _document_or_error(code: str) -> Document:
    """The document behind a code, or 404 (unknown or not visible) / 410 (deleted).

    A delegates-only document scanned by someone not signed in as a delegate sends them to
    the delegate sign-in page, which brings them back to the document afterwards.
    """
    document = document_service.find_by_code(code)
    if document is None:
        abort(404)
    if document.is_deleted:
        abort(410)
    if visibility_service.needs_delegate_sign_in(document, current_user):
        target = url_for("public.document", code=document.code)
        abort(redirect(url_for("delegate.sign_in", next=target)))
    if not visibility_service.can_view(document, current_user):
        abort(404)
    return document

def public_context() -> dict:
    """What every page may show: category names, and the congress it is about."""
    return {"category_labels": CATEGORY_LABELS, "site_congress": get_congress}

@bp.get("/")
def home():
    if "congress_slug" not in g and is_multi():
        # A city's instance: its root lists the congresses; each has its own home page.
        g.congress = None  # and this page belongs to none of them
        return render_template(
            "public/congresses.html", congresses=congress_service.listed_congresses()
        )
    congress = get_congress()
    if congress is None:
        return render_template("public/not_set_up.html", needs_setup=setup_service.needs_setup())
    stage = congress_service.on_stage(
        congress, utcnow(), current_app.config["CONGRESS_TIMEZONE"]
    )
    documents = visibility_service.list_documents(congress, current_user)
    # The documents anyone may open, as /stage.json lists them when the box is redrawn.
    stage_documents = stage_service.public_documents(stage.current) if stage.current else []
    return render_template(
        "public/home.html", congress=congress, stage=stage, document_count=len(documents),
        stage_documents=stage_documents,
    )

@bp.get("/programme")
def programme():
    congress = congress_or_404()
    stage = congress_service.on_stage(
        congress, utcnow(), current_app.config["CONGRESS_TIMEZONE"]
    )
    return render_template(
        "public/programme.html",
        congress=congress,
        sessions=congress_service.programme(congress, current_user),
        stage=stage,
    )

@bp.get("/programme.pdf")
def programme_pdf():
    from ..i18n import vary_by_language
    from ..pdf.programme import render_programme_pdf

    congress = congress_or_404()
    # What gets printed is what delegates may see, even when an organiser clicks the link;
    # the organisers' edition (restricted documents marked) is asked for explicitly.
    internal = request.args.get("edition") == "organisers"
    if internal and not getattr(current_user, "can_edit", False):
        abort(403)
    viewer = current_user if internal else visibility_service.PUBLIC
    path = render_programme_pdf(congress, viewer)
    suffix = f" ({_('Organising committee')})" if internal else ""
    response = send_download(
        path,
        mimetype="application/pdf",
        download_name=f"{_('Programme')} - {congress.organisation}{suffix}.pdf",
        conditional=True,
        max_age=0,
    )
    response.cache_control.no_cache = True
    # Printed in the visitor's language, which the cookie or the browser may have chosen.
    return vary_by_language(response)

@bp.get("/documents")
def documents():
    congress = congress_or_404()
    visible = visibility_service.list_documents(congress, current_user)
    return render_template(
        "public/documents.html",
        congress=congress,
        groups=document_service.group_by_category(visible),
    )

@bp.get("/D/<code>")
@bp.get("/D/<code>/<path:rest>")
def upper_case_url(code: str, rest: str = ""):
    """QR codes encode upper-case URLs (alphanumeric mode); send phones to the canonical page."""
    target = url_for("public.document", code=code.upper())
    return redirect(f"{target}/{rest}" if rest else target, 301)

@bp.get("/d/<code>")
def document(code: str):
    """The reader: the pages as images (or the text, bigger), and the original file a tap away.

    A long document is shown reader_service.READER_WINDOW pages at a time; ?page=N opens the
    window that holds page N, scrolled to it.
    """
    document = _document_or_error(code)
    if code != document.code:
        # The query is kept, but never as url_for's own arguments (code, _external, _scheme…).
        query = {k: v for k, v in request.args.items() if k != "code" and not k.startswith("_")}
        return redirect(url_for("public.document", code=document.code, **query), 301)
    start_page = int_arg("page", hi=NUMBER_MAX)
    shown = reader_service.reading(document, start_page, int_arg("v", hi=NUMBER_MAX))
    comments = comment_service.state(document, counted=False)
    # Signed-in visitors never get the cached page (page_cache), so this may be their own.
    user = current_user._get_current_object()
    changed = (comment_anchoring.changed_paragraphs(shown.version, user.id)
               if shown.version is not None and getattr(user, "is_delegate", False)
               and user.is_authenticated else set())
    if comment_service.changes_with_time(document):
        page_cache.do_not_keep()  # "Comment" must go at the closing time, with no write
    return render_template(
        "public/document.html",
        congress=document.congress,
        document=document,
        version=shown.version,
        items=shown.items,
        share_url=document_url(current_app.config["PUBLIC_BASE_URL"], document.code),
        window=shown.window,
        reader_url=reader_url,
        pages=shown.pages,
        text_pages=shown.text_pages,
        start_page=start_page,
        outdated=shown.outdated,
        comments=comments,
        my_changed_paragraphs=changed,
        text_mode=request.args.get("mode") == "text",
        version_poll_ms=current_app.config.get("VERSION_POLL_MS", VERSION_POLL_MS),
    )

@bp.get("/d/<code>/version.json")
def document_version(code: str):
    """The current version's number, for an open reader to notice a replacement; 304 while
    it has not changed since the caller's ETag."""
    document = _document_or_error(code)
    version = document.current_version
    tag = f"v{version.number}" if version else "v0"
    if request.if_none_match.contains(tag):
        response = current_app.response_class(status=304)
    else:
        response = jsonify({"version": version.number if version else 0})
    response.set_etag(tag)
    response.headers["Cache-Control"] = "no-cache"
    return response

def reader_url(code: str, first: int, **args) -> str:
    """The reader page of the window starting at `first`: the URL its links and offline use."""
    return url_for("public.document", code=code, **({"page": first} if first > 1 else {}),
                   **args)


@bp.get("/d/<code>/pages/<int:n>.webp")
def document_page_image(code: str, n: int):
    """One page as a WebP picture, from the cache, or rendered now if the worker is behind."""
    # A width the reader never asks for is no such picture; junk is ignored.
    width = int_arg("w", page_images.WIDTHS[-1], clamp=True)
    if width not in page_images.WIDTHS:
        abort(404)
    document = _document_or_error(code)
    version = document.current_version
    if version is None or not 1 <= n <= version.pages:
        abort(404)
    path = page_images.page_path(version.sha256, width, n)
    if not path.is_file():
        source = file_store().path_for(version.sha256)
        if not source.is_file():
            abort(404)
        try:
            page_images.render_page(version.sha256, version.mime_type, source, n)
        except page_images.PageNotRendered:
            current_app.logger.exception("page %d of %s cannot be rendered", n, version.sha256)
            abort(404)
    response = send_file(path, mimetype="image/webp", conditional=True,
                         etag=f"{version.sha256}-{n}-{width}", max_age=0)
    if request.args.get("v") == version.sha256[:12]:
        # The reader's URLs carry the file's hash: a new version means new URLs.
        response.cache_control.max_age = 31536000
        response.cache_control.immutable = True
    else:
        response.cache_control.no_cache = True
    return _shared_only_if_public(response, document)


def _shared_only_if_public(response, document: Document):
    """A shared cache may keep what anyone may see; the rest only the visitor's browser."""
    if visibility_service.is_public(document):
        response.cache_control.public = True
    else:
        response.cache_control.public = False
        response.cache_control.private = True
    return response

@bp.get("/d/<code>/file")
def document_file(code: str):
    document = _document_or_error(code)
    version = document.current_version
    if version is None:
        abort(404)
    return send_version(version, as_attachment=request.args.get("download") == "1")

@bp.get("/d/<code>/qr.<fmt>")
def document_qr(code: str, fmt: str):
    if fmt not in QR_FORMATS:
        abort(404)
    document = _document_or_error(code)
    payload = qr_payload(current_app.config["PUBLIC_BASE_URL"], document.code)
    path = qr_image(payload, fmt)
    response = send_file(path, mimetype=QR_FORMATS[fmt], conditional=True, max_age=3600,
                         etag=path.stem)
    if request.args.get("download") == "1":
        response.headers["Content-Disposition"] = content_disposition(
            f"QR-{document.code}.{fmt}", as_attachment=True)
    return _shared_only_if_public(response, document)
