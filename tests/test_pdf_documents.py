"""Congress documents rendered from Markdown, and the fetcher that keeps PDFs inside static/."""

from __future__ import annotations

import io
import os
import socket
import unicodedata
import urllib.request

import pytest
from pypdf import PdfReader

from congress_app.pdf import render
from congress_app.pdf.documents import render_markdown_document
from congress_app.pdf.render import STATIC_URL, FetchRefused, StaticFetcher, render_pdf

TITLE = "Báo cáo chính trị của Ban Chấp hành Đảng bộ phường Thanh Xuân khóa I"
SENTENCE = (
    "Đảng bộ phường hiện có 90 tổ chức đảng trực thuộc với 7.657 đảng viên, "
    "gồm 6 đảng bộ cơ sở và 84 chi bộ cơ sở."
)
MARKDOWN = f"""**ĐẢNG ỦY PHƯỜNG THANH XUÂN**

# BÁO CÁO CHÍNH TRỊ

## PHẦN THỨ NHẤT. KẾT QUẢ THỰC HIỆN NGHỊ QUYẾT

| Thời gian | Nội dung | Người thực hiện |
|---|---|---|
| 14:00 | Chào cờ; tuyên bố lý do | Đồng chí Kiều Thị Hồng Nhung |

{SENTENCE}

""" + "\n\n".join(
    f"Đoạn {n}: thương mại, dịch vụ tiếp tục là ngành kinh tế chủ đạo; thu ngân sách "
    "hoàn thành vượt dự toán, tốc độ tăng bình quân khoảng 9,8%/năm; kinh tế số bước "
    "đầu hình thành, tỷ lệ giao dịch không dùng tiền mặt tại các chợ tăng nhanh."
    for n in range(1, 41)
)


DATA_CSS = "data:text/css,body::after%20%7B%20content:%20%22DATA-OK%22%20%7D"


def pdf_text(reader: PdfReader) -> str:
    return unicodedata.normalize("NFC", "\n".join(p.extract_text() for p in reader.pages))


def font_names(reader: PdfReader) -> set[str]:
    """BaseFont of every font used, asserting each one is embedded in the file."""
    names = set()
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            if "/DescendantFonts" in font:  # Type0 (CID) fonts keep the file one level down
                font_program = font["/DescendantFonts"][0].get_object()
            else:
                font_program = font
            descriptor = font_program["/FontDescriptor"].get_object()
            assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), font["/BaseFont"]
            names.add(str(font["/BaseFont"]).split("+", 1)[-1])
    return names


def test_a_markdown_document_becomes_a_multi_page_vietnamese_pdf(app):
    pdf = render_markdown_document(MARKDOWN, title=TITLE)

    reader = PdfReader(io.BytesIO(pdf))
    text = pdf_text(reader)
    assert len(reader.pages) >= 2
    assert reader.metadata.title == TITLE
    for expected in ("ĐẢNG ỦY PHƯỜNG THANH XUÂN", "BÁO CÁO CHÍNH TRỊ", "Người thực hiện",
                     "Đồng chí Kiều Thị Hồng Nhung", SENTENCE, "Đoạn 40:"):
        assert expected in " ".join(text.split()), expected
    assert f"Trang 1/{len(reader.pages)}" in reader.pages[0].extract_text()
    # Every glyph, tone marks and page numbers included, comes from the one vendored family.
    assert all(name.startswith("Be-Vietnam-Pro") for name in font_names(reader))


def test_decomposed_input_is_printed_as_composed_vietnamese(app):
    decomposed = unicodedata.normalize("NFD", "Nghị quyết Đại hội")
    pdf = render_markdown_document(decomposed, title=decomposed)

    reader = PdfReader(io.BytesIO(pdf))
    assert "Nghị quyết Đại hội" in reader.pages[0].extract_text()
    assert reader.metadata.title == "Nghị quyết Đại hội"


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "http://example.com/",
        "https://example.com/logo.png",
        "ftp://example.com/x.css",
        "//example.com/x.css",
        "/etc/passwd",
        "static:../congress_app/config.py",
        "static:%2e%2e/%2e%2e/etc/passwd",
        "static:/../../etc/passwd",
        STATIC_URL + "../../etc/passwd",
        STATIC_URL + "css/",
        STATIC_URL + "css/no-such-file.css",
        "https://congress-app.invalid/templates/base.html",
    ],
)
def test_the_fetcher_refuses_anything_but_static_files_and_data(url):
    with pytest.raises(FetchRefused):
        StaticFetcher().fetch(url)


@pytest.mark.parametrize(
    "url", ["static:css/print.css", STATIC_URL + "css/print.css", "static:css/../css/print.css"]
)
def test_the_fetcher_serves_the_apps_static_files(url):
    response = StaticFetcher().fetch(url)
    try:
        assert response.content_type == "text/css"
        assert b"Be Vietnam Pro" in response.read()
    finally:
        response.close()


def test_rendering_never_reads_local_files_or_the_network(app, tmp_path, monkeypatch):
    evil = tmp_path / "evil.css"
    evil.write_text('body::before { content: "LEAKED" }')
    escape = os.path.relpath(evil, render.STATIC_ROOT)  # ../../…/evil.css
    opened: list[str] = []
    real_open = urllib.request.OpenerDirector.open

    def spy_open(self, request, *args, **kwargs):
        opened.append(getattr(request, "full_url", request))
        return real_open(self, request, *args, **kwargs)

    def no_connect(*args, **kwargs):
        raise AssertionError("a PDF render tried to open a network connection")

    monkeypatch.setattr(urllib.request.OpenerDirector, "open", spy_open)
    monkeypatch.setattr(socket.socket, "connect", no_connect)
    monkeypatch.setattr(socket, "create_connection", no_connect)
    html = f"""<html><head>
      <link rel="stylesheet" href="{evil.as_uri()}">
      <link rel="stylesheet" href="http://example.com/evil.css">
      <link rel="stylesheet" href="static:{escape}">
      <link rel="stylesheet" href="{STATIC_URL}{escape}">
      <link rel="stylesheet" href="{DATA_CSS}">
      <style>@import url("{evil.as_uri()}");</style>
    </head><body>
      <p>Nội dung</p>
      <img src="file:///etc/passwd"><img src="http://example.com/x.png">
      <img src="static:img/icon.svg">
    </body></html>"""

    text = PdfReader(io.BytesIO(render_pdf(html))).pages[0].extract_text()

    assert "LEAKED" not in text
    assert "DATA-OK" in text  # stylesheets do load, when they are data: URLs
    assert opened and all(url.startswith("data:") for url in opened), opened


def test_fonts_and_base_css_are_built_once_for_many_renders(app, monkeypatch):
    built = []
    real = render.FontConfiguration

    def counting_font_configuration():
        built.append(1)
        return real()

    monkeypatch.setattr(render, "_shared", None)
    monkeypatch.setattr(render, "FontConfiguration", counting_font_configuration)

    render_pdf("<p>Một</p>")
    first = render.shared_resources()
    render_pdf("<p>Hai</p>")

    assert render.shared_resources() is first
    assert len(built) == 1


@pytest.mark.parametrize(
    ("label", "css"),
    [
        ("Trang %(page)s/%(pages)s", '"Trang " counter(page) "/" counter(pages)'),
        ("Page %(page)s of %(pages)s", '"Page " counter(page) " of " counter(pages)'),
        ('</style>"%(page)s', '"\\3c /style\\3e \\22 " counter(page)'),
    ],
)
def test_page_labels_become_safe_css_content(label, css):
    assert render.page_counter_content(label) == css
