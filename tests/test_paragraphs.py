"""Numbered paragraphs of a version (what a comment is anchored to) and how a comment's
paragraph is found again in the next version."""

from __future__ import annotations

from congress_app.models import DocumentVersion
from congress_app.services import paragraphs

DRAFT = (
    "# I. ĐÁNH GIÁ KẾT QUẢ NHIỆM KỲ\n\n"
    "Đảng bộ phường đã lãnh đạo thực hiện thắng lợi các mục tiêu của nhiệm kỳ.\n\n"
    "Công tác xây dựng Đảng được chú trọng, chất lượng sinh hoạt chi bộ được nâng lên\n"
    "\f"
    "và gắn với nhiệm vụ chính trị của từng chi bộ.\n\n"
    "# II. MỤC TIÊU, NHIỆM VỤ\n\n"
    "Chỉ tiêu\tNăm 2030\n\n"
    "Phát triển kinh tế số, đô thị thông minh và chuyển đổi số toàn diện.\n\n"
    "Trang 2/2"
)


def version(text: str) -> DocumentVersion:
    return DocumentVersion(number=1, sha256="0" * 64, original_filename="du-thao.pdf",
                           mime_type="application/pdf", size=1, pages=text.count("\f") + 1,
                           text=text)


def test_paragraphs_and_rows_are_numbered_through_the_document_under_their_headings():
    found = paragraphs.paragraphs(version(DRAFT))

    assert [(p.number, p.page, p.kind) for p in found] == [
        (1, 1, "paragraph"), (2, 1, "paragraph"), (3, 2, "row"), (4, 2, "paragraph")]
    assert found[1].text == ("Công tác xây dựng Đảng được chú trọng, chất lượng sinh hoạt chi "
                             "bộ được nâng lên và gắn với nhiệm vụ chính trị của từng chi bộ.")
    assert found[2].text == "Chỉ tiêu | Năm 2030"
    assert [p.section for p in found] == ["I. ĐÁNH GIÁ KẾT QUẢ NHIỆM KỲ"] * 2 + [
        "II. MỤC TIÊU, NHIỆM VỤ"] * 2


def test_the_text_mode_blocks_keep_headings_unnumbered_and_the_page_furniture_out():
    shown = paragraphs.blocks(version(DRAFT))

    assert [(b.block.kind, b.number) for b in shown] == [
        ("heading", None), ("paragraph", 1), ("paragraph", 2), ("heading", None), ("row", 3),
        ("paragraph", 4)]
    assert all("Trang" not in b.block.text for b in shown)


def test_a_number_outside_the_version_is_no_paragraph():
    draft = version(DRAFT)

    assert paragraphs.paragraph(draft, 4).text.startswith("Phát triển kinh tế số")
    assert [paragraphs.paragraph(draft, n) for n in (0, 5, -1)] == [None, None, None]
    assert paragraphs.paragraphs(version("")) == ()


def test_a_comment_follows_its_moved_paragraph_exactly_and_a_changed_one_by_likeness():
    old = paragraphs.paragraphs(version(DRAFT))
    new = paragraphs.paragraphs(version(
        "# II. MỤC TIÊU, NHIỆM VỤ\n\n"
        "Phát triển kinh tế số, đô thị thông minh và chuyển đổi số toàn diện.\n\n"
        "# I. ĐÁNH GIÁ KẾT QUẢ NHIỆM KỲ\n\n"
        "Đảng bộ phường đã lãnh đạo hoàn thành toàn diện các mục tiêu của nhiệm kỳ 2020–2025.\n\n"
        "Nội dung hoàn toàn mới về cải cách hành chính và chính quyền số."))

    moved = paragraphs.follow(old[3].text, new)
    assert moved.exact and moved.paragraph.number == 1 and moved.paragraph.page == 1
    changed = paragraphs.follow(old[0].text, new)
    assert changed.paragraph.number == 2 and not changed.exact
    assert paragraphs.FOLLOW_THRESHOLD <= changed.score < 1
    gone = paragraphs.follow(old[1].text, new)
    assert gone.paragraph is None and not gone.exact and gone.score < paragraphs.FOLLOW_THRESHOLD


def test_case_and_spacing_do_not_make_a_paragraph_different():
    candidates = paragraphs.paragraphs(version("Tán thành  với dự thảo."))

    assert paragraphs.follow("tán thành với DỰ THẢO.", candidates).exact
