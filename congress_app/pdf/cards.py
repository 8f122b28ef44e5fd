"""Delegate cards: A4 sheets of 8 cards or one A6 badge per page, with the personal QR code
and the PIN on the back of each card or on separate slips.

A card carries two secrets, the sign-in token in its QR code and the PIN. Unlike the
programme, nothing here is written to disk, QR images included: cards are rendered in memory
on request and handed straight to the organiser who asked.
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass
from functools import lru_cache

import qrcode
from flask import current_app
from flask_babel import force_locale, get_locale, pgettext
from flask_babel import gettext as _
from PIL import Image
from sqlalchemy import select

from .. import qr
from ..extensions import db
from ..labels import DELEGATE_KIND_LABELS as KIND_LABELS
from ..models import CheckIn, Congress, Delegate
from ..services import delegates as delegate_service
from .render import PRINTER_MARGIN_MM, nfc, render_pdf

TEMPLATE = "pdf/cards.html"
LAYOUTS = ("a4", "a6")
PIN_MODES = ("back", "slip")
SIGN_IN_PATH = "/delegate/sign-in"


@dataclass(frozen=True)
class Grid:
    """Where the pieces sit on an A4 page (mm): cards 95 × 68 mm, slips 63 × 34 mm.

    The grid is centred left to right, so the back of a sheet, with its columns swapped,
    lands exactly behind the front when printed double-sided. The card grid sits 1.25 mm above
    centre, so the band under it holds two lines of warning clear of the unprintable strip.
    """

    columns: int
    rows: int
    width: float
    height: float
    left: float
    top: float

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def xs(self) -> list[float]:
        return [round(self.left + c * self.width, 2) for c in range(self.columns + 1)]

    def ys(self) -> list[float]:
        return [round(self.top + r * self.height, 2) for r in range(self.rows + 1)]


A4_WIDTH, A4_HEIGHT = 210, 297
CARD_GRID = Grid(columns=2, rows=4, width=95, height=68, left=10, top=11.25)
SLIP_GRID = Grid(columns=3, rows=8, width=63, height=34, left=10.5, top=12.5)
# The QR code's PNG has 16 pixels per module, module-aligned: print resolution for the
# 26 mm card code (about 580 ppi for a version-3 symbol) and the 46 mm badge (about 330 ppi),
# so no printer or viewer smooths the module edges; an 8-bit grey PNG of blocks stays small
# and WeasyPrint embeds it as it is.
QR_BOX_SIZE = 16
# As qr.render_qr draws every code: medium error correction, the standard 4-module quiet zone.
QR_ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
QR_BORDER = 4


@dataclass(frozen=True)
class Card:
    """What one card prints about one delegate, its secrets included."""

    number: str
    name: str
    name_size: str
    kind: str
    kind_label: str
    unit: str
    place: str
    qr: str
    pin: str


def card_delegates(
    congress: Congress, *, group: str | None = None, without_checkin: bool = False
) -> list[Delegate]:
    """Active delegates of the congress by number; deactivated ones never get a card."""
    query = (
        select(Delegate)
        .where(Delegate.congress_id == congress.id, Delegate.active.is_(True))
        .order_by(Delegate.number)
    )
    if group:
        query = query.where(Delegate.discussion_group == group)
    if without_checkin:
        query = query.where(~select(CheckIn.id).where(CheckIn.delegate_id == Delegate.id).exists())
    return list(db.session.scalars(query))


def discussion_groups(congress: Congress) -> list[str]:
    """The discussion groups of the active delegates, in order."""
    return list(db.session.scalars(
        select(Delegate.discussion_group)
        .where(Delegate.congress_id == congress.id, Delegate.active.is_(True),
               Delegate.discussion_group != "")
        .distinct()
        .order_by(Delegate.discussion_group)
    ))


def number_text(number: int) -> str:
    """Delegate numbers print with three digits, as on the roster: 7 → "007"."""
    return f"{number:03d}"


def congress_lines(congress: Congress) -> tuple[str, str]:
    """The organisation and the congress without it, for the band at the top of a card:
    ("Đảng bộ phường Thanh Xuân", "Đại hội đại biểu lần thứ I, nhiệm kỳ 2025–2030")."""
    organisation, title = nfc(congress.organisation).strip(), nfc(congress.title).strip()
    rest = title.replace(organisation, " ") if organisation else title
    rest = re.sub(r"\s+([,;.])", r"\1", " ".join(rest.split())).strip(" ,;")
    return organisation, rest or title


def qr_png(payload: str) -> bytes:
    """The card's QR code as an 8-bit grey PNG, QR_BOX_SIZE pixels per module.

    qrcode draws the symbol (and picks its mask); the PNG is written here because WeasyPrint
    embeds an 8-bit grey image as it is, while it converts qrcode's 1-bit PNG to RGB and
    re-encodes it: 168 times per print.
    """
    code = qrcode.QRCode(error_correction=QR_ERROR_CORRECTION, border=QR_BORDER)
    code.add_data(payload, optimize=0)
    code.make(fit=True)
    matrix = code.get_matrix()  # quiet zone included
    side = len(matrix)
    pixels = b"".join(bytes(0 if dark else 255 for dark in row) for row in matrix)
    image = Image.frombytes("L", (side, side), pixels).resize(
        (side * QR_BOX_SIZE, side * QR_BOX_SIZE), Image.Resampling.NEAREST)
    png = io.BytesIO()
    image.save(png, format="PNG")
    return png.getvalue()


@lru_cache(maxsize=2048)
def _qr_data_uri(payload: str) -> str:
    """The QR code as an embedded PNG, kept in this process's memory only (it is a secret)."""
    return "data:image/png;base64," + base64.b64encode(qr_png(payload)).decode("ascii")


