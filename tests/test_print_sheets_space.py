"""Room on the printed sheet: the local-address warning has a band of its own, clear of every
code and heading, and a long category line ends in "…" while the delegates-only marker is
always printed whole. Real PDFs, rasterised with pdfium and decoded with zxing."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pypdfium2 as pdfium
import pytest
import qrcode
import zxingcpp
from PIL import Image

from congress_app.pdf.printables import PRINTABLES

from .pdf_reading import scans

pytestmark = pytest.mark.database_agnostic

LOCAL_URL = "http://localhost:5000"
DPI = 150
PX_PER_MM = DPI / 25.4
# Darker than the cutting guides (#b4b4b4): text, codes and the warning's border.
INK = 160
LONG_TITLE = ("Báo cáo chính trị của Ban Chấp hành Đảng bộ phường khóa trước trình Đại hội "
              "đại biểu lần thứ nhất, nhiệm kỳ 2025–2030, về phương hướng và nhiệm vụ")
# The longest category label, in Vietnamese "Báo cáo tổng hợp ý kiến góp ý dự thảo văn kiện".
LONG_CATEGORY = "comments_summary"


@dataclass
class Box:
    """A rectangle on a page, in pixels at DPI from the top-left corner."""

    left: float
    top: float
    right: float
    bottom: float


@dataclass
class Page:
    """One rendered page: its picture, its text and the codes decoded on it."""

    image: Image.Image
    text: str
    codes: list


def render(app, slug: str, congress, **args) -> bytes:
    with app.test_request_context("/"):
        return PRINTABLES[slug].render(congress, args).read_bytes()


def read_pages(pdf: bytes) -> list[Page]:
    document = pdfium.PdfDocument(pdf)
    try:
        pages = []
        for page in document:
            image = page.render(scale=DPI / 72, grayscale=True).to_pil()
            pages.append(Page(image, page.get_textpage().get_text_range(), zxingcpp.read_barcodes(
                image, formats=zxingcpp.BarcodeFormat.QRCode)))
        return pages
    finally:
        document.close()


def text_boxes(pdf: bytes, page_index: int, needle: str) -> list[Box]:
    """Where each occurrence of `needle` is printed on a page (the union of its glyphs)."""
    document = pdfium.PdfDocument(pdf)
    try:
        page = document[page_index]
        height = page.get_height()
        text = page.get_textpage()
        searcher = text.search(needle, match_case=True)
        boxes = []
        while match := searcher.get_next():
            glyphs = [text.get_charbox(i) for i in range(match[0], match[0] + match[1])]
            boxes.append(Box(min(g[0] for g in glyphs) / 72 * DPI,
                             (height - max(g[3] for g in glyphs)) / 72 * DPI,
                             max(g[2] for g in glyphs) / 72 * DPI,
                             (height - min(g[1] for g in glyphs)) / 72 * DPI))
        return boxes
    finally:
        document.close()


def has_ink(image: Image.Image, box: Box) -> bool:
    crop = image.crop((int(box.left), int(box.top), int(box.right) + 1, int(box.bottom) + 1))
    return crop.point(lambda v: 255 if v < INK else 0).getbbox() is not None


def block_bottom(image: Image.Image, text: Box) -> int:
    """The last pixel row of the block printed around a text (its lines, padding and border):
    going down from the text, the first row with no ink across the page ends it."""
    row = int(text.bottom)
    while has_ink(image, Box(0, row, image.width - 1, row)):
        row += 1
    return row - 1


def quiet_zone_top(code) -> float:
    """The top of a decoded code's quiet zone (px): its symbol's top less 4 modules."""
    symbol = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
    symbol.add_data(code.text, optimize=0)
    symbol.make(fit=True)
    p = code.position
    ys = [c.y for c in (p.top_left, p.top_right, p.bottom_left, p.bottom_right)]
    return min(ys) - 4 * (max(ys) - min(ys)) / symbol.modules_count


@pytest.fixture
def local(app):
    """Printing from the organiser's laptop: the codes point at its own address."""
    app.config["PUBLIC_BASE_URL"] = LOCAL_URL


@pytest.fixture
def dense(local, make_document, pdf_bytes):
    """45 documents with long and short titles, every third for delegates only."""
    pdf = pdf_bytes()
    return [
        make_document(title=f"{LONG_TITLE} ({n})" if n % 2 else f"Tham luận số {n}",
                      category="other", pdf=pdf,
                      visibility="delegates" if n % 3 == 0 else "public")
        for n in range(45)
    ]


