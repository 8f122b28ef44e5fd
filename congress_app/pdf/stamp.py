"""A document's own PDF with its QR code and short code stamped in a corner.

A printed copy then always leads back to the latest version: the code never changes (the QR
contract in DESIGN.md), whatever file is uploaded later. The pages are the uploaded file's
own PDF objects, so text, fonts and links stay as they were; the stamp is a small vector
page (rendered once with WeasyPrint) drawn over each chosen page.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.annotations import Link
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from .. import qr
from ..models import Congress, Document, DocumentVersion
from ..services import documents as document_service
from ..services.errors import InputRefused
from ..storage import file_store
from .booklet import add_stream, page_as_form
from .cache import cached_pdf
from .editions import Edition, edition_viewer
from .render import data_uri, render_pdf

KIND = "stamped"
TEMPLATE = "pdf/stamp.html"
# Bump when the stamping code changes in a way the template digest cannot see.
STAMP_VERSION = "2"
PAGES = ("first", "all")
CORNERS = ("top-right", "top-left", "bottom-right", "bottom-left")
MM = 72 / 25.4
# 21 mm including the 4-module quiet zone: the symbol itself is at least 15 mm (16 mm for a
# version-2 code), which scans from an arm's length at 96 dpi; the box adds the code.
QR_MM = 21
STAMP_WIDTH_MM = 23
STAMP_HEIGHT_MM = 26
# Kept clear of the paper's edge, where printers do not print and guillotines cut.
MARGIN_MM = 8


def parse_options(args: Mapping[str, str]) -> dict:
    """The print centre's options for a stamped document; pages and corner have defaults."""
    pages = (args.get("pages") or "first").strip().lower()
    if pages not in PAGES:
        raise InputRefused(_("Choose which pages to stamp: first or all."), field="pages")
    corner = (args.get("corner") or "top-right").strip().lower()
    if corner not in CORNERS:
        raise InputRefused(
            _("Choose a corner: top-right, top-left, bottom-right or bottom-left."),
            field="corner",
        )
    raw_code = (args.get("code") or "").strip()
    if not raw_code:
        raise InputRefused(_("Enter the code of the document to stamp."), field="code")
    code = document_service.normalise_code(raw_code)
    if code is None:
        raise InputRefused(_("This is not a document code."), field="code")
    return {"code": code, "pages": pages, "corner": corner}


def render(congress: Congress, edition: Edition, options: dict) -> Path:
    """The stamped PDF of the document `options["code"]`, if this edition may print it."""
    document = document_service.find_by_code(options["code"])
    viewer = edition_viewer(edition, congress)
    if (
        document is None
        or document.congress_id != congress.id
        or document.is_deleted
        or document.current_version is None
        or not document_service.can_view(document, viewer)
    ):
        # The same answer for "no such code" and "not in this edition": a print-out must not
        # reveal that a restricted document exists. Messages raised while rendering are lazy:
        # the error page reads them in the organiser's language, not the printout's.
        raise InputRefused(_l("No document with this code in this edition."), status=404,
                           field="code")
    return render_stamped(
        document, document.current_version, pages=options["pages"], corner=options["corner"],
        base_url=current_app.config["PUBLIC_BASE_URL"],
    )


def render_stamped(
    document: Document, version: DocumentVersion, *, pages: str, corner: str, base_url: str
) -> Path:
    """Path of this version's PDF with the document's QR stamp, built once per set of inputs.

    The cache key holds the version's sha256, so a replacement file gets a new stamped copy.
    """
    if pages not in PAGES or corner not in CORNERS:
        raise ValueError(f"unknown stamp options {pages!r}, {corner!r}")
    if version.mime_type != document_service.PDF_MIME:
        raise InputRefused(
            _l("Only PDF documents can be stamped; this document is an image."), status=422
        )
    context = {
        "code": document.code,
        "sha256": version.sha256,
        "pages": pages,
        "corner": corner,
        "base_url": base_url,
    }
    return cached_pdf(KIND, context, _build, templates=(TEMPLATE,), version=STAMP_VERSION)


def _build(context: dict) -> bytes:
    """The stamped PDF for a cache context (the stored file and the stamp rendered)."""
    original = file_store().path_for(context["sha256"]).read_bytes()
    overlay = stamp_overlay(context["code"], context["base_url"])
    return stamp_pages(original, overlay, pages=context["pages"], corner=context["corner"])


def stamp_overlay(code: str, base_url: str) -> bytes:
    """A one-page PDF exactly the size of the stamp: white box, QR code, code, link."""
    payload = qr.qr_payload(base_url, code)
    html = current_app.jinja_env.get_template(TEMPLATE).render(
        code=code,
        url=qr.document_url(base_url, code),
        qr_image=data_uri(qr.qr_image(payload, "png"), "image/png"),
        qr_mm=QR_MM,
        width_mm=STAMP_WIDTH_MM,
        height_mm=STAMP_HEIGHT_MM,
    )
    return render_pdf(html)