@lru_cache
def guides_data_uri(grid: Grid) -> str:
    """The cutting guides of a page as one SVG background: light dashed lines along every
    cut and crop marks in the margin. One image for all pages is far cheaper for WeasyPrint
    than hundreds of bordered boxes."""
    xs, ys = grid.xs(), grid.ys()
    top, bottom, left, right = ys[0], ys[-1], xs[0], xs[-1]
    cuts, marks = [], []
    for x in xs:
        cuts.append(f"M{x} {top}V{bottom}")
        marks.append(f"M{x} {top - 8}V{top - 2}M{x} {bottom + 2}V{bottom + 8}")
    for y in ys:
        cuts.append(f"M{left} {y}H{right}")
        marks.append(f"M{left - 8} {y}H{left - 2}M{right + 2} {y}H{right + 8}")
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{A4_WIDTH}mm" height="{A4_HEIGHT}mm" '
        f'viewBox="0 0 {A4_WIDTH} {A4_HEIGHT}" fill="none">'
        f'<path d="{"".join(cuts)}" stroke="#b4b4b4" stroke-width="0.12" '
        f'stroke-dasharray="1.2 0.9"/>'
        f'<path d="{"".join(marks)}" stroke="#222" stroke-width="0.15"/></svg>'
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def _name_size(name: str) -> str:
    """Long names get a smaller type size, so that they stay within two lines."""
    if len(name) > 30:
        return "long"
    return "medium" if len(name) > 22 else "short"


def _place(delegate: Delegate) -> str:
    """Discussion group and seat on one line: "Discussion group: Tổ 3 · Seat: A-12"."""
    parts = []
    if group := nfc(delegate.discussion_group).strip():
        parts.append(_("Discussion group: %(group)s", group=group))
    if seat := nfc(delegate.seat).strip():
        parts.append(_("Seat: %(seat)s", seat=seat))
    return " · ".join(parts)


