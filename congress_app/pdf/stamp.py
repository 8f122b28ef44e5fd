"""A document's own PDF with its QR code and short code stamped in a corner.

A printed copy then always leads back to the latest version: the code never changes (the QR
contract in DESIGN.md), whatever file is uploaded later. The pages are the uploaded file's
own PDF objects, so text, fonts and links stay as they were; the stamp is a small vector
page (rendered once with WeasyPrint) drawn over each chosen page.

The stamp goes where the page is blank: each stamped page is rasterised at low resolution,
and the stamp takes the first blank place among the chosen corner, the other corners and
the margins along the edges, shrunk if need be down to the smallest size whose QR symbol
still measures 15 mm. Where no place is blank it covers as little ink as it can, and the
print centre names those pages to the organiser.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from PIL import Image
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.annotations import Link
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from .. import qr
from ..models import Congress, Document, DocumentVersion
from ..services import documents as document_service
from ..services import intake
from ..services import visibility as visibility_service
from ..services.errors import InputRefused
from ..services.page_images import pdfium_lock  # pdfium is not thread-safe: one lock for all
from ..storage import file_store, write_atomically
from .booklet import add_stream, page_as_form
from .cache import cached_pdf, pdf_path
from .editions import Edition, edition_viewer
from .render import data_uri, render_pdf

KIND = "stamped"
TEMPLATE = "pdf/stamp.html"
# Bump when the stamping code changes in a way the template digest cannot see.
STAMP_VERSION = "3"
PAGES = ("first", "all")
CORNERS = ("top-right", "top-left", "bottom-right", "bottom-left")
MM = 72 / 25.4
# 21 mm including the 4-module quiet zone: the symbol itself is at least 15 mm (16 mm for a
# version-2 code), which scans from an arm's length at 96 dpi; the box adds the code below.
# The box is hardly wider than the code, so it fits a 30 mm binding margin.
QR_MM = 21
STAMP_WIDTH_MM = 21.5
STAMP_HEIGHT_MM = 24
# Shrunk to fit a blank place, never below this symbol size (quiet zone excluded).
MIN_SYMBOL_MM = 15
# Kept clear of the paper's edge, where printers do not print and guillotines cut.
MARGIN_MM = 8
# Placement: pages rasterised at this resolution (about 0.5 mm a pixel); a place is blank
# when nothing darker than INK_LEVEL comes within CLEARANCE_MM of the stamp's box.
PLACEMENT_DPI = 50
PLACEMENT_MAX_PIXELS = 4_000_000
INK_LEVEL = 245
CLEARANCE_MM = 1
EDGE_STEP_MM = 2
SHRINK_STEPS = 4


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
        or not visibility_service.can_view(document, viewer)
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
    if version.mime_type != intake.PDF_MIME:
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
    path = cached_pdf(KIND, context, _build, templates=(TEMPLATE,), version=STAMP_VERSION)
    if not over_text_path(path).is_file():  # its placement report was lost: build both again
        path.unlink(missing_ok=True)
        path = cached_pdf(KIND, context, _build, templates=(TEMPLATE,), version=STAMP_VERSION)
    return path


def over_text_path(pdf: Path) -> Path:
    """Where a stamped PDF's list of pages whose stamp could not avoid the text is kept."""
    return pdf.with_suffix(".over-text.json")


def pages_over_text(pdf: Path) -> list[int]:
    """The pages (1-based) of a stamped PDF where no blank place was found for the stamp."""
    try:
        return [int(n) for n in json.loads(over_text_path(pdf).read_text())]
    except (OSError, ValueError, TypeError):
        return []


def over_text_warning(pages: list[int]) -> str | None:
    """What the print centre tells the organiser when the stamp lies over text somewhere."""
    if not pages:
        return None
    return ngettext(
        "On page %(pages)s no corner or margin is blank: the stamp covers as little of the "
        "text as it can there. Check that page before printing.",
        "On pages %(pages)s no corner or margin is blank: the stamp covers as little of the "
        "text as it can there. Check those pages before printing.",
        len(pages), pages=", ".join(str(n) for n in pages),
    )


