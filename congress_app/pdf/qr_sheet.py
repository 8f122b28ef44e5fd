"""The QR sheet: every document of an edition (or of one category) as a grid of codes on A4,
to cut apart and pin up, with light dashed cutting guides between the cells.

It also holds what the other print-centre sheets share (options, document entries, the
congress header), so a poster, a tent and a label sheet list documents exactly alike.
Each cell has a fixed size and is absolutely placed on its page, so a long title is clamped
inside its cell and can never push the grid onto another page. A category line is cut to its
width here, by the font's own measure, so the ellipsis and the delegates-only marker are
really printed (CSS clipping would hide the marker and leave it in the PDF's text).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from PIL import ImageFont

from .. import qr
from ..labels import CATEGORY_LABELS, VISIBILITY_LABELS
from ..models import Congress, Document, DocumentCategory, Visibility
from ..services import congress as congress_service
from ..services import visibility as visibility_service
from ..services.errors import InputRefused
from .cache import cached_pdf
from .editions import Edition, edition_viewer
from .render import STATIC_ROOT, css_string, nfc, page_counter_content

KIND = "qrsheet"
TEMPLATES = ("pdf/qr_sheet.html",)
VERSION = "2"

A4 = (210.0, 297.0)
# Page margins (mm): the header line and page numbers sit in the top and bottom margins.
SHEET_MARGINS = {"top": 16.0, "right": 10.0, "bottom": 14.0, "left": 10.0}
# A cell's padding left and right (mm).
CELL_PADDING = 3.0
# Per grid (columns × rows): QR size (mm, quiet zone included), code and title type sizes
# (pt) and how many lines a title may take before it is clamped.
GRIDS: dict[str, dict] = {
    "2x3": {"columns": 2, "rows": 3, "qr": 55, "code_pt": 20, "title_pt": 11, "lines": 3},
    "3x4": {"columns": 3, "rows": 4, "qr": 40, "code_pt": 15, "title_pt": 8.5, "lines": 2},
    "4x5": {"columns": 4, "rows": 5, "qr": 30, "code_pt": 12, "title_pt": 7, "lines": 2},
}
DEFAULT_GRID = "3x4"
# With a local address the warning gets a band of its own above the grid (mm), on every page:
# the cells are that much shorter, so the warning never covers a code or its quiet zone.
WARNING_BAND = 10.0
MM_PER_PT = 25.4 / 72
# The category lines' typeface (print.css, weight 600) and how a cut line ends.
CATEGORY_FONT = STATIC_ROOT / "fonts" / "be-vietnam-pro" / "BeVietnamPro_600SemiBold.ttf"
ELLIPSIS = "…"
SEPARATOR = " · "
# A category cut shorter than this ("Báo cáo…") says too little to share a line with a marker.
MIN_CATEGORY_WORDS = 2


def parse_choice(args: Mapping[str, str], key: str, choices: Iterable[str], default: str) -> str:
    """One option from a fixed list; missing or blank gives the default, anything else refuses."""
    choices = list(choices)
    value = (args.get(key) or "").strip().lower()
    if not value:
        return default
    if value not in choices:
        raise InputRefused(
            _l("Unknown %(option)s “%(value)s”: choose one of %(choices)s.",
               option=key, value=value, choices=", ".join(choices)),
            field=key,
        )
    return value


def parse_category(args: Mapping[str, str]) -> str:
    """A DocumentCategory value, or "" for every category."""
    return parse_choice(args, "category", [c.value for c in DocumentCategory], "")


def restricted_note(document: Document) -> str:
    """Why a document is not for everyone, marked on organisers' prints as on the programme."""
    notes = []
    if document.visibility != Visibility.PUBLIC:
        notes.append(str(VISIBILITY_LABELS[document.visibility]))
    if not document.published:
        notes.append(_("Not published"))
    return " · ".join(notes)


def document_entry(document: Document, base_url: str) -> dict:
    """What a sheet prints about one document, as plain JSON-able data."""
    url = qr.document_url(base_url, document.code)
    return {
        "code": document.code,
        "title": nfc(document.title),
        "category": str(CATEGORY_LABELS[document.category]),
        "payload": qr.qr_payload(base_url, document.code),
        "url": url,
        "short_url": qr.short_url(url),
        "restricted": restricted_note(document),
    }


