"""A table tent for the delegates' tables: one sheet folded across the middle, both faces
alike (congress title, the home page's code, the main documents' codes).

The top half of the sheet is printed upside down (rotated 180°): folded into a tent, with
the fold as its ridge, both faces then read upright, one to each side of the table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..models import Congress, Document
from ..services import congress as congress_service
from ..services import documents as document_service
from ..services.errors import InputRefused
from .cache import cached_pdf
from .editions import Edition, edition_viewer
from .qr_sheet import congress_context, document_entry, parse_choice, qr_images

KIND = "tent"
TEMPLATES = ("pdf/table_tent.html",)
VERSION = "1"

# The sheet (portrait, mm); each face is its upper or lower half. Per size: face padding,
# QR sizes (quiet zone included: 21 mm leaves a symbol of at least 15 mm) and type sizes (pt).
SIZES: dict[str, dict] = {
    "a4": {"page": "A4", "width": 210, "height": 297, "pad": 12, "home_qr": 40, "doc_qr": 27,
           "title_pt": 13, "doc_pt": 7.5, "code_pt": 10},
    "a5": {"page": "A5", "width": 148, "height": 210, "pad": 9, "home_qr": 28, "doc_qr": 21,
           "title_pt": 9.5, "doc_pt": 5.8, "code_pt": 7.5},
}
DEFAULT_SIZE = "a4"
MAX_DOCUMENTS = 4


def parse_options(args: Mapping[str, str]) -> dict:
    """`size` (a4, a5; default a4) and `codes`: up to four document codes, comma- or
    space-separated, in the order to print; none for the first four in programme order."""
    codes = []
    for raw in re.split(r"[\s,;]+", args.get("codes") or ""):
        if not raw:
            continue
        code = document_service.normalise_code(raw)
        if code is None:
            raise InputRefused(_l("There is no document with the code “%(code)s”.", code=raw),
                               status=404, field="codes")
        if code not in codes:
            codes.append(code)
    if len(codes) > MAX_DOCUMENTS:
        raise InputRefused(_l("A table tent has room for %(num)d documents, not %(count)d.",
                              num=MAX_DOCUMENTS, count=len(codes)), field="codes")
    return {"size": parse_choice(args, "size", SIZES, DEFAULT_SIZE), "codes": codes}


def main_documents(congress: Congress, edition: Edition) -> list[Document]:
    """The edition's documents, those linked from the programme's items first (in programme
    order), then the others in programme order."""
    viewer = edition_viewer(edition, congress)
    ordered: dict[int, Document] = {}
    for session in congress_service.programme(congress, viewer):
        for item in session.items:
            for document in item.documents:
                ordered.setdefault(document.id, document)
    for document in document_service.list_documents(congress, viewer):
        ordered.setdefault(document.id, document)
    return list(ordered.values())


def table_tent_context(congress: Congress, edition: Edition, options: dict) -> dict:
    """Everything the tent prints; InputRefused (404) for a code this edition may not see."""
    documents = main_documents(congress, edition)
    if options["codes"]:
        by_code = {d.code: d for d in documents}
        missing = [c for c in options["codes"] if c not in by_code]
        if missing:
            raise InputRefused(_l("There is no document with the code “%(code)s”.",
                                  code=missing[0]), status=404, field="codes")
        documents = [by_code[c] for c in options["codes"]]
    base_url = current_app.config["PUBLIC_BASE_URL"]
    return {
        **congress_context(congress, edition),
        "options": options,
        "labels": {
            "title": _("Table tent"),
            "home": _("Programme and documents"),
            "scan_hint": _("Scan a QR code with your phone's camera to open the document."),
            "fold": _("Fold here"),
        },
        "sheet": SIZES[options["size"]],
        "documents": [document_entry(d, base_url) for d in documents[:MAX_DOCUMENTS]],
    }


def table_tent_html(context: dict) -> str:
    template = current_app.jinja_env.get_template(TEMPLATES[0])
    payloads = [context["home"]["payload"], *(d["payload"] for d in context["documents"])]
    return template.render(**context, qr_images=qr_images(payloads))


def render(congress: Congress, edition: Edition, options: dict) -> Path:
    """Path of the table tent PDF, rendered only if what it prints changed."""
    context = table_tent_context(congress, edition, options)
    return cached_pdf(KIND, context, table_tent_html, templates=TEMPLATES, version=VERSION)