def _build(context: dict) -> bytes:
    """The stamped PDF for a cache context (the stored file and the stamp rendered), its
    placement report written beside it before the PDF itself is."""
    original = file_store().path_for(context["sha256"]).read_bytes()
    overlay = stamp_overlay(context["code"], context["base_url"])
    payload = qr.qr_payload(context["base_url"], context["code"])
    pdf, over_text = stamp_pages(original, overlay, pages=context["pages"],
                                 corner=context["corner"], min_scale=min_scale(payload))
    path = pdf_path(KIND, context, (TEMPLATE,), STAMP_VERSION)
    write_atomically(over_text_path(path), json.dumps(over_text).encode())
    return pdf


def min_scale(payload: str) -> float:
    """The smallest scale of the stamp whose QR symbol (quiet zone excluded) is 15 mm."""
    return min(1.0, MIN_SYMBOL_MM / (QR_MM * qr.symbol_fraction(payload)))


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


def stamp_pages(
    pdf: bytes, overlay: bytes, *, pages: str, corner: str, min_scale: float = 1.0
) -> tuple[bytes, list[int]]:
    """`pdf` with the one-page `overlay` drawn on the first or on every page where the page
    is blank (`corner` first), and the pages (1-based) where no blank place was found.

    The overlay becomes one Form XObject drawn by a few bytes added to each page, so the
    original content streams are neither parsed nor re-encoded, and everything else
    (annotations, outline, metadata) is cloned unchanged. A file pypdf or pdfium cannot
    read or decrypt is refused with InputRefused, never a server error.
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
        chosen = writer.pages[:1] if pages == "first" else writer.pages
        size = (float(stamp.mediabox.width), float(stamp.mediabox.height))
        over_text = []
        for n, (page, mask) in enumerate(zip(chosen, ink_masks(pdf, len(chosen)), strict=True)):
            placement = place_stamp(mask, shown_size(page), size, corner, min_scale)
            if placement.over_text:
                over_text.append(n + 1)
            matrix = stamp_matrix(page, placement)
            _draw_form(writer, page, form, save, matrix, stamped)
            for url in links:
                writer.add_annotation(page, Link(rect=_bounds(matrix, stamp), url=url))
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue(), over_text
    except InputRefused:
        raise
    except (PyPdfError, pdfium.PdfiumError, ValueError, KeyError, TypeError, AttributeError,
            IndexError, AssertionError, RecursionError, ZeroDivisionError):
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


@dataclass(frozen=True)
class Placement:
    """Where the stamp goes on a page as shown: its lower-left corner in points from the
    page's lower-left, its scale, and whether it lies over ink (no blank place was found)."""

    x: float
    y: float
    scale: float = 1.0
    over_text: bool = False


def shown_size(page: PageObject) -> tuple[float, float]:
    """The visible area (crop box) of a page as a reader sees it, after its /Rotate."""
    width, height = float(page.cropbox.width), float(page.cropbox.height)
    return (height, width) if _rotation(page) in (90, 270) else (width, height)


def ink_masks(pdf: bytes, count: int) -> list[Image.Image]:
    """The first `count` pages as masks of their ink (255 where the page is printed),
    rendered as shown (turned by /Rotate) at PLACEMENT_DPI, at most PLACEMENT_MAX_PIXELS."""
    masks = []
    with pdfium_lock:
        document = pdfium.PdfDocument(pdf)
        try:
            for n in range(count):
                page = document[n]
                try:
                    width, height = page.get_size()
                    scale = min(PLACEMENT_DPI / 72,
                                math.sqrt(PLACEMENT_MAX_PIXELS / max(1.0, width * height)))
                    grey = page.render(scale=scale, grayscale=True).to_pil().convert("L")
                finally:
                    page.close()
                masks.append(grey.point(lambda v: 255 if v < INK_LEVEL else 0))
        finally:
            document.close()
    return masks


