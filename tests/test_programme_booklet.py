"""The programme as an A5 booklet for the print centre, and the programme's print editions."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

import pypdfium2 as pdfium
import pytest
import zxingcpp
from flask_login import AnonymousUserMixin
from pypdf import PdfReader
from weasyprint import HTML

from congress_app.extensions import db
from congress_app.models import AgendaItemDocument
from congress_app.pdf import cache as pdf_cache
from congress_app.pdf import programme
from congress_app.pdf.booklet import impose_booklet, saddle_stitch_order
from congress_app.pdf.editions import Edition, edition_viewer
from congress_app.services.errors import InputRefused

from .conftest import BASE_URL

pytestmark = pytest.mark.database_agnostic

A4_LANDSCAPE = (841.89, 595.28)
MM = 72 / 25.4
DELEGATES_ONLY_TITLE = "Báo cáo tổng hợp ý kiến góp ý dự thảo văn kiện"
UNPUBLISHED_TITLE = "Dự thảo Nghị quyết chưa công bố"
PAGE_LABEL = re.compile(r"(?:Trang|Page) (\d+)(?:/| of )(\d+)")


@pytest.fixture
def agenda(congress, make_document):
    """The fixture congress with public, delegates-only and unpublished documents on its items."""
    rules = make_document(title="Quy chế làm việc của Đại hội", category="working_rules")
    report = make_document(title="Báo cáo chính trị trình Đại hội")
    comments = make_document(title=DELEGATES_ONLY_TITLE, category="comments_summary",
                             visibility="delegates")
    draft = make_document(title=UNPUBLISHED_TITLE, category="draft_resolution", published=False)
    flag, report_item = congress.sessions[0].items
    db.session.add_all([
        AgendaItemDocument(item=flag, document=rules, position=1),
        AgendaItemDocument(item=report_item, document=report, position=1),
        AgendaItemDocument(item=report_item, document=comments, position=2),
        AgendaItemDocument(item=report_item, document=draft, position=3),
    ])
    db.session.commit()
    return SimpleNamespace(congress=congress, rules=rules, report=report, comments=comments,
                           draft=draft)


def a5_pages(count: int) -> bytes:
    """A real A5 PDF whose pages say which page they are."""
    body = "".join(
        f'<section style="break-after: page"><h1>Trang số {n}</h1></section>'
        for n in range(1, count + 1)
    )
    return HTML(string=f"<style>@page {{ size: A5 }}</style>{body}").write_pdf()


def halves_text(pdf: bytes) -> list[tuple[str, str]]:
    """(left, right) text of each sheet side, read from the two halves of the page."""
    document = pdfium.PdfDocument(pdf)
    try:
        sides = []
        for page in document:
            width, height = page.get_size()
            text = page.get_textpage()
            sides.append((
                text.get_text_bounded(0, 0, width / 2, height).strip(),
                text.get_text_bounded(width / 2, 0, width, height).strip(),
            ))
        return sides
    finally:
        document.close()


def page_number(text: str) -> int | None:
    """The A5 page number printed on one half, None for a blank half."""
    if not text:
        return None
    match = PAGE_LABEL.search(text) or re.search(r"Trang số (\d+)", text)
    assert match, text
    return int(match.group(1))


def render_booklet(app, congress, user=None):
    with app.test_request_context("/programme.pdf"):
        return programme.render_programme_pdf(
            congress, user or AnonymousUserMixin(), layout="a5-booklet"
        )


def test_saddle_stitch_order_puts_the_outer_pages_on_the_first_sheet():
    assert saddle_stitch_order(8) == [(8, 1), (2, 7), (6, 3), (4, 5)]
    with pytest.raises(ValueError):
        saddle_stitch_order(6)


def test_a_six_page_booklet_is_padded_to_eight_and_folds_in_order():
    sheets = impose_booklet(a5_pages(6))

    reader = PdfReader(io.BytesIO(sheets))
    assert len(reader.pages) == 4  # 2 sheets, front and back
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == A4_LANDSCAPE
    placed = [tuple(page_number(t) for t in side) for side in halves_text(sheets)]
    # Pages 7 and 8 are the blank padding (None).
    assert placed == [(None, 1), (2, None), (6, 3), (4, 5)]


def test_the_programme_booklet_is_a4_landscape_with_its_pages_in_saddle_stitch_order(
    app, agenda
):
    pdf = render_booklet(app, agenda.congress).read_bytes()

    reader = PdfReader(io.BytesIO(pdf))
    assert {(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages} == {
        A4_LANDSCAPE
    }
    sides = halves_text(pdf)
    printed = [page_number(t) for side in sides for t in side if t]
    content_pages = int(PAGE_LABEL.search(sides[0][1]).group(2))
    assert sorted(printed) == list(range(1, content_pages + 1))
    padded = len(reader.pages) * 2
    assert padded == -(-content_pages // 4) * 4
    expected = [
        tuple(n if n <= content_pages else None for n in pair)
        for pair in saddle_stitch_order(padded)
    ]
    assert [tuple(page_number(t) for t in side) for side in sides] == expected
    # Real text, not an image of it: the Vietnamese reads back from the sheets.
    assert "Báo cáo chính trị trình Đại hội" in " ".join(t for side in sides for t in side)


def test_every_booklet_qr_code_scans_at_150_dpi_and_opens_its_document(client, app, agenda):
    pdf = render_booklet(app, agenda.congress).read_bytes()

    document = pdfium.PdfDocument(pdf)
    found = []
    for page in document:
        image = page.render(scale=150 / 72).to_pil()
        found += zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    document.close()

    host = BASE_URL.upper()
    codes = sorted(b.text.removeprefix(f"{host}/D/") for b in found)
    # Beside each item's visible documents, then once per document in the list.
    assert codes == sorted([agenda.rules.code, agenda.report.code] * 2)
    for barcode in found:
        corners = barcode.position
        side_mm = abs(corners.top_right.x - corners.top_left.x) / 150 * 25.4
        # The symbol without its quiet zone: 16 mm printed with 4 + 4 modules of margin.
        assert side_mm >= 11, side_mm
    titles = {agenda.rules.code: agenda.rules.title, agenda.report.code: agenda.report.title}
    for code, title in titles.items():
        page = client.get(f"/D/{code}", follow_redirects=True)
        assert page.status_code == 200 and title in page.get_data(as_text=True)


def test_the_booklet_keeps_the_document_links(app, agenda):
    reader = PdfReader(render_booklet(app, agenda.congress))

    links = {}
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            rect = [float(v) for v in annotation["/Rect"]]
            assert 0 <= rect[0] < rect[2] <= A4_LANDSCAPE[0]
            assert 0 <= rect[1] < rect[3] <= A4_LANDSCAPE[1]
            links[annotation["/A"]["/URI"]] = rect
    assert set(links) == {
        f"{BASE_URL}/d/{agenda.rules.code}", f"{BASE_URL}/d/{agenda.report.code}"
    }


def test_an_a4_render_and_a_booklet_are_cached_side_by_side(client, app, agenda):
    booklet = render_booklet(app, agenda.congress)
    with app.test_request_context("/programme.pdf"):
        a4 = programme.render_programme_pdf(agenda.congress, AnonymousUserMixin())
    assert a4 != booklet and a4.is_file() and booklet.is_file()
    a4_mtime, booklet_mtime = a4.stat().st_mtime_ns, booklet.stat().st_mtime_ns

    assert render_booklet(app, agenda.congress) == booklet
    served = client.get("/programme.pdf")
    assert served.status_code == 200
    assert served.get_data() == a4.read_bytes()  # the public link still prints A4
    assert a4.stat().st_mtime_ns == a4_mtime and booklet.stat().st_mtime_ns == booklet_mtime
    page = PdfReader(a4).pages[0]
    assert round(float(page.mediabox.width)) == 595  # A4 portrait


@pytest.fixture
def renders(monkeypatch):
    """Record the HTML the A4 programme would print, without WeasyPrint."""
    calls: list[str] = []

    def fake_render_pdf(html: str) -> bytes:
        calls.append(html)
        return b"%PDF-1.7 fake"

    monkeypatch.setattr(pdf_cache, "render_pdf", fake_render_pdf)
    return calls


def test_each_edition_lists_what_its_readers_may_open(app, agenda, renders):
    delegates_only = agenda.comments
    printed = {}
    with app.test_request_context("/"):
        for edition in Edition:
            programme.render(agenda.congress, edition, programme.parse_options({}))
            printed[edition] = renders[-1]

    assert DELEGATES_ONLY_TITLE not in printed[Edition.PUBLIC]
    assert delegates_only.code not in printed[Edition.PUBLIC]
    assert DELEGATES_ONLY_TITLE in printed[Edition.DELEGATES]
    assert delegates_only.code in printed[Edition.DELEGATES]
    for edition in (Edition.PUBLIC, Edition.DELEGATES):
        assert UNPUBLISHED_TITLE not in printed[edition]
        assert agenda.draft.code not in printed[edition]
        assert agenda.report.title in printed[edition]
    assert UNPUBLISHED_TITLE in printed[Edition.ORGANISERS]


def test_the_delegates_booklet_prints_delegates_only_documents(app, agenda):
    with app.test_request_context("/"):
        path = programme.render(agenda.congress, Edition.DELEGATES,
                                programme.parse_options({"layout": "a5-booklet"}))
        public = programme.render_programme_pdf(
            agenda.congress, edition_viewer(Edition.PUBLIC, agenda.congress),
            layout="a5-booklet",
        )
    text = " ".join(" ".join(side) for side in halves_text(path.read_bytes()))
    assert DELEGATES_ONLY_TITLE in " ".join(text.split())
    assert UNPUBLISHED_TITLE not in text
    assert DELEGATES_ONLY_TITLE not in " ".join(
        " ".join(" ".join(side) for side in halves_text(public.read_bytes())).split()
    )


@pytest.mark.parametrize(
    ("args", "layout"),
    [({}, "a4"), ({"layout": ""}, "a4"), ({"layout": "a4"}, "a4"),
     ({"layout": " A5-Booklet "}, "a5-booklet")],
)
def test_layout_options(app, args, layout):
    with app.test_request_context("/"):
        assert programme.parse_options(args) == {"layout": layout}


@pytest.mark.parametrize("layout", ["a3", "a5", "booklet", "<script>"])
def test_an_unknown_layout_is_refused_with_a_clear_message(app, layout):
    with app.test_request_context("/"), pytest.raises(InputRefused) as refused:
        programme.parse_options({"layout": layout})
    assert refused.value.field == "layout"
    assert refused.value.status == 400
    assert "a5-booklet" in str(refused.value.message)