@pytest.mark.parametrize("grid", ["2x3", "3x4", "4x5"])
def test_the_local_address_warning_never_covers_a_code(app, congress, dense, grid):
    pdf = render(app, "qr-sheet", congress, grid=grid, edition="delegates")

    # Every code decodes, at arm's length (96 dpi) and blurred at 150 dpi.
    for dpi, blur in ((96, 0), (150, 1)):
        assert len(scans(pdf, dpi, blur)) == len(dense), (grid, dpi, blur)
    for index, page in enumerate(read_pages(pdf)):
        (warning,) = text_boxes(pdf, index, "PUBLIC_BASE_URL")  # once on every page
        band_end = block_bottom(page.image, warning)
        first_row = min(quiet_zone_top(code) for code in page.codes)
        # The warning's box ends above the first row's quiet zones, with a gap between.
        assert band_end + 0.5 * PX_PER_MM < first_row, (grid, index, band_end, first_row)


def test_a_public_address_leaves_the_grid_where_it_was(app, congress, make_document):
    make_document(title="Quy chế làm việc của Đại hội", category="working_rules")
    pdf = render(app, "qr-sheet", congress, grid="3x4")
    (page,) = read_pages(pdf)
    assert "PUBLIC_BASE_URL" not in page.text
    # The first row starts right under the header: 16 mm margin and 2 mm of cell padding.
    (code,) = page.codes
    assert quiet_zone_top(code) / PX_PER_MM == pytest.approx(18, abs=0.5)


@pytest.mark.parametrize("target", ["home", "document"])
def test_the_poster_warning_keeps_clear_of_the_heading(app, congress, local, make_document,
                                                       target):
    document = make_document(title=LONG_TITLE, category=LONG_CATEGORY, visibility="delegates")
    code = document.code if target == "document" else ""
    pdf = render(app, "poster", congress, code=code, edition="delegates")
    (page,) = read_pages(pdf)

    (warning,) = text_boxes(pdf, 0, "PUBLIC_BASE_URL")
    heading = text_boxes(pdf, 0, "ĐẠI HỘI")[0]  # the congress, upper-cased, first line
    assert heading.top - block_bottom(page.image, warning) >= 3 * PX_PER_MM
    # The band costs the poster nothing: its code decodes, its short code is printed.
    assert [c.text for c in page.codes] == [c.text for _, c in scans(pdf, 96)]
    assert len(page.codes) == 1
    if code:
        assert code in page.text.replace(" ", "")


def category_lines(text: str, marker: str) -> list[str]:
    return [line for line in text.splitlines() if marker in line]


@pytest.mark.parametrize("slug, args, marker", [
    ("qr-sheet", {"grid": "2x3"}, "CHỈ ĐẠI BIỂU"),
    ("qr-sheet", {"grid": "3x4"}, "CHỈ ĐẠI BIỂU"),
    ("qr-sheet", {"grid": "4x5"}, "CHỈ ĐẠI BIỂU"),
    ("labels", {"layout": "3x7"}, "Chỉ đại biểu"),
    ("labels", {"layout": "3x8"}, "Chỉ đại biểu"),
    ("labels", {"layout": "4x10"}, "Chỉ đại biểu"),
])
def test_a_long_category_ends_in_an_ellipsis_and_keeps_the_delegates_only_marker(
    app, congress, make_document, slug, args, marker
):
    documents = [make_document(title=LONG_TITLE, category=LONG_CATEGORY, visibility="delegates")
                 for _ in range(3)]
    pdf = render(app, slug, congress, edition="delegates", **args)
    (page,) = read_pages(pdf)

    lines = category_lines(page.text, marker)
    assert len(lines) == len(documents), lines
    for line in lines:
        # The category gives way with an ellipsis; the marker follows it, whole.
        assert re.search(rf"…\s·\s{marker}$", line.strip()), line
    # And each marker is really printed where the PDF's text says (not clipped away).
    boxes = text_boxes(pdf, 0, marker)
    assert len(boxes) == len(documents)
    assert all(has_ink(page.image, box) for box in boxes), boxes


@pytest.mark.parametrize("slug, args, visibility, parts", [
    ("qr-sheet", {"grid": "4x5"}, "organisers", ["CHỈ BAN TỔ CHỨC", "CHƯA CÔNG BỐ"]),
    ("labels", {"layout": "3x8"}, "delegates", ["Chỉ đại biểu", "Chưa công bố"]),
    ("labels", {"layout": "4x10"}, "organisers", ["Chỉ Ban Tổ chức", "Chưa công bố"]),
])
def test_a_marker_too_long_to_share_the_line_gets_lines_of_its_own(app, congress, make_document,
                                                                   slug, args, visibility, parts):
    make_document(title=LONG_TITLE, category=LONG_CATEGORY, visibility=visibility,
                  published=False)
    pdf = render(app, slug, congress, edition="organisers", **args)
    (page,) = read_pages(pdf)

    lines = [line.strip() for line in page.text.splitlines()]
    # The category, cut with an ellipsis, then the marker whole, broken only between its parts.
    assert any(line.lower().startswith("báo cáo tổng hợp") and line.endswith("…")
               for line in lines), lines
    for part in parts:
        assert any(part in line for line in lines), (part, lines)
        (box,) = text_boxes(pdf, 0, part)
        assert has_ink(page.image, box), part  # printed, not clipped away
    assert len(page.codes) == 1
