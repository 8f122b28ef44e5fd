"""No ink in the strip printers cannot print: every page of the delegate cards (A4 sheets,
A6 badges, PIN slips), the label sheets, the QR sheets and the poster keeps all it prints at
least PRINTER_MARGIN_MM from the paper's edge. Only the cards' crop marks reach further, by
design: a mark runs from the grid outwards, so the part a printer leaves out costs nothing,
and the dashed guides along every cut remain. Real PDFs through the print centre's routes,
rasterised with pdfium, with the local-address warning and long texts (the worst case)."""

from __future__ import annotations

import math

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw

from congress_app.pdf.cards import CARD_GRID, SLIP_GRID, Grid
from congress_app.pdf.render import PRINTER_MARGIN_MM

from .conftest import add_delegates

pytestmark = [pytest.mark.database_agnostic, pytest.mark.agnostic_in_sqlite]

DPI = 150
PX_PER_MM = DPI / 25.4
# Half the width of the band masked along each crop mark (mm): the 0.15 mm stroke, smoothed.
MARK_HALF_WIDTH = 0.5
LOCAL_URL = "http://localhost:5000"
LONG_TITLE = ("Báo cáo chính trị của Ban Chấp hành Đảng bộ phường khóa trước trình Đại hội "
              "đại biểu lần thứ nhất, nhiệm kỳ 2025–2030, về phương hướng và nhiệm vụ")
LONG_NAME = "Tôn Nữ Thị Phương Thảo Nguyễn Hoàng Bảo Ngọc"
LONG_UNIT = "Chi bộ Khu dân cư số 12 và Tổ dân phố số 7, phường Thanh Xuân, thành phố Hà Nội"


def pages_of(pdf: bytes) -> list[Image.Image]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [page.render(scale=DPI / 72, grayscale=True).to_pil() for page in document]
    finally:
        document.close()


def without_crop_marks(image: Image.Image, grid: Grid | None) -> Image.Image:
    """The page with the crop marks of `grid` painted over, at the positions cards.py draws
    them: on the cut lines, in the margins only."""
    if grid is None:
        return image
    image = image.copy()
    draw = ImageDraw.Draw(image)
    width, height = (side / PX_PER_MM for side in image.size)
    strip, half = PRINTER_MARGIN_MM, MARK_HALF_WIDTH

    def blank(left: float, top: float, right: float, bottom: float) -> None:
        draw.rectangle([round(v * PX_PER_MM) for v in (left, top, right, bottom)], fill=255)

    # A millimetre past the strip too, where a mark crosses its inner edge.
    for x in grid.xs():
        blank(x - half, 0, x + half, strip + 1)
        blank(x - half, height - strip - 1, x + half, height)
    for y in grid.ys():
        blank(0, y - half, strip + 1, y + half)
        blank(width - strip - 1, y - half, width, y + half)
    return image


def ink_in_strip(image: Image.Image) -> dict[str, float]:
    """For each edge whose strip holds ink, how close the ink comes (mm from that edge)."""
    strip = math.ceil(PRINTER_MARGIN_MM * PX_PER_MM)
    width, height = image.size
    found = {}
    for edge, box in {"top": (0, 0, width, strip), "bottom": (0, height - strip, width, height),
                      "left": (0, 0, strip, height), "right": (width - strip, 0, width, height)
                      }.items():
        ink = image.crop(box).point(lambda v: 255 if v < 255 else 0).getbbox()
        if ink:
            near = {"top": ink[1], "bottom": strip - ink[3], "left": ink[0],
                    "right": strip - ink[2]}[edge]
            found[edge] = round(near / PX_PER_MM, 1)
    return found


def assert_clear_of_the_strip(pdf: bytes, grids: list[Grid | None]) -> None:
    pages = pages_of(pdf)
    assert len(pages) == len(grids)
    stray = {n: ink for n, (page, grid) in enumerate(zip(pages, grids, strict=True))
             if (ink := ink_in_strip(without_crop_marks(page, grid)))}
    assert stray == {}, f"ink closer than {PRINTER_MARGIN_MM} mm to the edge: {stray}"


@pytest.fixture
def local(app):
    """Printing from the organiser's laptop: every sheet carries the local-address warning."""
    app.config["PUBLIC_BASE_URL"] = LOCAL_URL


@pytest.fixture
def delegates(congress, local):
    """Nine delegates (a sheet and a bit of cards), one with a very long name and unit."""
    return (add_delegates(congress, 1, full_name=LONG_NAME, unit=LONG_UNIT)
            + add_delegates(congress, 8, start=2))


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("layout, pin", [("a4", "back"), ("a4", "slip"), ("a6", "back"),
                                         ("a6", "slip")])
def test_cards_badges_and_slips_keep_their_ink_off_the_edge(client, signed_in, delegates,
                                                            layout, pin, language):
    response = client.get(f"/organiser/print/cards.pdf?layout={layout}&pin={pin}"
                          f"&language={language}")
    assert response.status_code == 200

    count = len(delegates)
    if layout == "a4":
        sheets = math.ceil(count / CARD_GRID.per_page)
        fronts = [CARD_GRID] * (2 * sheets if pin == "back" else sheets)
    else:
        fronts = [None] * (2 * count if pin == "back" else count)  # A6 pages: no marks
    slips = [SLIP_GRID] * math.ceil(count / SLIP_GRID.per_page) if pin == "slip" else []
    assert_clear_of_the_strip(response.get_data(), fronts + slips)


def test_the_crop_marks_are_where_the_mask_expects_them(client, signed_in, delegates):
    """The masked bands hold the marks: without the mask, the strip has ink at exactly them."""
    pdf = client.get("/organiser/print/cards.pdf?layout=a4&pin=back").get_data()
    page = pages_of(pdf)[0]
    assert ink_in_strip(page)  # the marks themselves
    for x in CARD_GRID.xs():
        mark = page.crop((round((x - MARK_HALF_WIDTH) * PX_PER_MM), round(4 * PX_PER_MM),
                          round((x + MARK_HALF_WIDTH) * PX_PER_MM), round(7 * PX_PER_MM)))
        assert mark.point(lambda v: 255 if v < 128 else 0).getbbox(), x


@pytest.fixture
def documents(local, make_document, pdf_bytes):
    """Long titles, the longest category, documents for every audience."""
    pdf = pdf_bytes()
    return [make_document(title=f"{LONG_TITLE} ({n})", category="comments_summary", pdf=pdf,
                          visibility=("public", "delegates", "organisers")[n % 3],
                          published=n % 4 != 3)
            for n in range(26)]


@pytest.mark.parametrize("slug, query", [
    ("labels", "layout=3x7"), ("labels", "layout=3x8"), ("labels", "layout=4x10"),
    ("qr-sheet", "grid=2x3"), ("qr-sheet", "grid=3x4"), ("qr-sheet", "grid=4x5"),
    ("poster", "size=a4"), ("table-tent", "size=a4"), ("table-tent", "size=a5"),
])
def test_print_centre_sheets_keep_their_ink_off_the_edge(client, signed_in, documents, slug,
                                                         query):
    response = client.get(f"/organiser/print/{slug}.pdf?{query}&edition=organisers&language=vi")
    assert response.status_code == 200
    pdf = response.get_data()
    assert_clear_of_the_strip(pdf, [None] * len(pages_of(pdf)))