def make_card(delegate: Delegate, base_url: str) -> Card:
    """The printable facts of one delegate, with the current token and PIN."""
    name = nfc(delegate.full_name).strip()
    token = delegate_service.card_token(delegate)
    return Card(
        number=number_text(delegate.number),
        name=name,
        name_size=_name_size(name),
        kind=delegate.kind.value,
        kind_label=str(KIND_LABELS[delegate.kind]),
        unit=nfc(delegate.unit).strip(),
        place=_place(delegate),
        qr=_qr_data_uri(qr.card_payload(base_url, token)),
        pin=delegate_service.card_pin(delegate),
    )


def _chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def grid_slots(cards: list[Card], grid: Grid, *, mirrored: bool = False):
    """(row, column, card) on one page, row by row. The back of a sheet swaps the columns,
    so that printed double-sided (flipping on the long edge) each back lands behind its own
    card."""
    slots = []
    for index, card in enumerate(cards):
        row, column = divmod(index, grid.columns)
        slots.append((row, grid.columns - 1 - column if mirrored else column, card))
    return slots


def cards_context(congress: Congress, delegates: list[Delegate], layout: str, pin: str) -> dict:
    """Everything the template prints, secrets included; never cached or logged."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown card layout {layout!r}")
    if pin not in PIN_MODES:
        raise ValueError(f"unknown PIN mode {pin!r}")
    base_url = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    cards = [make_card(d, base_url) for d in delegates]
    organisation, congress_name = congress_lines(congress)
    sheets = _chunks(cards, CARD_GRID.per_page) if layout == "a4" else []
    slip_pages = _chunks(cards, SLIP_GRID.per_page) if pin == "slip" else []
    sign_in_url = base_url + SIGN_IN_PATH
    return {
        "locale": str(get_locale()),
        "layout": layout,
        "pin": pin,
        "organisation": organisation,
        "congress_name": congress_name,
        "title": nfc(congress.title),
        "cards": cards,
        "card_grid": CARD_GRID,
        "slip_grid": SLIP_GRID,
        "card_guides": guides_data_uri(CARD_GRID),
        "slip_guides": guides_data_uri(SLIP_GRID),
        "sheets": [
            {
                "front": grid_slots(sheet, CARD_GRID),
                "back": grid_slots(sheet, CARD_GRID, mirrored=True),
                "front_caption": _("Delegate cards · sheet %(num)d of %(total)d · front",
                                   num=n, total=len(sheets)),
                "back_caption": _(
                    "Delegate cards · sheet %(num)d of %(total)d · back: print double-sided, "
                    "flipping on the long edge", num=n, total=len(sheets)),
            }
            for n, sheet in enumerate(sheets, start=1)
        ],
        "slip_pages": [
            {
                "slots": grid_slots(page, SLIP_GRID),
                "caption": _("PIN slips · page %(num)d of %(total)d",
                             num=n, total=len(slip_pages)),
            }
            for n, page in enumerate(slip_pages, start=1)
        ],
        "sign_in_url": sign_in_url,
        "printer_margin": PRINTER_MARGIN_MM,
        "local_warning": (
            _("These QR codes open %(url)s, which phones in the hall cannot reach. "
              "Set PUBLIC_BASE_URL to the public address before printing.", url=base_url)
            if qr.is_local_base_url(base_url) else ""
        ),
        "labels": {
            "title": _("Delegate cards"),
            "number": pgettext("delegate number", "No."),
            "scan_hint": _("Scan the code to open the congress documents"),
            "sign_in": _("Personal sign-in"),
            "no_camera": _("Cannot scan the code? Open this address, enter your number and PIN:"),
            "keep_secret": _("Keep your card and PIN to yourself."),
        },
    }


def render_cards_pdf(
    congress: Congress, delegates: list[Delegate], *, layout: str = "a4", pin: str = "back",
    language: str | None = None,
) -> bytes:
    """The cards of these delegates as PDF bytes, rendered in memory (they hold secrets).

    `language` is the language of the printout (None: the current one).
    """
    with force_locale(language or str(get_locale())):
        context = cards_context(congress, delegates, layout, pin)
        html = current_app.jinja_env.get_template(TEMPLATE).render(**context)
    return render_pdf(html)
