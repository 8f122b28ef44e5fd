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

from ..models import Congress, Document, Visibility
from ..numbers import whole_number
from ..services import congress as congress_service
from ..services import documents as document_service
from ..services import visibility as visibility_service
from ..services.errors import InputRefused
from .cache import cached_pdf
from .editions import Edition, edition_viewer
from .qr_sheet import congress_context, document_entry, parse_choice, qr_images
from .render import PRINTER_MARGIN_MM

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
# What the print centre's form sends: the organiser chose, so an empty choice is refused
# rather than silently replaced by the automatic pick.
CHOSEN = "chosen"
POSITION_MAX_DIGITS = 3


def documents_that_fit(size: str) -> int:
    """How many document codes fit beside the home code on one face of this sheet: the home
    cell takes its code, a 4 mm gutter and 2 mm of padding, each document its code and 2 mm
    (template: `.codes td`). A4 and A5 both hold 4."""
    sheet = SIZES[size]
    room = sheet["width"] - 2 * sheet["pad"] - (sheet["home_qr"] + 4 + 2)
    return int(room // (sheet["doc_qr"] + 2))


def limit_message(size: str) -> str:
    """The limit, as the print centre states it and a refusal repeats it."""
    return _l("At most %(num)d documents fit on an %(size)s tent.",
              num=documents_that_fit(size), size=SIZES[size]["page"])


def _values(args: Mapping[str, str], key: str) -> list[str]:
    """Every value of a query argument (the form sends one `codes` per ticked box)."""
    getlist = getattr(args, "getlist", None)
    return getlist(key) if getlist else [args.get(key) or ""]


def _position(args: Mapping[str, str], code: str) -> int | None:
    """The place the form gave a ticked document (`position-<CODE>`), None if left blank."""
    raw = (args.get(f"position-{code}") or "").strip()
    if not raw:
        return None
    position = whole_number(raw, 10**POSITION_MAX_DIGITS - 1)
    if position is None:
        raise InputRefused(_l("The place of the document “%(code)s” must be a whole number, "
                              "such as 1 or 2.", code=code), field="codes")
    return position


def chosen_codes(args: Mapping[str, str]) -> list[str]:
    """The document codes asked for, in the order to print: as listed, unless the form
    numbered them (`position-<CODE>`; unnumbered ones follow, in their listed order)."""
    codes: list[str] = []
    for raw in re.split(r"[\s,;]+", ",".join(_values(args, "codes"))):
        if not raw:
            continue
        code = document_service.normalise_code(raw)
        if code is None:
            raise InputRefused(_l("There is no document with the code “%(code)s”.",
                                  code=raw[:40]), status=404, field="codes")
        if code not in codes:
            codes.append(code)
    placed = [(_position(args, code), n, code) for n, code in enumerate(codes)]
    return [code for place, _n, code in sorted(
        placed, key=lambda p: (p[0] is None, p[0] or 0, p[1]))]


def parse_options(args: Mapping[str, str]) -> dict:
    """`size` (a4, a5; default a4) and `codes`: the documents to print, in order (comma- or
    space-separated, or one `codes` per ticked box, each placed by its `position-<CODE>`);
    none for the automatic pick, unless `pick=chosen` says the organiser chose none."""
    size = parse_choice(args, "size", SIZES, DEFAULT_SIZE)
    codes = chosen_codes(args)
    if not codes and args.get("pick") == CHOSEN:
        raise InputRefused(_l("Tick at least one document to put on the tent.")
                           + " " + limit_message(size), field="codes")
    if len(codes) > documents_that_fit(size):
        raise InputRefused(limit_message(size) + " " + _l(
            "You chose %(count)d: untick some, or print a second tent.", count=len(codes)),
            field="codes")
    return {"size": size, "codes": codes}


def main_documents(congress: Congress, edition: Edition) -> list[Document]:
    """The edition's documents, those linked from the programme's items first (in programme
    order), then the others in programme order."""
    viewer = edition_viewer(edition, congress)
    ordered: dict[int, Document] = {}
    for session in congress_service.programme(congress, viewer):
        for item in session.items:
            for document in item.documents:
                ordered.setdefault(document.id, document)
    for document in visibility_service.list_documents(congress, viewer):
        ordered.setdefault(document.id, document)
    return list(ordered.values())


def offered_documents(congress: Congress) -> list[Document]:
    """What the print centre offers for a tent: the published documents a delegate at the
    table may open (public, and delegates-only, which the tent marks as such), in the
    automatic pick's order. Organisers-only and unpublished ones never go on a table."""
    return main_documents(congress, Edition.DELEGATES)


def automatic_pick(congress: Congress, edition: Edition, size: str) -> list[Document]:
    """The tent's documents when none are chosen: the edition's first, programme first."""
    return main_documents(congress, edition)[:documents_that_fit(size)]


def chosen_documents(congress: Congress, edition: Edition, codes: list[str]) -> list[Document]:
    """The documents the codes name, in that order. Only this congress's documents are
    looked up, so another congress's code is as unknown as a made-up one (404); one of ours
    that is deleted, or that this edition may not print, is refused by name."""
    printable = {d.code: d for d in main_documents(congress, edition)}
    ours = {d.code: d for d in document_service.congress_documents(congress,
                                                                   include_deleted=True)}
    for code in codes:
        if code in printable:
            continue
        document = ours.get(code)
        if document is None:
            message = _l("There is no document with the code “%(code)s”.", code=code)
        elif document.is_deleted:
            message = _l("The document “%(title)s” (%(code)s) has been deleted: choose the "
                         "tent's documents again.", title=document.title, code=code)
        elif document.visibility == Visibility.DELEGATES and document.published:
            message = _l("“%(title)s” (%(code)s) is for delegates only: choose the delegates' "
                         "edition to put it on the tent.", title=document.title, code=code)
        else:
            message = _l("“%(title)s” (%(code)s) is for the organisers only or not published: "
                         "it never goes on a tent for the tables.", title=document.title,
                         code=code)
        raise InputRefused(message, status=404, field="codes")
    return [printable[code] for code in codes]


def table_tent_context(congress: Congress, edition: Edition, options: dict) -> dict:
    """Everything the tent prints; InputRefused (404) for a code this edition may not see."""
    if options["codes"]:
        documents = chosen_documents(congress, edition, options["codes"])
    else:
        documents = automatic_pick(congress, edition, options["size"])
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
        "printer_margin": PRINTER_MARGIN_MM,
        "documents": [document_entry(d, base_url) for d in documents],
    }


def table_tent_html(context: dict) -> str:
    template = current_app.jinja_env.get_template(TEMPLATES[0])
    payloads = [context["home"]["payload"], *(d["payload"] for d in context["documents"])]
    return template.render(**context, qr_images=qr_images(payloads))


def render(congress: Congress, edition: Edition, options: dict) -> Path:
    """Path of the table tent PDF, rendered only if what it prints changed."""
    context = table_tent_context(congress, edition, options)
    return cached_pdf(KIND, context, table_tent_html, templates=TEMPLATES, version=VERSION)