def place_stamp(
    mask: Image.Image, shown: tuple[float, float], size: tuple[float, float], corner: str,
    min_scale: float = 1.0, margin: float = MARGIN_MM * MM,
) -> Placement:
    """The first blank place for the stamp: full size first, at the chosen corner, the other
    corners, then along the edges nearest the chosen corner first; then smaller, down to
    `min_scale`; failing all, the place at `min_scale` that covers the least ink."""
    scales = [1 - (1 - min_scale) * k / SHRINK_STEPS for k in range(SHRINK_STEPS + 1)]
    for scale in scales if min_scale < 1 else [1.0]:
        scaled = (size[0] * scale, size[1] * scale)
        for x, y in _places(shown, scaled, corner, margin):
            box = _pixel_box(mask, shown, (x, y), scaled, CLEARANCE_MM * MM)
            if mask.crop(box).getbbox() is None:
                return Placement(x, y, scale)
    smallest = (size[0] * min_scale, size[1] * min_scale)

    def ink(place: tuple[float, float]) -> int:
        return mask.crop(_pixel_box(mask, shown, place, smallest)).histogram()[255]

    # min() keeps the first of equals: the most preferred of the least covered places. With
    # no ink under it (only within the clearance), the stamp is close to the text, not over it.
    x, y = min(_places(shown, smallest, corner, margin), key=ink)
    return Placement(x, y, min_scale, over_text=ink((x, y)) > 0)


def _places(
    shown: tuple[float, float], size: tuple[float, float], corner: str, margin: float
) -> list[tuple[float, float]]:
    """The stamp's places along the page's edges, `margin` in from them: the four corners
    (the chosen one first, then the nearest), then the edges' other places, nearest first."""
    width, height = shown
    lefts = margin, max(0.0, width - margin - size[0])
    bottoms = margin, max(0.0, height - margin - size[1])
    corners = {(x, y) for x in lefts for y in bottoms}
    step = EDGE_STEP_MM * MM
    edges = {(x, y) for y in bottoms for x in _steps(*lefts, step)}
    edges |= {(x, y) for x in lefts for y in _steps(*bottoms, step)}
    target = (lefts[corner.endswith("right")], bottoms[corner.startswith("top")])

    def preference(place: tuple[float, float]) -> tuple[bool, float, float, float]:
        return (place not in corners, math.dist(place, target), *place)

    return sorted(corners | edges, key=preference)


def _steps(low: float, high: float, step: float) -> Iterable[float]:
    """Evenly spaced values from low to high, both included, no further apart than step."""
    if high <= low:
        return [low]
    count = math.ceil((high - low) / step)
    return [low + (high - low) * k / count for k in range(count + 1)]


def _pixel_box(
    mask: Image.Image, shown: tuple[float, float], place: tuple[float, float],
    size: tuple[float, float], clearance: float = 0,
) -> tuple[int, int, int, int]:
    """The mask's pixels a stamp of `size` at `place` (points, from the lower left) touches,
    or comes within `clearance` points of."""
    kx, ky = mask.width / shown[0], mask.height / shown[1]
    left, right = place[0] - clearance, place[0] + size[0] + clearance
    bottom, top = place[1] - clearance, place[1] + size[1] + clearance
    return (max(0, math.floor(left * kx)), max(0, math.floor((shown[1] - top) * ky)),
            min(mask.width, math.ceil(right * kx)),
            min(mask.height, math.ceil((shown[1] - bottom) * ky)))


def _rotation(page: PageObject) -> int:
    return (int(page.rotation) // 90 * 90) % 360


def stamp_matrix(page: PageObject, placement: Placement) -> tuple[float, ...]:
    """The PDF matrix that draws the stamp upright at `placement` on the page as shown.

    Places are those of the visible area (the crop box) after the page's /Rotate, so on a
    landscape page stored rotated the stamp still sits where it was placed and reads upright.
    """
    box = page.cropbox
    x0, y0 = float(box.left), float(box.bottom)
    width, height = float(box.width), float(box.height)
    dx, dy, s = placement.x, placement.y, placement.scale
    # Map shown coordinates back to the page's own: the content is turned against /Rotate.
    rotation = _rotation(page)
    if rotation == 90:
        return (0, s, -s, 0, x0 + width - dy, y0 + dx)
    if rotation == 180:
        return (-s, 0, 0, -s, x0 + width - dx, y0 + height - dy)
    if rotation == 270:
        return (0, -s, s, 0, x0 + dy, y0 + height - dx)
    return (s, 0, 0, s, x0 + dx, y0 + dy)