@lru_cache
def _category_font() -> ImageFont.FreeTypeFont:
    """The category typeface at 1,000 px per em: lengths read in thousandths of an em."""
    return ImageFont.truetype(str(CATEGORY_FONT), 1000)


def text_width_mm(text: str, size_pt: float, *, uppercase: bool = False,
                  tracking_em: float = 0.0) -> float:
    """How wide one line of category type is (mm): the font's advances, shaped and kerned as
    WeasyPrint sets them, plus the CSS letter-spacing after every character. (A Pillow without
    raqm skips the kerning and measures a little wide: the line is only cut sooner.)"""
    shown = text.upper() if uppercase else text
    ems = _category_font().getlength(shown) / 1000 + tracking_em * len(shown)
    return ems * size_pt * MM_PER_PT


def shorten(text: str, fits: Callable[[str], bool]) -> str:
    """`text`, or its longest start (whole words when one fits) ending in "…", that `fits`."""
    if fits(text):
        return text
    words = text.split()
    for count in range(len(words) - 1, 0, -1):
        candidate = " ".join(words[:count]).rstrip(",;:.-–") + ELLIPSIS
        if fits(candidate):
            return candidate
    for length in range(len(text) - 1, 0, -1):
        candidate = text[:length].rstrip() + ELLIPSIS
        if fits(candidate):
            return candidate
    return ELLIPSIS


def category_line(entry: dict, width_mm: float, size_pt: float, *, uppercase: bool = False,
                  tracking_em: float = 0.0) -> dict:
    """The category and the restricted marker ("Chỉ đại biểu") as set on lines of `width_mm`.

    The marker is never cut: the category gives way, ending in "…". When that would leave less
    than the category's first two words, the marker goes under it (`marker_lines`, broken only
    between its parts), and the sheet gives the title as many lines less.
    """
    # Pillow shapes with HarfBuzz as WeasyPrint does (within 0.02 mm); the slack is for rounding.
    usable = width_mm - 0.2

    def fits(text: str) -> bool:
        return text_width_mm(text, size_pt, uppercase=uppercase,
                             tracking_em=tracking_em) <= usable

    category, marker = entry["category"], entry["restricted"]
    if marker:
        short = shorten(category, lambda text: fits(text + SEPARATOR + marker))
        if short == category or len(short.split()) >= MIN_CATEGORY_WORDS:
            return {"category": short, "restricted": marker, "marker_lines": []}
    lines: list[str] = []
    for part in marker.split(SEPARATOR) if marker else []:
        if lines and fits(lines[-1] + SEPARATOR + part):
            lines[-1] += SEPARATOR + part
        else:
            lines.append(part)
    return {"category": shorten(category, fits), "restricted": marker, "marker_lines": lines}


def edition_documents(congress: Congress, edition: Edition, category: str = "") -> list[Document]:
    """The documents this edition may print, in programme order, optionally of one category."""
    documents = visibility_service.list_documents(congress, edition_viewer(edition, congress))
    if category:
        documents = [d for d in documents if d.category == DocumentCategory(category)]
    return documents


def congress_context(congress: Congress, edition: Edition) -> dict:
    """The part of every sheet's context that is about the congress and the edition."""
    base_url = current_app.config["PUBLIC_BASE_URL"]
    # Several congresses on the instance: the home code opens this congress, not the list.
    slug = congress.slug if congress_service.congress_count() > 1 else None
    home = qr.home_url(base_url, slug)
    return {
        "locale": str(get_locale()),
        "edition": edition.value,
        "base_url": base_url,
        "home": {"payload": qr.home_payload(base_url, slug), "url": home,
                 "short_url": qr.short_url(home)},
        "congress": {"title": nfc(congress.title), "organisation": nfc(congress.organisation)},
        "local_warning": (
            _("These QR codes open %(url)s, which phones in the hall cannot reach. "
              "Set PUBLIC_BASE_URL to the public address before printing.", url=base_url)
            if qr.is_local_base_url(base_url) else ""
        ),
    }


