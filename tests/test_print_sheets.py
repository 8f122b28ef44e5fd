"""The print centre's sheets (QR sheet, poster, table tent, labels): real PDFs, every code
scanned at 150 dpi as a printer would, and only what the edition's audience may see."""

from __future__ import annotations

import io
import math
import unicodedata
from dataclasses import dataclass
from types import SimpleNamespace

import pypdfium2 as pdfium
import pytest
import qrcode
import zxingcpp
from pypdf import PdfReader

from congress_app.extensions import db
from congress_app.models import AgendaItemDocument
from congress_app.pdf import cache as pdf_cache
from congress_app.pdf import label_sheet, poster, qr_sheet, table_tent
from congress_app.pdf.editions import Edition
from congress_app.services import documents as document_service
from congress_app.services.errors import InputRefused

from .conftest import BASE_URL

pytestmark = pytest.mark.database_agnostic

HOST = BASE_URL.upper()  # a base URL without a path is upper-cased (QR alphanumeric mode)
HOME = f"{HOST}/"
MM_PER_PT = 25.4 / 72
DPI = 150
PRINTABLES = (qr_sheet, poster, table_tent, label_sheet)
# At the 300-character limit, with a 45-letter run that has nowhere to wrap.
LONG_TITLE = (" ".join(["Báo cáo tổng kết công tác xây dựng Đảng và hệ thống chính trị"] * 4)
              + " " + "Đ" * 45)[:300]


@dataclass
class Scan:
    """One decoded code: its text, page, centre (mm from the page's top-left), orientation."""

    text: str
    page: int
    x: float
    y: float
    orientation: int


@dataclass
class Printed:
    """A rendered PDF read back: page sizes (mm), text, and every code it carries."""

    sizes: list[tuple[float, float]]
    text: str
    scans: list[Scan]

    @property
    def codes(self) -> list[str]:
        return [s.text for s in self.scans]


def read_pdf(path) -> Printed:
    pdf = path.read_bytes()
    reader = PdfReader(io.BytesIO(pdf))
    sizes = [(round(float(p.mediabox.width) * MM_PER_PT), round(float(p.mediabox.height)
              * MM_PER_PT)) for p in reader.pages]
    text = unicodedata.normalize("NFC", "\n".join(p.extract_text() for p in reader.pages))
    document = pdfium.PdfDocument(pdf)
    scans = []
    try:
        for number, page in enumerate(document):
            image = page.render(scale=DPI / 72).to_pil()
            for code in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):
                corners = (code.position.top_left, code.position.bottom_right)
                x = sum(c.x for c in corners) / 2 * 25.4 / DPI
                y = sum(c.y for c in corners) / 2 * 25.4 / DPI
                scans.append(Scan(code.text, number, x, y, code.orientation))
    finally:
        document.close()
    return Printed(sizes, " ".join(text.split()), scans)


def payload(document) -> str:
    return f"{HOST}/D/{document.code}"


@pytest.fixture
def sheet(congress, make_document, pdf_bytes):
    """Documents for every audience; the report and the delegates' list are on the programme."""
    pdf = pdf_bytes()

    def make(title, category, **kwargs):
        return make_document(title=title, category=category, pdf=pdf, **kwargs)

    rules = make("Quy chế làm việc của Đại hội", "working_rules")
    report = make("Báo cáo chính trị trình Đại hội", "political_report")
    paper = make("Tham luận về chuyển đổi số của phường", "discussion_paper")
    roster = make("Danh sách đại biểu dự Đại hội", "other", visibility="delegates")
    script = make("Kịch bản điều hành Đại hội", "other", visibility="organisers")
    draft = make("Dự thảo Nghị quyết chưa công bố", "draft_resolution", published=False)
    report_item = congress.sessions[0].items[1]
    db.session.add_all([
        AgendaItemDocument(item=report_item, document=report, position=1),
        AgendaItemDocument(item=report_item, document=roster, position=2),
    ])
    db.session.commit()
    public = [rules, report, paper]
    return SimpleNamespace(
        congress=congress, rules=rules, report=report, paper=paper, roster=roster,
        script=script, draft=draft,
        visible={Edition.PUBLIC: public, Edition.DELEGATES: [*public, roster],
                 Edition.ORGANISERS: [*public, roster, script, draft]},
    )


def render(app, module, congress, edition=Edition.PUBLIC, **args):
    """Parse the options as the print-centre route would, then render."""
    with app.test_request_context("/organiser/print"):
        return module.render(congress, edition, module.parse_options(args))


def assert_lists_exactly(printed: Printed, documents, copies: int = 1) -> None:
    """Every visible document is printed (code and title), each code decodes, nothing else."""
    assert sorted(printed.codes) == sorted(payload(d) for d in documents for _ in range(copies))
    for document in documents:
        assert document.title in printed.text, document.title


