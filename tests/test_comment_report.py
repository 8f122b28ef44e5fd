"""The compiled report of góp ý, printed and exported: the official heading, the title naming
the drafts, the table of stances, each paragraph with its opinions counted (duplicates with
their original), proposed wordings as marked word diffs, the answers; the CSV and XLSX of the
same rows with formula-like cells neutralised; the higher level's export; adopting the PDF
as a congress document, then replacing it (same code, version 2)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from congress_app.extensions import db
from congress_app.models import AuditEvent, DocumentCategory, Visibility
from congress_app.services import comment_triage as triage
from congress_app.services.comment_report import adoption_of
from congress_app.spreadsheet_cells import safe_cell

from .comments_fixtures import PARAGRAPHS
from .pdf_reading import assert_fonts_embedded, pdf_text
from .triage_fixtures import AGREE_TEXT, REASON, SAME_REASON, WITHDRAWN_TEXT, write

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
RESPONSE = "Tiếp thu, bổ sung vào Mục II của dự thảo."
HOSTILE = "=HYPERLINK(\"http://x.invalid\",\"bấm\")"


@pytest.fixture
def triaged(congress, commented, organiser):
    """The wording answered (accepted), the same opinion merged into it, § 1 already in."""
    triage.classify(congress, commented.wording, classification="accepted",
                    response=RESPONSE, user=organiser)
    triage.mark_duplicate(congress, commented.same, original_id=commented.wording.id,
                          user=organiser)
    triage.classify(congress, commented.agree, classification="already_in_draft",
                    response="", user=organiser)
    return commented


def _pdf(client, language="vi") -> bytes:
    response = client.get(f"/organiser/comments/report.pdf?language={language}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_data()


def _save_first_page(pdf: bytes, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    document = pdfium.PdfDocument(pdf)
    try:
        path = ARTIFACTS / name
        document[0].render(scale=110 / 72).to_pil().save(path)
        if len(document) > 1:
            document[1].render(scale=110 / 72).to_pil().save(path.with_stem(path.stem + "-2"))
    finally:
        document.close()
    return path


def test_the_pdf_reads_in_vietnamese_exactly(client, signed_in, congress, triaged):
    pdf = _pdf(client)
    _save_first_page(pdf, "comments-report.png")
    assert_fonts_embedded(pdf)
    date = r"ngày \d\d tháng \d\d? năm \d{4}"
    text, dates = re.subn(date, "<ngày>", pdf_text(pdf))
    assert dates == 2  # under the heading, and above the signature
    section = triaged.wording.section
    assert text == (
        "ĐẢNG BỘ THÀNH PHỐ HÀ NỘI ĐẢNG BỘ PHƯỜNG THANH XUÂN * ĐẢNG CỘNG SẢN VIỆT NAM "
        "Thanh Xuân, <ngày> "
        "BÁO CÁO tổng hợp ý kiến góp ý vào dự thảo Văn kiện Đại hội XIV của Đảng "
        f"{congress.title} "
        "SỐ Ý KIẾN NHẬN ĐƯỢC Văn kiện Tán thành Không tán thành Đồng ý một phần Tổng số "
        # Each draft's counts, then its discussion groups' (all four wrote in Tổ 1).
        "Dự thảo Văn kiện Đại hội XIV của Đảng 1 2 1 4 Tổ 1 1 2 1 4 "
        "Tất cả các văn kiện 1 2 1 4 "
        "Dưới mỗi văn kiện là số ý kiến theo từng tổ thảo luận. Ý kiến riêng của một đại biểu "
        "được tính là 1; ý kiến của tổ được tính bằng số đại biểu của tổ có chung ý kiến, ghi "
        "là “Ý kiến của Tổ 3 (12/15 đại biểu)”. "
        "1. DỰ THẢO VĂN KIỆN ĐẠI HỘI XIV CỦA ĐẢNG "
        # The document as a whole first, then the sections and their paragraphs.
        "Ý kiến chung về văn kiện Đồng ý một phần (Số ý kiến: 1) Đồng ý một phần: cần ngắn "
        "gọn hơn. Tiếp thu, giải trình: Chưa trả lời "
        f"I. ĐÁNH GIÁ KẾT QUẢ NHIỆM KỲ 2020–2025 § 1 {PARAGRAPHS[0]} Tán thành (Số ý kiến: 1) "
        f"{AGREE_TEXT} Tiếp thu, giải trình: Đã có trong dự thảo "
        # The duplicate is counted with its original, and shares its answer.
        f"{section} § 3 {PARAGRAPHS[2]} Không tán thành (Số ý kiến: 2) {REASON} Trang 1/2 "
        "Đề xuất sửa (chữ bỏ đi bị gạch ngang trong [ngoặc vuông], chữ thêm vào được gạch "
        "chân trong {ngoặc nhọn}): "
        "Phát triển {mạnh} kinh tế số, đô thị thông minh và chuyển đổi số toàn diện trong "
        "quản lý nhà nước {và cung cấp dịch vụ công} ở phường. "
        f"Tiếp thu, giải trình: Tiếp thu. {RESPONSE} "
        "Thanh Xuân, <ngày> T/M ĐOÀN THƯ KÝ (Ký và ghi rõ họ tên) Trang 2/2")
    assert SAME_REASON not in text and WITHDRAWN_TEXT not in text
    # No author's name: the adopted report is read by delegates.
    for author in triaged.authors:
        assert author.full_name not in text


def test_deleted_words_are_struck_and_bracketed(client, signed_in, congress, commented):
    paragraph = PARAGRAPHS[3]
    write(congress, commented.draft, commented.authors[2], paragraph=4, stance="partly",
          text="Nên gọn hơn.", proposed_wording=paragraph.replace("giáo dục, y tế", "y tế"))
    pdf = _pdf(client)
    assert "Nâng cao chất lượng [giáo dục,] y tế; chăm lo" in pdf_text(pdf)
    runs = triage.word_diff(paragraph, paragraph.replace("giáo dục, y tế", "y tế"))
    assert ("del", "giáo dục,") in runs
    _save_first_page(pdf, "comments-report-deleted.png")


def test_the_pdf_in_english(client, signed_in, triaged):
    text = pdf_text(_pdf(client, "en"))
    assert "REPORT compiling the comments on the draft Văn kiện Đại hội XIV của Đảng" in text
    assert "THE COMMENTS RECEIVED Draft document Agree Disagree Partly agree Total" in text
    assert f"Answer: Accepted. {RESPONSE}" in text and "ON BEHALF OF THE SECRETARIAT" in text


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_csv_and_xlsx_hold_the_same_rows_neutralised(client, signed_in, congress,
                                                         commented, organiser):
    write(congress, commented.draft, commented.authors[0], paragraph=4, stance="disagree",
          text=HOSTILE, proposed_wording="+SUM(A1:A9)")
    triage.classify(congress, commented.agree, classification="explained",
                    response="@cmd\tx", user=organiser)
    response = client.get("/organiser/comments/report.csv")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _csv_rows(response.get_data())
    assert rows[0][-1] == "Authors" and len(rows) == 1 + 5
    hostile = next(r for r in rows if r[8].endswith(HOSTILE))
    assert hostile[8] == "'" + HOSTILE and hostile[9] == "'+SUM(A1:A9)"
    assert hostile[-1] == "No. 21 Lê Thị Thu Hà"
    agree = next(r for r in rows if r[8] == AGREE_TEXT)
    assert agree[10:12] == ["Explained", "'@cmd\tx"]

    book = load_workbook(io.BytesIO(client.get("/organiser/comments/report.xlsx").get_data()))
    sheet = book.active
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0] == rows[0]
    hostile_cells = next(r for r in cells if str(r[8]).endswith(HOSTILE))
    assert hostile_cells[8] == "'" + HOSTILE and hostile_cells[9] == "'+SUM(A1:A9)"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert hostile_cells[3] == 4 and isinstance(hostile_cells[6], int)
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert safe_cell(start + "1") == "'" + start + "1"
    assert safe_cell("Tán thành") == "Tán thành"


def test_the_higher_level_export_has_its_drafts_only_and_no_names(
        client, signed_in, congress, triaged, make_document, open_comments):
    ours = make_document(title="Dự thảo Nghị quyết Đại hội", category="draft_resolution")
    open_comments(ours)
    write(congress, ours, triaged.authors[0], paragraph=None, stance="agree", text="Ours.")
    data = json.loads(client.get("/organiser/comments/higher-level.json").get_data())
    (document,) = data["documents"]
    assert document["code"] == triaged.draft.code and document["comments"] == 4
    assert document["stances"] == {"agree": 1, "disagree": 2, "partly": 1}
    wording = next(o for o in document["opinions"] if o["paragraph"] == 3)
    assert (wording["count"], wording["classification"], wording["response"]) == (
        2, "accepted", RESPONSE)
    body = client.get("/organiser/comments/higher-level.csv").get_data().decode("utf-8-sig")
    assert "Ours." not in body and REASON in body
    for author in triaged.authors:
        assert author.full_name not in body and author.full_name not in json.dumps(data)


def test_adopting_creates_the_document_then_replaces_its_file(client, signed_in, congress,
                                                              triaged, auth):
    page = client.get("/organiser/comments/adopt").get_data(as_text=True)
    assert "Adopt the compiled report as a congress document?" in page
    response = auth.post("/organiser/comments/adopt", {}, )
    assert response.status_code == 302
    adoption = adoption_of(congress)
    document = adoption.document
    assert document.category == DocumentCategory.COMMENTS_SUMMARY
    assert document.visibility == Visibility.DELEGATES and document.published
    assert document.title == "Báo cáo tổng hợp ý kiến góp ý vào dự thảo văn kiện"
    assert response.headers["Location"].endswith(f"/organiser/documents/{document.id}")
    code = document.code
    first = document.current_version
    assert first.number == 1 and "tổng hợp ý kiến góp ý vào dự thảo" in first.text
    # Compiling again later (a new answer): the same document, a new version, the same code.
    triage.classify(congress, triaged.whole, classification="explained",
                    response="Sẽ rà soát để viết gọn hơn.", user=signed_in.user)
    page = client.get("/organiser/comments/adopt").get_data(as_text=True)
    assert f"replaces the file of the document {code}" in page
    assert auth.post("/organiser/comments/adopt", {}).status_code == 302
    db.session.expire_all()
    document = adoption_of(congress).document
    assert document.code == code and document.current_version.number == 2
    assert "Sẽ rà soát để viết gọn hơn." in document.current_version.text
    actions = [e.action for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_id == document.id,
                                 AuditEvent.object_type == "Document").order_by(AuditEvent.id))]
    assert actions == ["document.create", "comments.adopt_report", "document.replace",
                       "comments.adopt_report"]
    # A GET changes nothing; a POST without a valid form is refused.
    assert client.post("/organiser/comments/adopt").status_code == 400
    assert document.current_version.number == 2
