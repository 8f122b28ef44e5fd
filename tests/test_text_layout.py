"""Text mode for older eyes: the demo programme's text comes back as the reader needs it:
wrapped lines joined into paragraphs, table rows kept as rows of cells, headings apart, and
no word split or glued, so search excerpts read right too."""

from __future__ import annotations

import re
import unicodedata

import pytest

from congress_app.config import ROOT
from congress_app.pdf.documents import render_markdown_document
from congress_app.services import text_layout

pytestmark = pytest.mark.database_agnostic

PROGRAMME = ROOT / "seeds" / "documents" / "chuong-trinh-dai-hoi.md"
PAPER = ROOT / "seeds" / "documents" / "tham-luan-chuyen-doi-so-do-thi.md"
SEED_DOCUMENTS = sorted((ROOT / "seeds" / "documents").glob("*.md"))


@pytest.fixture(scope="module")
def programme_pdf(tmp_path_factory) -> bytes:
    from congress_app import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "t" * 40,
                      "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "CACHE_DIR": str(tmp_path_factory.mktemp("cache"))})
    with app.app_context():
        return render_markdown_document(PROGRAMME.read_text(encoding="utf-8"),
                                        title="Chương trình")


def _stored(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "programme.pdf"
    path.write_bytes(pdf)
    return text_layout.file_text(path)


def _words(markdown: str) -> list[str]:
    """The words a reader sees in the Markdown source (its syntax left out)."""
    text = re.sub(r"[|*#>`_\[\]()]|^-+$|^\s*[-*] ", " ", markdown, flags=re.M)
    return [w for w in unicodedata.normalize("NFC", text).split() if re.search(r"\w", w)]


def test_every_word_of_the_programme_comes_back_whole(programme_pdf, tmp_path):
    stored = _stored(programme_pdf, tmp_path)
    found = set(stored.replace("\t", " ").split())
    missing = [w for w in _words(PROGRAMME.read_text(encoding="utf-8"))
               if w.strip(".,;:\"") and w not in found and w.strip(".,;:\"") not in found
               and not any(w.strip(".,;:\"") in f for f in found)]
    assert not missing, missing[:20]
    assert "QRTiểu" not in stored and "ẦỨ" not in stored  # no glued cells, no stray marks


@pytest.mark.parametrize("source", SEED_DOCUMENTS, ids=lambda p: p.stem)
def test_no_word_of_a_demo_document_is_split_or_glued(source, tmp_path):
    """Every word read back is a word of the source (pypdf gave "L Ý", "QRTiểu", "Khải1978")."""
    from congress_app import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "t" * 40,
                      "SQLALCHEMY_DATABASE_URI": "sqlite://", "CACHE_DIR": str(tmp_path)})
    markdown = unicodedata.normalize("NFC", source.read_text(encoding="utf-8"))
    with app.app_context():
        pdf = render_markdown_document(markdown, title="x")
    words = set(re.findall(r"\w+", markdown)) | {"Trang"}
    read = re.findall(r"\w+", _stored(pdf, tmp_path))
    assert [w for w in read if w not in words and not w.isdigit()] == []


def test_table_rows_stay_rows_and_wrapped_cells_are_joined(programme_pdf, tmp_path):
    pages = _stored(programme_pdf, tmp_path).split("\f")
    rows = [b.cells for page in pages for b in text_layout.reader_blocks(page)
            if b.kind == "row"]
    assert ("13:30", "Đón tiếp đại biểu; điểm danh bằng mã QR",
            "Tiểu ban Phục vụ, Văn phòng Đảng ủy") in rows
    assert ("14:15", "Bầu Đoàn Chủ tịch (05 đồng chí), Đoàn Thư ký (02 đồng chí) và Ban "
            "Thẩm tra tư cách đại biểu (05 đồng chí)",
            "Đồng chí Nguyễn Thị Thu Hằng, Phó Bí thư Thường trực Đảng ủy phường") in rows
    assert sum(1 for r in rows if r[0] == "Thời gian") >= 2  # each table's header row


