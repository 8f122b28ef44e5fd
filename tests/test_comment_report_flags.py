"""A comment whose paragraph changed in a new version of the draft carries its flag into the
compiled report: "Đoạn đã thay đổi" (or not found in the new version) beside the opinion in
the PDF, and a column of the CSV and XLSX exports and a field of the JSON one."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter

import pypdfium2 as pdfium
import pytest
from openpyxl import load_workbook

from congress_app.extensions import db
from congress_app.models import AnchorState
from congress_app.services import intake

from .browser import ARTIFACTS
from .pdf_reading import pdf_text
from .test_comment_anchoring import SECOND, _pdf
from .triage_fixtures import AGREE_TEXT, REASON, write

CHANGED_VI, NOT_FOUND_VI = "Đoạn đã thay đổi", "Đoạn không còn trong phiên bản mới"
GONE_TEXT = "Ý kiến về đoạn 4, bị bỏ trong bản sửa."


@pytest.fixture
def reworded(congress, commented, organiser):
    """Version 2 of the draft: § 3 reworded (two comments flagged "changed"), § 4 gone (one
    comment flagged "not found"), § 1 and § 2 swapped (their comments follow, unflagged)."""
    gone = write(congress, commented.draft, commented.authors[2], paragraph=4,
                 stance="agree", text=GONE_TEXT)
    intake.replace_file(commented.draft, intake.Upload(io.BytesIO(_pdf(SECOND)), "v2.pdf"),
                        user=organiser)
    db.session.expire_all()
    assert commented.wording.anchor_state == AnchorState.CHANGED
    assert gone.anchor_state == AnchorState.NOT_FOUND
    assert commented.agree.anchor_state == AnchorState.CURRENT
    return commented


def _save_flagged_page(pdf: bytes) -> None:
    """The page with the first flag, as a picture in test-artifacts/ (to look at)."""
    document = pdfium.PdfDocument(pdf)
    try:
        for page in document:
            if CHANGED_VI in page.get_textpage().get_text_range():
                ARTIFACTS.mkdir(exist_ok=True)
                page.render(scale=110 / 72).to_pil().save(
                    ARTIFACTS / "comments-report-paragraph-changed.png")
                return
    finally:
        document.close()


def _csv(client) -> list[list[str]]:
    data = client.get("/organiser/comments/report.csv").get_data()
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_csv_and_xlsx_have_a_paragraph_changed_column(client, signed_in, reworded):
    client.set_cookie("lang", "vi")
    rows = _csv(client)
    column = rows[0].index(CHANGED_VI)
    assert rows[0][-1] == "Người góp ý"  # the authors stay last
    flags = {row[8]: row[column] for row in rows[1:]}
    assert flags[REASON] == CHANGED_VI and flags[GONE_TEXT] == NOT_FOUND_VI
    assert flags[AGREE_TEXT] == ""
    assert Counter(flags.values()) == {"": 2, CHANGED_VI: 2, NOT_FOUND_VI: 1}

    sheet = load_workbook(io.BytesIO(client.get("/organiser/comments/report.xlsx").data)).active
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0] == rows[0]
    assert {row[8]: row[column] for row in cells[1:]} == {
        text: flag or None for text, flag in flags.items()}


def test_the_higher_level_exports_carry_the_flag(client, signed_in, reworded):
    data = json.loads(client.get("/organiser/comments/higher-level.json").get_data())
    states = {o["text"]: o["anchor_state"] for d in data["documents"] for o in d["opinions"]}
    assert states[REASON] == "changed" and states[GONE_TEXT] == "not_found"
    assert states[AGREE_TEXT] == "current"
    rows = list(csv.reader(io.StringIO(client.get("/organiser/comments/higher-level.csv")
                                       .get_data().decode("utf-8-sig"))))
    column = rows[0].index("Paragraph changed")
    assert {row[8]: row[column] for row in rows[1:]}[REASON] == "Paragraph changed"


def test_the_pdf_marks_each_opinion_on_a_changed_paragraph(client, signed_in, reworded):
    pdf = client.get("/organiser/comments/report.pdf?language=vi").get_data()
    _save_flagged_page(pdf)
    text = re.sub(r"\s+", " ", pdf_text(pdf))
    assert text.count(CHANGED_VI) == 2 and text.count(NOT_FOUND_VI) == 1
    # Beside its opinion: under its stance line, right after the comment's text.
    flagged = text.index(CHANGED_VI)
    assert text.rindex("Không tán thành", 0, flagged) < text.index(REASON) < flagged
    assert text.index(f"{REASON} {CHANGED_VI}") == text.index(REASON)
    assert text.index(f"{GONE_TEXT} {NOT_FOUND_VI}") >= 0
    english = pdf_text(client.get("/organiser/comments/report.pdf?language=en").get_data())
    assert re.sub(r"\s+", " ", english).count("Paragraph changed") == 2
