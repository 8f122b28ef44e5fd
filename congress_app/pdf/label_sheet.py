"""QR stickers on standard A4 label paper: code, short code and title on every label.

The labels are placed at the stock's published geometry (mm, A4 portrait 210 × 297):

| layout | stock (e.g.)          | label       | left / top margin | pitch across / down |
|--------|-----------------------|-------------|-------------------|---------------------|
| 3x7    | Avery L7160, 21/sheet | 63.5 × 38.1 | 7.25 / 15.15      | 66.0 / 38.1         |
| 3x8    | Avery 3474, 24/sheet  | 70 × 37     | 0 / 0.5           | 70 / 37             |
| 4x10   | Avery 3657, 40/sheet  | 48.5 × 25.4 | 8 / 21.5          | 48.5 / 25.4         |

so the page has `@page { margin: 0 }` and the labels are absolutely placed. Print at 100 %
("actual size", no "fit to page"): any scaling moves the later rows off their labels.
The 3x8 stock runs edge to edge, so its labels keep their ink 8.5 mm in from the label's
edges: the outer labels' text and code stay clear of the strip printers cannot print
(PRINTER_MARGIN_MM); each QR carries its own quiet zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..models import Congress
from ..services.errors import InputRefused
from .cache import cached_pdf
from .editions import Edition
from .qr_sheet import (
    category_line,
    chunks,
    congress_context,
    document_entry,
    edition_documents,
    parse_category,
    parse_choice,
    qr_images,
)

KIND = "labels"
TEMPLATES = ("pdf/label_sheet.html",)
VERSION = "2"

# Geometry of each stock (mm) and how a label is laid out on it: QR size (quiet zone
# included), inner padding, code and title type sizes (pt) and the title's line budget.
LAYOUTS: dict[str, dict] = {
    "3x7": {"stock": "Avery L7160", "columns": 3, "rows": 7, "width": 63.5, "height": 38.1,
            "left": 7.25, "top": 15.15, "pitch_x": 66.0, "pitch_y": 38.1,
            "qr": 32, "pad_x": 2.5, "pad_y": 3, "code_pt": 13, "title_pt": 7.5, "lines": 5},
    "3x8": {"stock": "Avery 3474", "columns": 3, "rows": 8, "width": 70.0, "height": 37.0,
            "left": 0.0, "top": 0.5, "pitch_x": 70.0, "pitch_y": 37.0,
            "qr": 24, "pad_x": 8.5, "pad_y": 8.5, "code_pt": 12, "title_pt": 7.5, "lines": 3},
    "4x10": {"stock": "Avery 3657", "columns": 4, "rows": 10, "width": 48.5, "height": 25.4,
             "left": 8.0, "top": 21.5, "pitch_x": 48.5, "pitch_y": 25.4,
             "qr": 21, "pad_x": 1.5, "pad_y": 2.2, "code_pt": 10, "title_pt": 6, "lines": 3},
}
DEFAULT_LAYOUT = "3x7"


def parse_options(args: Mapping[str, str]) -> dict:
    """`layout` (3x7, 3x8, 4x10; default 3x7) and `category` ("" for all)."""
    return {
        "layout": parse_choice(args, "layout", LAYOUTS, DEFAULT_LAYOUT),
        "category": parse_category(args),
    }


def label_positions(layout: str) -> list[tuple[float, float]]:
    """Top-left corner (mm from the sheet's top-left) of every label, row by row."""
    stock = LAYOUTS[layout]
    return [
        (round(stock["left"] + c * stock["pitch_x"], 3),
         round(stock["top"] + r * stock["pitch_y"], 3))
        for r in range(stock["rows"])
        for c in range(stock["columns"])
    ]


def text_width(stock: dict) -> float:
    """Width of a label's text column (mm): right of the code, inside the label's padding."""
    return stock["width"] - (stock["pad_x"] + stock["qr"] - 1) - stock["pad_x"]


def label_sheet_context(congress: Congress, edition: Edition, options: dict) -> dict:
    """Everything the labels print, as JSON-able data; InputRefused (404) if nothing matches."""
    base_url = current_app.config["PUBLIC_BASE_URL"]
    documents = edition_documents(congress, edition, options["category"])
    if not documents:
        raise InputRefused(
            _l("No document of this edition matches: there is nothing to print."), status=404
        )
    stock = LAYOUTS[options["layout"]]
    category_pt = max(stock["title_pt"] - 1, 5.5)
    return {
        **congress_context(congress, edition),
        "options": options,
        "labels": {"title": _("QR code labels")},
        "stock": {**stock, "category_pt": category_pt},
        "positions": label_positions(options["layout"]),
        "documents": [
            {**entry, **category_line(entry, text_width(stock), category_pt)}
            for entry in (document_entry(d, base_url) for d in documents)
        ],
    }


def label_sheet_html(context: dict) -> str:
    """The label sheets as HTML: one page-sized container per sheet of labels."""
    template = current_app.jinja_env.get_template(TEMPLATES[0])
    return template.render(
        **context,
        pages=chunks(context["documents"], len(context["positions"])),
        qr_images=qr_images(d["payload"] for d in context["documents"]),
    )


def render(congress: Congress, edition: Edition, options: dict) -> Path:
    """Path of the label sheet PDF, rendered only if what it prints changed."""
    context = label_sheet_context(congress, edition, options)
    return cached_pdf(KIND, context, label_sheet_html, templates=TEMPLATES, version=VERSION)
