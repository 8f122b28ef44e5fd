"""The compiled report's layout for thousands of opinions: opinions of one stance under one
stance line, one answer after those that share it; and a large report rendered in parts by
child processes, joined and numbered, reading as the report rendered in one piece."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from congress_app.pdf import comments_report, parallel
from congress_app.pdf.comments_rows import DocumentHead, Row, cut_points
from congress_app.services import comment_triage as triage

from .comments_fixtures import PARAGRAPHS
from .pdf_reading import assert_fonts_embedded, pdf_text
from .triage_fixtures import REASON, write

PAGE_LABEL = re.compile(r" ?Trang (\d+)/(\d+)")
RESPONSE = "Tiếp thu, bổ sung vào Mục II của dự thảo."


@pytest.fixture
def answered(congress, commented, organiser):
    """§ 3: the wording (accepted) with its duplicate, and two more opinions against,
    one answered as the wording was, one not answered."""
    triage.classify(congress, commented.wording, classification="accepted",
                    response=RESPONSE, user=organiser)
    triage.mark_duplicate(congress, commented.same, original_id=commented.wording.id,
                          user=organiser)
    like = write(congress, commented.draft, commented.authors[2], text="Nên có chỉ tiêu số.")
    triage.classify(congress, like, classification="accepted", response=RESPONSE,
                    user=organiser)
    write(congress, commented.draft, commented.authors[3], text="Chưa rõ lộ trình.")
    return commented


def _pdf(client) -> bytes:
    response = client.get("/organiser/comments/report.pdf?language=vi")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return response.get_data()


def test_one_stance_line_counts_its_opinions_and_one_answer_serves_those_that_share_it(
        client, signed_in, answered):
    text = pdf_text(_pdf(client))
    paragraph_3 = text[text.index("§ 3"):]
    assert paragraph_3.startswith("§ 3 ")
    # Four comments against (the duplicate counted with its original), under one line;
    # the wording's own count beside it, as the line counts more than one opinion.
    assert ("Không tán thành (Số ý kiến: 4) "
            f"{REASON} (Số ý kiến: 2) Đề xuất sửa (") in paragraph_3
    assert paragraph_3.count("Không tán thành") == 1
    # The two accepted with the same response: one answer after both; the other its own.
    answered_part = paragraph_3[paragraph_3.index("Nên có chỉ tiêu số."):]
    assert answered_part.startswith(
        f"Nên có chỉ tiêu số. Tiếp thu, giải trình: Tiếp thu. {RESPONSE} "
        "Chưa rõ lộ trình. Tiếp thu, giải trình: Chưa trả lời")
    assert paragraph_3.count(RESPONSE) == 1


def _in_parts(app, monkeypatch, processes: int = 2) -> None:
    """Render even this small report in parts, as a large one is."""
    app.config[comments_report.PROCESSES_SETTING] = processes
    monkeypatch.setattr(comments_report, "PARTS_FROM_WEIGHT", 0)


def _labels(text: str) -> list[tuple[int, int]]:
    return [(int(page), int(pages)) for page, pages in PAGE_LABEL.findall(text)]


def test_a_report_rendered_in_parts_reads_as_the_report_in_one(
        app, client, signed_in, answered, monkeypatch, caplog):
    whole = _pdf(client)
    _in_parts(app, monkeypatch, processes=3)
    split = parallel.split_html
    cut: list[int] = []
    monkeypatch.setattr(parallel, "split_html", lambda html: cut.append(
        len(split(html))) or split(html))
    parted = _pdf(client)
    assert cut == [3]
    assert "rendering a PDF part here" not in caplog.text  # the children rendered them
    reader = PdfReader(io.BytesIO(parted))
    pages = len(reader.pages)
    assert pages >= 3  # each part from a new page
    text = pdf_text(parted)
    # Every page numbered once, in order, out of the whole document's pages.
    assert _labels(text) == [(n, pages) for n in range(1, pages + 1)]
    assert PAGE_LABEL.sub("", text) == PAGE_LABEL.sub("", pdf_text(whole))
    assert_fonts_embedded(parted)
    metadata = reader.metadata
    assert metadata.title.startswith("BÁO CÁO tổng hợp ý kiến góp ý vào dự thảo")
    assert metadata.author == "Đảng bộ phường Thanh Xuân"
    assert reader.trailer["/Root"]["/Lang"] == "vi"


def test_a_part_without_a_child_process_is_rendered_here(
        app, client, signed_in, answered, monkeypatch, caplog):
    expected = pdf_text(_pdf(client))

    class NoChildren:
        """A forkserver that cannot make a process (out of processes, say)."""

        def Pipe(self, duplex):
            import multiprocessing

            return multiprocessing.Pipe(duplex)

        def Process(self, **_kwargs):
            raise OSError("no more processes")

    _in_parts(app, monkeypatch)
    monkeypatch.setattr(parallel.forking, "forkserver_context", NoChildren)
    text = pdf_text(_pdf(client))
    assert "rendering a PDF part here: no child process (no more processes)" in caplog.text
    assert PAGE_LABEL.sub("", text) == PAGE_LABEL.sub("", expected)
    assert len(_labels(text)) == _labels(text)[0][1]


def test_a_report_without_comments_says_so_and_is_signed(client, signed_in):
    text = pdf_text(_pdf(client))
    assert "Chưa nhận được ý kiến góp ý nào. Thanh Xuân, ngày" in text
    assert text.endswith("T/M ĐOÀN THƯ KÝ (Ký và ghi rõ họ tên) Trang 1/1")


def _rows(sections: set[int]) -> list[Row]:
    """Ten rows of the same weight; those in `sections` begin a section."""
    return [Row(document=DocumentHead(1, "Dự thảo") if n == 0 else None,
                section=f"Mục {n}" if n in sections else None, text="x" * 940)
            for n in range(10)]


@pytest.mark.parametrize(("sections", "cuts"), [
    (set(), [5]),      # halfway, between two opinions
    ({4}, [4]),        # a section's start a row before halfway is better
    ({2}, [5]),        # but not three rows before
])
def test_a_cut_falls_near_an_equal_share_preferring_a_section(sections, cuts):
    assert cut_points(_rows(sections), 2) == cuts
    assert len(cut_points(_rows(sections), 4)) == 3


def test_the_first_part_takes_a_smaller_share():
    assert cut_points(_rows(set()), 2, first=0.8) == [4]  # 4 of 9 shares: 0.8 to 1


def test_the_marks_are_explained_at_a_document_s_first_proposed_wording_only(
        client, signed_in, congress, commented):
    paragraph = PARAGRAPHS[3]
    write(congress, commented.draft, commented.authors[2], paragraph=4, stance="partly",
          text="Nên gọn hơn.", proposed_wording=paragraph.replace("giáo dục, y tế", "y tế"))
    text = pdf_text(_pdf(client))
    assert text.count("Đề xuất sửa (chữ bỏ đi bị gạch ngang trong [ngoặc vuông]") == 1
    assert text.index("Đề xuất sửa (chữ bỏ đi") < text.index("§ 4")
    assert "Nên gọn hơn. Đề xuất sửa: Nâng cao chất lượng [giáo dục,] y tế;" in text
