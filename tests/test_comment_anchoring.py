"""A draft with comments gets a new version through the organiser's replace form: comments
follow their paragraphs into it (a moved paragraph exactly, a changed one flagged), one on a
deleted paragraph stays where it was, flagged, and none is ever lost."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from congress_app.extensions import db
from congress_app.models import AnchorState, AuditEvent, Comment, Role

from .comments_fixtures import DRAFT_TITLE, PARAGRAPHS, SECTIONS
from .triage_fixtures import WORDING, write

HEADINGS = list(SECTIONS)
CHANGED_P3 = ("Phát triển kinh tế số, đô thị thông minh và chuyển đổi số toàn diện trong "
              "quản lý nhà nước và cung cấp dịch vụ công ở phường.")
DELETED_TEXT = "Đoạn này bị bỏ trong bản sửa."


def _pdf(sections: dict[str, list[str]]) -> bytes:
    from weasyprint import HTML

    body = "".join(f"<h2>{heading}</h2>" + "".join(f"<p>{p}</p>" for p in paragraphs)
                   for heading, paragraphs in sections.items())
    return HTML(string=f"<html><body><h1>{DRAFT_TITLE}</h1>{body}</body></html>").write_pdf()


# Version 2: § 1 and § 2 swap places, § 3 is reworded, § 4 is gone.
SECOND = {HEADINGS[0]: [PARAGRAPHS[1], PARAGRAPHS[0]], HEADINGS[1]: [CHANGED_P3]}
# Version 3: back in the first order, § 3 as reworded, § 4 back.
THIRD = {HEADINGS[0]: [PARAGRAPHS[0], PARAGRAPHS[1]],
         HEADINGS[1]: [CHANGED_P3, PARAGRAPHS[3]]}


def _replace(auth, document_id: int, data: bytes):
    return auth.post(f"/organiser/documents/{document_id}/replace",
                     data={"file": (io.BytesIO(data), "du-thao-sua.pdf"), "note": ""},
                     content_type="multipart/form-data")


def _count() -> int:
    return db.session.scalar(select(func.count(Comment.id)))


def _reanchor_events() -> list[dict]:
    return [json.loads(e.detail) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "comment.reanchor")
        .order_by(AuditEvent.id))]


@pytest.fixture
def deleted(congress, commented):
    """A comment on § 4, the paragraph version 2 leaves out."""
    return write(congress, commented.draft, commented.authors[2], paragraph=4,
                 stance="agree", text=DELETED_TEXT)


def test_comments_follow_a_moved_paragraph_and_a_changed_one_is_flagged(
        signed_in, commented, deleted):
    before = _count()
    assert _replace(signed_in, commented.draft.id, _pdf(SECOND)).status_code == 302
    db.session.expire_all()
    new = commented.draft.current_version
    assert new.number == 2
    assert _count() == before

    agree, withdrawn = commented.agree, commented.withdrawn
    # § 1 moved to § 2 (and § 2 to § 1): its comments follow it, not flagged.
    assert (agree.version_id, agree.paragraph, agree.anchor_state) == (
        new.id, 2, AnchorState.CURRENT)
    assert (withdrawn.version_id, withdrawn.paragraph, withdrawn.anchor_state) == (
        new.id, 1, AnchorState.CURRENT)
    assert withdrawn.is_withdrawn
    # § 3 reworded: its comments move, flagged, keeping the words they were written on.
    for comment in (commented.wording, commented.same):
        assert (comment.version_id, comment.paragraph, comment.anchor_state) == (
            new.id, 3, AnchorState.CHANGED)
        assert comment.paragraph_text == PARAGRAPHS[2]
        assert comment.section.startswith("II. MỤC TIÊU")
    assert commented.wording.proposed_wording == WORDING
    # § 4 is gone: its comment stays on version 1's § 4, flagged, and is still there.
    assert (deleted.version.number, deleted.paragraph, deleted.anchor_state) == (
        1, 4, AnchorState.NOT_FOUND)
    assert deleted.paragraph_text == PARAGRAPHS[3]
    assert deleted.anchored_to_id == new.id
    # The whole-document comment simply moves.
    assert (commented.whole.version_id, commented.whole.paragraph,
            commented.whole.anchor_state) == (new.id, None, AnchorState.CURRENT)

    assert _reanchor_events() == [{"code": commented.draft.code, "version": 2, "moved": 3,
                                   "changed": 2, "not_found": 1}]


def test_a_second_replacement_matches_against_the_newest_version(signed_in, commented,
                                                                 deleted):
    before = _count()
    assert _replace(signed_in, commented.draft.id, _pdf(SECOND)).status_code == 302
    assert _replace(signed_in, commented.draft.id, _pdf(THIRD)).status_code == 302
    db.session.expire_all()
    newest = commented.draft.current_version
    assert newest.number == 3
    assert _count() == before
    # Back in the first order: the comment on § 1 follows it from version 2's § 2.
    assert (commented.agree.version_id, commented.agree.paragraph,
            commented.agree.anchor_state) == (newest.id, 1, AnchorState.CURRENT)
    # Still reworded against what the delegate read: still flagged.
    assert (commented.wording.version_id, commented.wording.paragraph,
            commented.wording.anchor_state) == (newest.id, 3, AnchorState.CHANGED)
    # § 4 is back: the comment left on version 1 finds its words again.
    assert (deleted.version_id, deleted.paragraph, deleted.anchor_state) == (
        newest.id, 4, AnchorState.CURRENT)
    assert [(e["version"], e["moved"], e["changed"], e["not_found"])
            for e in _reanchor_events()] == [(2, 3, 2, 1), (3, 4, 2, 0)]


def test_a_replacement_without_comments_records_no_reanchoring(signed_in, draft):
    assert _replace(signed_in, draft.id, _pdf(SECOND)).status_code == 302
    assert _reanchor_events() == []


def test_the_audit_page_reads_the_reanchoring_as_a_sentence(client, sign_in_as, commented,
                                                          deleted):
    admin = sign_in_as(Role.ADMIN, "admin", lang=None)
    assert _replace(admin, commented.draft.id, _pdf(SECOND)).status_code == 302
    client.set_cookie("lang", "vi")
    html = client.get("/organiser/audit").get_data(as_text=True)
    assert (f"Đã chuyển các ý kiến về tài liệu {commented.draft.code} sang phiên bản 2: "
            "3 theo đúng đoạn của mình, 2 trên đoạn đã thay đổi, 1 không tìm thấy trong "
            "phiên bản mới") in html


def test_the_triage_filter_shows_the_comments_whose_paragraph_changed(
        client, signed_in, commented, deleted):
    assert _replace(signed_in, commented.draft.id, _pdf(SECOND)).status_code == 302
    page = client.get("/organiser/comments/?changed=1").get_data(as_text=True)
    for comment in (commented.wording, deleted):
        assert f'id="comment-{comment.id}"' in page
    assert f'id="comment-{commented.agree.id}"' not in page
    assert "Paragraph changed" in page
    assert "Paragraph not found in the new version" in page
    assert "Written on this wording of the paragraph:" in page
    assert PARAGRAPHS[3] in page

    everything = client.get("/organiser/comments/").get_data(as_text=True)
    assert f'id="comment-{commented.agree.id}"' in everything


def test_my_comments_says_the_paragraph_changed(signed_in, commented, deleted,
                                               delegate_phone):
    assert _replace(signed_in, commented.draft.id, _pdf(SECOND)).status_code == 302
    mine = delegate_phone(commented.authors[0]).get("/delegate/comments").get_data(
        as_text=True)
    assert "Paragraph changed" in mine
    assert "It now points to § 3 of the new version." in mine

    vi = delegate_phone(commented.authors[2], lang="vi").get("/delegate/comments").get_data(
        as_text=True)
    assert "Đoạn đã thay đổi" in vi
    assert "Không tìm thấy trong phiên bản mới" in vi


def test_the_text_mode_marks_the_delegate_s_changed_paragraph(signed_in, commented, deleted,
                                                              delegate_phone):
    assert _replace(signed_in, commented.draft.id, _pdf(SECOND)).status_code == 302
    code = commented.draft.code
    page = delegate_phone(commented.authors[0], lang="vi").get(
        f"/d/{code}?mode=text").get_data(as_text=True)
    paragraph_3 = page[page.index('id="p-3"'):]
    assert "Đoạn đã thay đổi" in paragraph_3
    assert "Ý kiến của bạn nay gắn với § 3." in paragraph_3
    assert "Đoạn đã thay đổi" not in page[:page.index('id="p-3"')]
    # Another delegate's page, and an anonymous one, say nothing of it.
    other = delegate_phone(commented.authors[2], lang="vi").get(
        f"/d/{code}?mode=text").get_data(as_text=True)
    assert "Ý kiến của bạn nay gắn với" not in other