@pytest.mark.parametrize("grid, per_page", [("2x3", 6), ("3x4", 12), ("4x5", 20)])
def test_the_qr_sheet_prints_each_visible_document_once_in_every_grid(
    app, sheet, grid, per_page
):
    documents = sheet.visible[Edition.DELEGATES]
    printed = read_pdf(render(app, qr_sheet, sheet.congress, Edition.DELEGATES, grid=grid))

    assert printed.sizes == [(210, 297)] * math.ceil(len(documents) / per_page)
    assert_lists_exactly(printed, documents)
    assert sheet.congress.title in printed.text  # the header line
    assert "Trang 1/1" in printed.text


def test_each_edition_prints_only_what_its_audience_may_open(app, sheet):
    for edition in Edition:
        printed = read_pdf(render(app, qr_sheet, sheet.congress, edition, grid="4x5"))
        visible = sheet.visible[edition]
        assert_lists_exactly(printed, visible)
        for hidden in {sheet.roster, sheet.script, sheet.draft} - set(visible):
            assert hidden.title not in printed.text
            assert hidden.code not in printed.text.replace(" ", "")
    # The organisers' edition marks what is not for everyone, like the programme does.
    assert "CHƯA CÔNG BỐ" in printed.text or "NOT PUBLISHED" in printed.text


def test_a_category_sheet_lists_that_category_only(app, sheet):
    printed = read_pdf(render(app, qr_sheet, sheet.congress, category="working_rules"))
    assert printed.codes == [payload(sheet.rules)]
    assert sheet.report.title not in printed.text

    with pytest.raises(InputRefused) as refused:
        render(app, qr_sheet, sheet.congress, category="press_release")
    assert refused.value.status == 404


def test_very_long_titles_never_add_a_page(app, sheet):
    document_service.update_document(sheet.paper, title=LONG_TITLE, category="discussion_paper",
                                     visibility="public", published=True)
    for module, args in ((qr_sheet, {"grid": "2x3"}), (qr_sheet, {"grid": "4x5"}),
                         (label_sheet, {"layout": "4x10"}), (poster, {"code": sheet.paper.code}),
                         (table_tent, {"size": "a5", "codes": sheet.paper.code})):
        printed = read_pdf(render(app, module, sheet.congress, **args))
        assert len(printed.sizes) == 1, (module.KIND, args)
        assert payload(sheet.paper) in printed.codes, (module.KIND, args)


@pytest.mark.parametrize("size, mm, scale", [("a4", (210, 297), 1), ("a3", (297, 420), 1.4142),
                                             ("a2", (420, 594), 2)])
def test_a_poster_carries_one_large_code_on_a_real_page_size(app, sheet, size, mm, scale):
    printed = read_pdf(render(app, poster, sheet.congress, size=size, code=sheet.report.code))

    assert printed.sizes == [mm]
    assert printed.codes == [payload(sheet.report)]
    assert sheet.report.title in printed.text
    assert sheet.report.code in printed.text.replace(" ", "")
    assert f"congress.test/d/{sheet.report.code}" in printed.text.replace(" ", "")
    # Modules of at least 4 mm on A4 (read from 3 m), larger on bigger paper.
    modules = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
    modules.add_data(payload(sheet.report), optimize=0)
    modules.make(fit=True)
    assert poster.A4_QR * scale / (modules.modules_count + 8) >= 4 * scale


def test_a_poster_without_a_code_opens_the_congress_home(app, sheet):
    printed = read_pdf(render(app, poster, sheet.congress, code=""))
    assert printed.codes == [HOME]
    assert sheet.congress.title.upper() in printed.text


def test_a_poster_refuses_a_document_its_edition_may_not_show(app, sheet):
    with pytest.raises(InputRefused) as refused:
        render(app, poster, sheet.congress, Edition.PUBLIC, code=sheet.roster.code)
    assert refused.value.status == 404 and sheet.roster.code in str(refused.value)
    delegates = read_pdf(render(app, poster, sheet.congress, Edition.DELEGATES,
                                code=sheet.roster.code.lower()))
    assert delegates.codes == [payload(sheet.roster)]


@pytest.mark.parametrize("size, mm", [("a4", (210, 297)), ("a5", (148, 210))])
def test_a_table_tent_reads_upright_on_both_sides_of_the_fold(app, sheet, size, mm):
    printed = read_pdf(render(app, table_tent, sheet.congress, Edition.DELEGATES, size=size))

    assert printed.sizes == [mm]
    # Programme documents first: the report and the delegates' list, then the others.
    shown = [sheet.report, sheet.roster, sheet.rules, sheet.paper]
    assert sorted(printed.codes) == sorted([HOME, *map(payload, shown)] * 2)
    upper = [s for s in printed.scans if s.y < mm[1] / 2]
    lower = [s for s in printed.scans if s.y > mm[1] / 2]
    assert len(upper) == len(lower) == 5
    assert {s.orientation % 360 for s in upper} == {180}
    assert {s.orientation % 360 for s in lower} == {0}
    lower_order = [s.text for s in sorted(lower, key=lambda s: s.x)]
    assert lower_order == [HOME, *map(payload, shown)]
    for document in shown:  # pypdf may split a letter-spaced code into pieces
        assert document.code in printed.text.replace(" ", "")


