"""A poster with one large QR code: a document (option `code`) or the congress home page.

Size rule: a phone camera reads a code when each module covers about three of its pixels.
A typical 12 MP main camera sees roughly 0.3 mrad per pixel (≈ 70° over 4,000 pixels), so a
module must span about 1 mrad, i.e. 1 mm per metre of distance, plus a safety margin: we
keep modules ≥ 4 mm for reading from 3 m. A document address (version 2, 25 modules + 8 of
quiet zone) printed 160 mm wide on A4 gives 4.8 mm modules; A3 and A2 scale everything by
√2 and 2 (6.8 and 9.7 mm modules, for 5 m and 7 m halls). A longer PUBLIC_BASE_URL makes a
larger symbol with smaller modules: test_print_sheets checks the rule for the test address.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..models import Congress
from ..services import documents as document_service
from ..services.errors import InputRefused
from .cache import cached_pdf
from .editions import Edition
from .qr_sheet import congress_context, document_entry, edition_documents, parse_choice, qr_images

KIND = "poster"
TEMPLATES = ("pdf/poster.html",)
VERSION = "1"

# Portrait page sizes (mm) and the factor every length of the A4 design is scaled by.
SIZES: dict[str, dict] = {
    "a4": {"page": "A4", "width": 210, "height": 297, "scale": 1.0},
    "a3": {"page": "A3", "width": 297, "height": 420, "scale": 1.4142},
    "a2": {"page": "A2", "width": 420, "height": 594, "scale": 2.0},
}
DEFAULT_SIZE = "a4"
# On A4 (mm): page margin and QR width, quiet zone included.
A4_MARGIN = 15
A4_QR = 160


def parse_options(args: Mapping[str, str]) -> dict:
    """`size` (a4, a3, a2; default a4) and `code` (a document code; "" for the home page)."""
    raw = (args.get("code") or "").strip()
    code = document_service.normalise_code(raw) if raw else ""
    if code is None:
        raise InputRefused(_l("There is no document with the code “%(code)s”.", code=raw),
                           status=404, field="code")
    return {"size": parse_choice(args, "size", SIZES, DEFAULT_SIZE), "code": code}


def poster_context(congress: Congress, edition: Edition, options: dict) -> dict:
    """Everything the poster prints; InputRefused (404) for a code this edition may not see."""
    base = congress_context(congress, edition)
    size = SIZES[options["size"]]
    if options["code"]:
        documents = [d for d in edition_documents(congress, edition)
                     if d.code == options["code"]]
        if not documents:
            raise InputRefused(
                _l("There is no document with the code “%(code)s”.", code=options["code"]),
                status=404, field="code",
            )
        target = document_entry(documents[0], current_app.config["PUBLIC_BASE_URL"])
    else:
        home = base["home"]
        target = {"code": "", "title": _("Congress documents and programme"),
                  "category": "", "restricted": "", **home}
    scale = size["scale"]
    return {
        **base,
        "options": options,
        "labels": {
            "title": _("Poster"),
            "scan_hint": _("Scan with your phone's camera to open"),
            "code": _("Code"),
        },
        "page": {**size, "margin": round(A4_MARGIN * scale, 2), "qr": round(A4_QR * scale, 2)},
        "target": target,
    }


def poster_html(context: dict) -> str:
    template = current_app.jinja_env.get_template(TEMPLATES[0])
    return template.render(**context, qr_images=qr_images([context["target"]["payload"]]))


def render(congress: Congress, edition: Edition, options: dict) -> Path:
    """Path of the poster PDF, rendered only if what it prints changed."""
    context = poster_context(congress, edition, options)
    return cached_pdf(KIND, context, poster_html, templates=TEMPLATES, version=VERSION)