def qr_images(payloads: Iterable[str]) -> dict[str, str]:
    """Each payload's symbol as an embedded SVG, from the shared on-disk QR cache."""
    return {payload: qr.qr_data_uri(payload, "svg") for payload in payloads}


def chunks(items: Sequence, size: int) -> list[list]:
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def parse_options(args: Mapping[str, str]) -> dict:
    """`grid` (2x3, 3x4, 4x5; default 3x4) and `category` ("" for all)."""
    return {
        "grid": parse_choice(args, "grid", GRIDS, DEFAULT_GRID),
        "category": parse_category(args),
    }


@lru_cache
def guides_data_uri(columns: int, rows: int, width: float, height: float) -> str:
    """Light dashed cutting guides along every cell edge, as one SVG page background:
    far cheaper for WeasyPrint than a border on every cell."""
    xs = [round(width * c / columns, 2) for c in range(columns + 1)]
    ys = [round(height * r / rows, 2) for r in range(rows + 1)]
    path = "".join(f"M{x} 0V{height}" for x in xs) + "".join(f"M0 {y}H{width}" for y in ys)
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}mm" height="{height}mm" '
        f'viewBox="0 0 {width} {height}" fill="none"><path d="{path}" stroke="#b4b4b4" '
        f'stroke-width="0.15" stroke-dasharray="1.2 0.9"/></svg>'
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def qr_sheet_context(congress: Congress, edition: Edition, options: dict) -> dict:
    """Everything the sheet prints, as JSON-able data; InputRefused (404) if nothing matches."""
    base_url = current_app.config["PUBLIC_BASE_URL"]
    documents = edition_documents(congress, edition, options["category"])
    if not documents:
        raise InputRefused(
            _l("No document of this edition matches: there is nothing to print."), status=404
        )
    grid = GRIDS[options["grid"]]
    base = congress_context(congress, edition)
    band = WARNING_BAND if base["local_warning"] else 0.0
    width = A4[0] - SHEET_MARGINS["left"] - SHEET_MARGINS["right"]
    # Half a millimetre short of the page area, so rounding never spills a sheet over a page.
    height = A4[1] - SHEET_MARGINS["top"] - SHEET_MARGINS["bottom"] - 0.5 - band
    cell_width = round(width / grid["columns"], 3)
    category_pt = max(grid["title_pt"] - 1.5, 6)
    return {
        **base,
        "options": options,
        "labels": {
            "title": _("QR codes"),
            "scan_hint": _("Scan a QR code with your phone's camera to open the document."),
            "page": _("Page %(page)s of %(pages)s"),
        },
        "grid": {**grid, "width": width, "height": height, "band": band,
                 "cell_width": cell_width, "cell_height": round(height / grid["rows"], 3),
                 "category_pt": category_pt},
        "documents": [
            {**entry, **category_line(entry, cell_width - 2 * CELL_PADDING, category_pt,
                                      uppercase=True, tracking_em=0.04)}
            for entry in (document_entry(d, base_url) for d in documents)
        ],
    }


def qr_sheet_html(context: dict) -> str:
    """The sheet as HTML, one absolutely placed container per page."""
    grid = context["grid"]
    template = current_app.jinja_env.get_template(TEMPLATES[0])
    return template.render(
        **context,
        pages=chunks(context["documents"], grid["columns"] * grid["rows"]),
        qr_images=qr_images(d["payload"] for d in context["documents"]),
        guides=guides_data_uri(grid["columns"], grid["rows"], grid["width"], grid["height"]),
        cell_padding=CELL_PADDING,
        header_left=Markup(css_string(context["congress"]["title"])),
        header_right=Markup(css_string(context["labels"]["scan_hint"])),
        page_content=Markup(page_counter_content(context["labels"]["page"])),
    )


def render(congress: Congress, edition: Edition, options: dict) -> Path:
    """Path of the QR sheet PDF, rendered only if what it prints changed."""
    context = qr_sheet_context(congress, edition, options)
    return cached_pdf(KIND, context, qr_sheet_html, templates=TEMPLATES, version=VERSION)