def test_a_table_tent_prints_the_codes_asked_for(app, sheet):
    printed = read_pdf(render(app, table_tent, sheet.congress,
                              codes=f"{sheet.paper.code}, {sheet.rules.code.lower()}"))
    assert sorted(printed.codes) == sorted([HOME, payload(sheet.paper), payload(sheet.rules)] * 2)
    with pytest.raises(InputRefused) as refused:
        render(app, table_tent, sheet.congress, codes=sheet.script.code)
    assert refused.value.status == 404


@pytest.mark.parametrize("layout", ["3x7", "3x8", "4x10"])
def test_labels_land_on_the_label_stock(app, sheet, layout):
    printed = read_pdf(render(app, label_sheet, sheet.congress, Edition.ORGANISERS,
                              layout=layout))
    stock = label_sheet.LAYOUTS[layout]

    assert printed.sizes == [(210, 297)]
    assert_lists_exactly(printed, sheet.visible[Edition.ORGANISERS])
    positions = label_sheet.label_positions(layout)
    documents = sheet.visible[Edition.ORGANISERS]
    for (left, top), document in zip(positions, documents, strict=False):
        (scan,) = [s for s in printed.scans if s.text == payload(document)]
        assert left < scan.x < left + stock["width"], (layout, document.title)
        assert top < scan.y < top + stock["height"], (layout, document.title)
    assert positions[-1][0] + stock["width"] <= 210.01
    assert positions[-1][1] + stock["height"] <= 297.01


@pytest.mark.parametrize("module, args", [
    (qr_sheet, {"grid": "5x5"}), (qr_sheet, {"category": "minutes"}),
    (poster, {"size": "a1"}), (table_tent, {"size": "a3"}), (label_sheet, {"layout": "2x7"}),
    (label_sheet, {"category": "x"}),
])
def test_unknown_options_are_refused_by_name(module, args, app):
    with app.test_request_context("/"), pytest.raises(InputRefused) as refused:
        module.parse_options(args)
    (value,) = args.values()
    assert value in str(refused.value) and refused.value.status == 400


def test_missing_options_get_defaults(app):
    with app.test_request_context("/"):
        assert qr_sheet.parse_options({}) == {"grid": "3x4", "category": ""}
        assert poster.parse_options({}) == {"size": "a4", "code": ""}
        assert table_tent.parse_options({}) == {"size": "a4", "codes": []}
        assert label_sheet.parse_options({"layout": " 4X10 "}) == {"layout": "4x10",
                                                                   "category": ""}
        with pytest.raises(InputRefused):
            table_tent.parse_options({"codes": "AAAAAA BBBBBB CCCCCC DDDDDD EEEEEE"})
        with pytest.raises(InputRefused) as refused:
            poster.parse_options({"code": "not a code!"})
        assert refused.value.status == 404


def test_every_sheet_is_rendered_again_only_when_what_it_prints_changes(
    app, sheet, monkeypatch
):
    calls: list[str] = []

    def fake_render_pdf(html: str) -> bytes:
        calls.append(html)
        return b"%%PDF-1.7 render %d" % len(calls)

    monkeypatch.setattr(pdf_cache, "render_pdf", fake_render_pdf)
    for module in PRINTABLES:
        assert module.KIND.isalpha() and module.TEMPLATES and module.VERSION
        first = render(app, module, sheet.congress)
        mtime = first.stat().st_mtime_ns
        assert render(app, module, sheet.congress) == first
        assert first.stat().st_mtime_ns == mtime
        assert first.name.startswith(f"{module.KIND}-")
    assert len(calls) == len(PRINTABLES)

    document_service.update_document(sheet.report, title="Báo cáo chính trị (bản sửa)",
                                     category="political_report", visibility="public",
                                     published=True)
    for module in (qr_sheet, table_tent, label_sheet):
        before = len(calls)
        assert render(app, module, sheet.congress).read_bytes() != b""
        assert len(calls) == before + 1
        assert "Báo cáo chính trị (bản sửa)" in calls[-1]
    home_poster = render(app, poster, sheet.congress)
    assert len(calls) == len(PRINTABLES) + 3  # the home poster prints no document title
    app.config["PUBLIC_BASE_URL"] = "https://daihoi.example.vn/thanh-xuan"
    assert render(app, poster, sheet.congress) != home_poster
    assert "data:image/svg+xml;base64," in calls[-1]
