"""The printable programme: Vietnamese text, QR codes that open their documents, the disk cache."""

from __future__ import annotations

import io
from datetime import time
from types import SimpleNamespace

import pytest
from flask_login import AnonymousUserMixin
from pypdf import PdfReader

from congress_app.extensions import db
from congress_app.models import AgendaItem, AgendaItemDocument
from congress_app.pdf import cache as pdf_cache
from congress_app.pdf import programme
from congress_app.services import documents as document_service
from congress_app.services import intake

from .conftest import BASE_URL
from .pdf_reading import assert_fonts_embedded, decoded_qr_codes, pdf_text

pytestmark = pytest.mark.database_agnostic

CONGRESS_TITLE = "Đại hội đại biểu Đảng bộ phường Thanh Xuân lần thứ I"
UNPUBLISHED_TITLE = "Dự thảo Nghị quyết chưa công bố"


@pytest.fixture
def agenda(congress, make_document):
    """The fixture congress with documents on its items; one of them is not published."""
    rules = make_document(title="Quy chế làm việc của Đại hội", category="working_rules")
    report = make_document(title="Báo cáo chính trị trình Đại hội")
    draft = make_document(title=UNPUBLISHED_TITLE, category="draft_resolution", published=False)
    flag, report_item = congress.sessions[0].items
    db.session.add_all([
        AgendaItemDocument(item=flag, document=rules, position=1),
        AgendaItemDocument(item=report_item, document=report, position=1),
        AgendaItemDocument(item=report_item, document=draft, position=2),
    ])
    db.session.commit()
    return SimpleNamespace(congress=congress, rules=rules, report=report, draft=draft)


def render_for(app, congress, user=None):
    """render_programme_pdf as a request for /programme.pdf would call it."""
    with app.test_request_context("/programme.pdf"):
        return programme.render_programme_pdf(congress, user or AnonymousUserMixin())


def test_the_programme_pdf_prints_vietnamese_in_embedded_fonts(client, agenda):
    response = client.get("/programme.pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    pdf = response.get_data()
    text = pdf_text(pdf)
    for expected in (
        CONGRESS_TITLE,
        "ĐẢNG BỘ THÀNH PHỐ HÀ NỘI",
        "ĐẢNG BỘ PHƯỜNG THANH XUÂN",
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "Phiên chính thức".upper(),
        "Chào cờ",
        "Báo cáo chính trị",
        "Bí thư Đảng ủy phường",
        "Đoàn kết - Dân chủ - Kỷ cương - Trách nhiệm - Hiệu quả",
        "Hội trường lớn",
        "Quy chế làm việc của Đại hội",
    ):
        assert expected in text, expected
    # pypdf reads the kerned "//" of the printed address as two words.
    assert f"{BASE_URL}/d/{agenda.report.code}" in text.replace(" ", "")

    reader = PdfReader(io.BytesIO(pdf))
    assert CONGRESS_TITLE in reader.metadata.title
    assert_fonts_embedded(pdf)


def test_every_printed_qr_code_opens_its_document(client, agenda):
    pdf = client.get("/programme.pdf").get_data()

    decoded = decoded_qr_codes(pdf)

    visible = [agenda.rules, agenda.report]
    # One code beside each item's visible document, one per document on the last page.
    printed = [agenda.rules.code, agenda.report.code] + [d.code for d in visible]
    host = BASE_URL.upper()  # a base URL without a path is upper-cased (QR alphanumeric mode)
    assert sorted(url.removeprefix(f"{host}/D/") for url in decoded) == sorted(printed)
    titles = {d.code: d.title for d in visible}
    for url in set(decoded):
        assert url.startswith(f"{host}/D/")
        page = client.get(url.removeprefix(host), follow_redirects=True)
        assert page.status_code == 200
        assert titles[url.rsplit("/", 1)[1]] in page.get_data(as_text=True)


def test_an_unpublished_document_is_only_on_the_organisers_programme(
    client, agenda, organiser, auth
):
    public = pdf_text(client.get("/programme.pdf").get_data())
    assert UNPUBLISHED_TITLE not in public
    assert agenda.draft.code not in public
    assert agenda.report.code in public

    assert client.get("/programme.pdf?edition=organisers").status_code in (302, 403)

    auth.login()
    # Signed in, the ordinary link still prints what delegates may see…
    assert UNPUBLISHED_TITLE not in pdf_text(client.get("/programme.pdf").get_data())
    # …and the organisers' edition must be asked for.
    organisers = pdf_text(client.get("/programme.pdf?edition=organisers").get_data())
    assert UNPUBLISHED_TITLE in organisers
    assert agenda.draft.code in organisers


@pytest.fixture
def renders(monkeypatch):
    """Replace WeasyPrint with a recorder: the cache logic needs no real layout."""
    calls: list[str] = []

    def fake_render_pdf(html: str) -> bytes:
        calls.append(html)
        return b"%%PDF-1.7 render %d" % len(calls)

    monkeypatch.setattr(pdf_cache, "render_pdf", fake_render_pdf)
    return calls


def test_the_programme_is_rendered_again_only_when_its_inputs_change(
    app, agenda, pdf_bytes, renders
):
    first = render_for(app, agenda.congress)
    mtime = first.stat().st_mtime_ns
    assert render_for(app, agenda.congress) == first
    assert first.stat().st_mtime_ns == mtime
    assert len(renders) == 1

    session = agenda.congress.sessions[0]
    session.items.append(
        AgendaItem(position=3, starts_at=time(9, 0), title="Thảo luận tại hội trường")
    )
    db.session.commit()
    after_item = render_for(app, agenda.congress)
    assert after_item != first and len(renders) == 2

    intake.replace_file(
        agenda.report,
        intake.Upload(io.BytesIO(pdf_bytes("Báo cáo chính trị, bản sửa")), "bc.pdf"),
    )
    after_file = render_for(app, agenda.congress)
    assert after_file != after_item and len(renders) == 3

    document_service.update_document(
        agenda.rules, title="Quy chế làm việc (sửa đổi)", category=agenda.rules.category,
        visibility=agenda.rules.visibility, published=True,
    )
    after_title = render_for(app, agenda.congress)
    assert after_title != after_file and len(renders) == 4
    assert "Quy chế làm việc (sửa đổi)" in renders[-1]

    app.config["PUBLIC_BASE_URL"] = "https://daihoi.example.vn/thanh-xuan"
    assert render_for(app, agenda.congress) != after_title and len(renders) == 5
    assert "https://daihoi.example.vn/thanh-xuan/d/" in renders[-1]

    assert render_for(app, agenda.congress).read_bytes() == b"%PDF-1.7 render 5"
    assert len(renders) == 5
    leftovers = [p.name for p in first.parent.iterdir() if not p.name.startswith("programme-")]
    assert leftovers == []  # temp files are renamed into place, never left behind


def test_a_programme_pointing_at_localhost_warns_the_printer(app, agenda, renders):
    app.config["PUBLIC_BASE_URL"] = "http://127.0.0.1:5000"
    render_for(app, agenda.congress)
    assert "http://127.0.0.1:5000" in renders[-1]
    assert 'class="warning"' in renders[-1]


def test_organiser_text_is_printed_as_text_not_markup(app, agenda, renders):
    item = agenda.congress.sessions[0].items[0]
    item.title = '<img src="file:///etc/passwd"> Chào cờ'
    db.session.commit()
    render_for(app, agenda.congress)
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt; Chào cờ" in renders[-1]