def test_wrapped_lines_make_one_paragraph_and_headings_stand_apart(programme_pdf, tmp_path):
    first = text_layout.reader_blocks(_stored(programme_pdf, tmp_path).split("\f")[0])
    paragraphs = [b.text for b in first if b.kind == "paragraph"]
    assert ("Đại hội đại biểu Đảng bộ phường Thanh Xuân lần thứ I, nhiệm kỳ 2025–2030 làm "
            "việc trong hai ngày, từ ngày 22 đến ngày 23 tháng 7 năm 2025, gồm một phiên trù "
            "bị và một phiên chính thức.") in paragraphs
    assert "I. THỜI GIAN, ĐỊA ĐIỂM, PHƯƠNG CHÂM" in [b.text for b in first
                                                      if b.kind == "heading"]
    one_word = [p for p in paragraphs if len(p.split()) == 1]
    assert not one_word, one_word
    # List items stay items, one paragraph each.
    assert any(p.startswith("• Phiên trù bị: từ 14 giờ 00") and p.endswith("22/7/2025.")
               for p in paragraphs)


def test_the_reader_shows_rows_and_headings_in_text_mode(client, make_document, programme_pdf):
    document = make_document(title="Chương trình", pdf=programme_pdf)
    html = client.get(f"/d/{document.code}?mode=text").get_data(as_text=True)
    assert '<h4 class="text-heading">I. THỜI GIAN, ĐỊA ĐIỂM, PHƯƠNG CHÂM</h4>' in html
    row = ('<div class="text-row"><p class="text-cell">13:30</p><p class="text-cell">'
           "Đón tiếp đại biểu; điểm danh bằng mã QR</p>")
    assert row in html


def test_search_excerpts_keep_words_whole(client, make_document, tmp_path):
    from congress_app import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "t" * 40,
                      "SQLALCHEMY_DATABASE_URI": "sqlite://", "CACHE_DIR": str(tmp_path)})
    with app.app_context():
        paper = render_markdown_document(PAPER.read_text(encoding="utf-8"), title="Tham luận")
    make_document(title="Tham luận", pdf=paper)
    html = client.get("/search", query_string={"q": "quan ly trat tu do thi", "lang": "en"})\
        .get_data(as_text=True)
    assert "QUẢN LÝ TRẬT TỰ ĐÔ THỊ" in re.sub(r"</?mark>", "", html)
    snippets = " ".join(re.findall(r'<p class="snippet">(.*?)</p>', html, re.S))
    assert snippets and not re.search(r"\b\w \w\b", re.sub(r"</?mark>|\d", "", snippets)
                                       .replace(" · ", " "))  # no word cut in two


def test_text_stored_before_the_layout_still_reads_as_paragraphs():
    printed = "Dòng thứ nhất của đoạn văn khá dài\nvẫn tiếp tục ở dòng hai.\nTiêu đề\n"
    blocks = text_layout.reader_blocks(printed)
    assert [b.text for b in blocks] == [
        "Dòng thứ nhất của đoạn văn khá dài vẫn tiếp tục ở dòng hai.", "Tiêu đề"]


def test_a_paragraph_running_on_to_the_next_page_is_read_whole(client, make_document,
                                                                programme_pdf, tmp_path):
    from congress_app.services.reader import PageWindow, text_pages

    class Version:
        text = ("Một đoạn văn dài chưa hết ở cuối trang\n\nTrang 1/2\n\f"
                "vẫn tiếp tục ở trang sau.\n\n# Mục mới")

    pages = text_pages(Version, PageWindow(1, 2, 2))
    assert [b.text for b in pages[0][1]] == [
        "Một đoạn văn dài chưa hết ở cuối trang vẫn tiếp tục ở trang sau."]
    assert [(b.kind, b.text) for b in pages[1][1]] == [("heading", "Mục mới")]


def test_a_range_broken_at_the_line_s_end_is_joined_without_a_space(tmp_path):
    """Seen in the compiled report: a heading wrapped after "2025–" read "2025– 2030"."""
    from weasyprint import HTML

    heading = "II. MỤC TIÊU, NHIỆM VỤ NHIỆM KỲ 2025–2030"
    narrow = "<style>@page { size: 120mm 200mm; margin: 10mm }</style>"
    pdf = HTML(string=f"<html><head>{narrow}</head><body><h2>{heading}</h2>"
                      "<p>Nhiệm kỳ 2020–2025 và nhiệm kỳ 2025–2030 trong quản lý nhà nước ở "
                      "phường, một câu đủ dài để chạy sang dòng thứ hai của trang.</p>"
                      "</body></html>").write_pdf()
    stored = _stored(pdf, tmp_path)
    assert f"# {heading}" in stored.splitlines()
    assert "2025– " not in stored and "2020– " not in stored
    assert "phường, một câu" in stored  # other line ends keep their space