def stamp_pages(pdf: bytes, overlay: bytes, *, pages: str, corner: str) -> bytes:
    """`pdf` with the one-page `overlay` drawn in `corner` of the first or of every page.

    The overlay becomes one Form XObject drawn by a few bytes added to each page, so the
    original content streams are neither parsed nor re-encoded, and everything else
    (annotations, outline, metadata) is cloned unchanged. A file pypdf cannot read or
    decrypt is refused with InputRefused, never a server error.
    """
    try:
        reader = PdfReader(io.BytesIO(pdf))
        if reader.is_encrypted:
            raise InputRefused(
                _l("This PDF is password-protected, so it cannot be stamped."), status=422
            )
        stamp = PdfReader(io.BytesIO(overlay)).pages[0]
        writer = PdfWriter(clone_from=reader)
        form = page_as_form(writer, stamp)
        # WeasyPrint links each box of the <a> separately: one link over the whole stamp does.
        links = sorted({str(a.get_object()["/A"]["/URI"]) for a in stamp.get("/Annots", [])})
        # Saves the graphics state before the page's own content, which may leave it changed.
        save = add_stream(writer, b"q\n")
        stamped: dict[int, tuple[DictionaryObject, IndirectObject, str]] = {}
        for page in writer.pages[:1] if pages == "first" else writer.pages:
            matrix = stamp_matrix(page, stamp, corner)
            _draw_form(writer, page, form, save, matrix, stamped)
            for url in links:
                writer.add_annotation(page, Link(rect=_bounds(matrix, stamp), url=url))
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()
    except InputRefused:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            AssertionError, RecursionError, ZeroDivisionError):
        raise InputRefused(
            _l("This PDF cannot be stamped: it is damaged or uses features the stamp "
              "cannot handle."),
            status=422,
        ) from None


def _draw_form(
    writer: PdfWriter, page: PageObject, form: IndirectObject, save: IndirectObject,
    matrix: tuple[float, ...], stamped: dict[int, tuple[DictionaryObject, IndirectObject, str]],
) -> None:
    """Append "draw the stamp here" to the page, after its own content restored the state.

    Pages get a resources dictionary that adds the stamp to the original. WeasyPrint and
    others share one dictionary among all pages, so `stamped` maps each original to its one
    stamped copy (kept with the original, so its id() stays unique): a 30-page file then gains
    one dictionary, not 30, and unstamped pages keep the original.
    """
    original = page["/Resources"].get_object() if "/Resources" in page else DictionaryObject()
    if id(original) not in stamped:
        resources = DictionaryObject(original)
        xobjects = DictionaryObject(
            resources["/XObject"].get_object() if "/XObject" in resources else {}
        )
        name = "/CongressStamp"
        while name in xobjects:
            name += "X"
        xobjects[NameObject(name)] = form
        resources[NameObject("/XObject")] = xobjects
        stamped[id(original)] = (original, writer._add_object(resources), name)
    _original, resources_ref, name = stamped[id(original)]
    page[NameObject("/Resources")] = resources_ref

    contents = page.raw_get("/Contents") if "/Contents" in page else ArrayObject()
    if isinstance(contents.get_object(), ArrayObject):
        contents = contents.get_object()
    else:
        contents = ArrayObject([contents])
    numbers = " ".join(f"{v:.4f}" for v in matrix)
    draw = add_stream(writer, f"\nQ q {numbers} cm {name} Do Q\n".encode("ascii"))
    page[NameObject("/Contents")] = ArrayObject([save, *contents, draw])


def _bounds(matrix: tuple[float, ...], stamp: PageObject) -> tuple[float, float, float, float]:
    """The page rectangle the stamp covers, for its link annotation."""
    a, b, c, d, e, f = matrix
    width, height = float(stamp.mediabox.width), float(stamp.mediabox.height)
    xs = [a * s + c * t + e for s, t in ((0, 0), (width, 0), (0, height), (width, height))]
    ys = [b * s + d * t + f for s, t in ((0, 0), (width, 0), (0, height), (width, height))]
    return (min(xs), min(ys), max(xs), max(ys))


def stamp_matrix(
    page: PageObject, stamp: PageObject, corner: str, margin: float = MARGIN_MM * MM
) -> tuple[float, float, float, float, float, float]:
    """The PDF matrix that draws `stamp` upright in `corner` of the page as a reader sees it.

    Corners are those of the visible area (the crop box) after the page's /Rotate, so on a
    landscape page stored rotated the stamp still sits top-right and reads upright.
    """
    box = page.cropbox
    x0, y0 = float(box.left), float(box.bottom)
    width, height = float(box.width), float(box.height)
    stamp_width, stamp_height = float(stamp.mediabox.width), float(stamp.mediabox.height)
    rotation = (int(page.rotation) // 90 * 90) % 360
    shown_width, shown_height = (height, width) if rotation in (90, 270) else (width, height)

    # Where the stamp's lower-left corner goes, in the page as shown (origin bottom-left).
    right, top = corner.endswith("right"), corner.startswith("top")
    dx = max(0.0, shown_width - margin - stamp_width) if right else margin
    dy = max(0.0, shown_height - margin - stamp_height) if top else margin

    # Map shown coordinates back to the page's own: the content is turned against /Rotate.
    if rotation == 90:
        return (0, 1, -1, 0, x0 + width - dy, y0 + dx)
    if rotation == 180:
        return (-1, 0, 0, -1, x0 + width - dx, y0 + height - dy)
    if rotation == 270:
        return (0, -1, 1, 0, x0 + dy, y0 + height - dx)
    return (1, 0, 0, 1, x0 + dx, y0 + dy)
