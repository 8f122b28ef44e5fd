"""Every QR code the print centre prints is large enough to scan from a phone framing a whole
page: its symbol (quiet zone excluded) is at least 15 mm, and each code decodes at 96 dpi and
after a 1 px blur at 150 dpi, as a phone at arm's length sees it."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader, PdfWriter
from weasyprint import HTML

from congress_app.extensions import db
from congress_app.models import AgendaItemDocument
from congress_app.pdf import stamp
from congress_app.pdf.printables import PRINTABLES

from .conftest import BASE_URL
from .pdf_reading import check_printable

pytestmark = pytest.mark.database_agnostic

@pytest.fixture
def agenda(congress, make_document):
    """Two documents on each agenda item, so agenda rows carry codes side by side."""
    items = [item for session in congress.sessions for item in session.items]
    documents = []
    for n, item in enumerate(items):
        for position in (1, 2):
            document = make_document(title=f"Tài liệu số {n * 2 + position} trình Đại hội",
                                     category="working_rules")
            db.session.add(AgendaItemDocument(item=item, document=document, position=position))
            documents.append(document)
    db.session.commit()
    return SimpleNamespace(congress=congress, documents=documents)


def render(app, congress, slug: str, **args) -> bytes:
    with app.test_request_context("/"):
        return PRINTABLES[slug].render(congress, args).read_bytes()


@pytest.mark.parametrize("layout", ["a4", "a5-booklet"])
@pytest.mark.parametrize("edition", ["public", "delegates"])
def test_every_programme_code_scans_from_arms_length(app, agenda, layout, edition):
    pdf = render(app, agenda.congress, "programme", layout=layout, edition=edition)
    # Each document is printed on its agenda row and again in the list of documents.
    check_printable(pdf, 2 * len(agenda.documents))


@pytest.mark.parametrize("grid", ["2x3", "3x4", "4x5"])
def test_every_qr_sheet_code_scans_from_arms_length(app, agenda, grid):
    pdf = render(app, agenda.congress, "qr-sheet", grid=grid)
    check_printable(pdf, len(agenda.documents))


@pytest.mark.parametrize("size", ["a4", "a5"])
def test_every_table_tent_code_scans_from_arms_length(app, agenda, size):
    pdf = render(app, agenda.congress, "table-tent", size=size)
    # Both faces of the tent carry the home page's code and the documents' codes.
    check_printable(pdf, 2 * (1 + min(4, len(agenda.documents))))


def test_the_poster_code_scans_from_arms_length(app, agenda):
    check_printable(render(app, agenda.congress, "poster"), 1)


@pytest.mark.parametrize("layout", ["3x7", "3x8", "4x10"])
def test_every_label_code_scans_from_arms_length(app, agenda, layout):
    pdf = render(app, agenda.congress, "labels", layout=layout)
    check_printable(pdf, len(agenda.documents))


@pytest.mark.parametrize("corner", ["top-right", "bottom-left"])
def test_the_stamp_scans_from_arms_length(app, make_document, corner):
    blank = HTML(string="<style>@page { size: A4 }</style><p>Nghị quyết</p>").write_pdf()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(blank)))
    out = io.BytesIO()
    writer.write(out)
    document = make_document(title="Nghị quyết Đại hội", pdf=out.getvalue())
    with app.test_request_context("/"):
        path = stamp.render_stamped(document, document.current_version, pages="first",
                                    corner=corner, base_url=BASE_URL)
    check_printable(path.read_bytes(), 1)


def test_reference_scan_sees_a_blank_page_as_having_no_code():
    """The reference decode itself finds nothing where nothing is printed."""
    blank = Image.new("L", (200, 200), 255)
    assert zxingcpp.read_barcodes(blank, formats=zxingcpp.BarcodeFormat.QRCode) == []
