"""The triage tests' shared pieces: a draft with comments from several delegates (one with a
proposed wording, one withdrawn), and the secretariat's phone-free helpers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from congress_app.models import Comment, Delegate, Document
from congress_app.services import comments as comment_service

from .comments_fixtures import PARAGRAPHS

REASON = "Đề nghị bổ sung chỉ tiêu cụ thể về chuyển đổi số cho từng khu dân cư."
SAME_REASON = "Cần bổ sung chỉ tiêu chuyển đổi số cho từng khu dân cư."
WORDING = ("Phát triển mạnh kinh tế số, đô thị thông minh và chuyển đổi số toàn diện trong "
           "quản lý nhà nước và cung cấp dịch vụ công ở phường.")
AGREE_TEXT = "Tán thành nội dung đánh giá kết quả nhiệm kỳ."
WITHDRAWN_TEXT = "Ý kiến này đã được rút lại."


@dataclass
class Commented:
    """The draft and its comments, by what they are for."""

    draft: Document
    authors: list[Delegate]
    wording: Comment      # § 3, disagree, with a proposed wording
    same: Comment         # § 3, disagree, says what `wording` says: a duplicate of it
    agree: Comment        # § 1, agree
    whole: Comment        # the whole document, partly agree
    withdrawn: Comment    # § 2, withdrawn by its author


def write(congress, document, author, *, paragraph=3, stance="disagree", text=REASON,
          proposed_wording=""):
    """A delegate's comment through the delegates' service, as the phone sends it."""
    comment, _new = comment_service.write_comment(
        congress, document, author, client_id=str(uuid.uuid4()), paragraph=paragraph,
        stance=stance, text=text, proposed_wording=proposed_wording)
    return comment


@pytest.fixture
def commented(congress, draft, open_comments) -> Commented:
    """Five comments by four official delegates on the higher level's draft."""
    from .conftest import add_delegate

    open_comments(draft)
    authors = [add_delegate(congress, number=n, full_name=name, discussion_group="Tổ 1")
               for n, name in ((21, "Lê Thị Thu Hà"), (22, "Phạm Văn Đức"),
                               (23, "Đỗ Quang Vinh"), (24, "Vũ Thị Ước"))]
    wording = write(congress, draft, authors[0], proposed_wording=WORDING)
    same = write(congress, draft, authors[1], text=SAME_REASON)
    agree = write(congress, draft, authors[2], paragraph=1, stance="agree", text=AGREE_TEXT)
    whole = write(congress, draft, authors[3], paragraph=None, stance="partly",
                  text="Đồng ý một phần: cần ngắn gọn hơn.")
    withdrawn = write(congress, draft, authors[3], paragraph=2, text=WITHDRAWN_TEXT)
    comment_service.withdraw_comment(congress, authors[3], withdrawn)
    assert wording.paragraph_text == PARAGRAPHS[2]
    return Commented(draft, authors, wording, same, agree, whole, withdrawn)
