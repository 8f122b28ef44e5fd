"""Góp ý, the rules: a window opens and closes (by hand, or by the clock), official delegates
of the congress comment on an existing paragraph of the current version, a comment sent
twice is kept once, each may change or withdraw only their own, and every change is audited."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from congress_app.extensions import db
from congress_app.i18n import format_moment
from congress_app.models import (
    AuditEvent,
    Comment,
    CommentWindow,
    Congress,
    DelegateKind,
    Stance,
    utcnow,
)
from congress_app.services import closing as closing_service
from congress_app.services import comments as comment_service
from congress_app.services import paragraphs
from congress_app.services.errors import EditConflict, InputRefused

from .comments_fixtures import PARAGRAPHS, SECTIONS
from .conftest import add_delegate

REASON = "Đề nghị bổ sung chỉ tiêu cụ thể về chuyển đổi số cho từng khu dân cư."


@pytest.fixture
def delegate(congress):
    return add_delegate(congress, number=12, full_name="Trần Văn Bình")


@pytest.fixture
def window(draft, open_comments):
    return open_comments(draft)


def _write(congress, document, author, *, client_id=None, paragraph=2, stance="disagree",
           text=REASON, **kwargs):
    return comment_service.write_comment(
        congress, document, author, client_id=client_id or str(uuid.uuid4()),
        paragraph=paragraph, stance=stance, text=text, **kwargs)


def _refused(call, *args, **kwargs) -> InputRefused:
    with pytest.raises(InputRefused) as caught:
        call(*args, **kwargs)
    return caught.value


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# The document and its window ---------------------------------------------------------


def test_the_draft_is_numbered_paragraph_by_paragraph_under_its_headings(draft):
    found = paragraphs.paragraphs(draft.current_version)
    assert [p.text for p in found] == PARAGRAPHS
    assert [p.section.replace(" ", "") for p in found] == [
        heading.replace(" ", "") for heading, texts in SECTIONS.items() for _ in texts]


def test_an_organiser_opens_comments_and_it_is_audited(congress, draft, window, organiser):
    assert comment_service.is_open(window)
    state = comment_service.state(draft)
    assert state.open and state.by_paragraph and state.count == 0 and state.closed_at is None
    [event] = _events("comments.open")
    assert event.user_id == organiser.id and event.congress_id == congress.id
    assert '"scope": "paragraphs"' in event.detail and draft.code in event.detail


@pytest.mark.parametrize(("hours_open", "hours_close", "scope", "field"), [
    (0, -1, "paragraphs", "closes_at"),  # closes before it opens
    (-3, -1, "paragraphs", "closes_at"),  # closing time already passed
    (0, 5, "everything", "scope"),
])
def test_a_window_that_makes_no_sense_is_refused_and_nothing_is_opened(
        congress, draft, organiser, hours_open, hours_close, scope, field):
    now = utcnow()
    refused = _refused(comment_service.open_window, congress, draft,
                       opens_at=now + timedelta(hours=hours_open),
                       closes_at=now + timedelta(hours=hours_close), scope=scope,
                       user=organiser)
    assert refused.status == 400 and refused.field == field
    assert _count(CommentWindow) == 0 and not _events("comments.open")


def test_a_scan_without_text_takes_comments_on_the_whole_document_only(
        congress, draft, open_comments):
    draft.current_version.text = ""
    db.session.commit()
    refused = _refused(open_comments, draft, scope="paragraphs")
    assert refused.status == 400 and refused.field == "scope"
    assert open_comments(draft, scope="document").scope == "document"


def test_another_congress_s_document_is_unknown(draft, organiser):
    elsewhere = Congress(slug="ben-canh", title="Đại hội xã Bên Cạnh", organisation="Xã Bên Cạnh",
                         starts_on=date(2025, 7, 24), ends_on=date(2025, 7, 24))
    db.session.add(elsewhere)
    db.session.commit()
    refused = _refused(comment_service.open_window, elsewhere, draft, opens_at=None,
                       closes_at=utcnow() + timedelta(hours=1), scope="document",
                       user=organiser)
    assert refused.status == 404 and _count(CommentWindow) == 0
    stranger = add_delegate(elsewhere, number=1, full_name="Vũ Văn Ngoài")
    assert _refused(_write, elsewhere, draft, stranger).status == 404


def test_comments_close_by_themselves_at_the_closing_time(congress, draft, window, delegate):
    after = window.closes_at + timedelta(seconds=1)
    assert not comment_service.is_open(window, after)
    assert comment_service.state(draft, after).closed_at == window.closes_at
    refused = _refused(_write, congress, draft, delegate, now=after)
    # 423, naming the closing time (in the language of the moment).
    assert refused.status == 423 and format_moment(window.closes_at) in str(refused.message)
    assert _count(Comment) == 0


def test_an_organiser_closes_comments_by_hand_once(congress, draft, window, delegate, organiser):
    comment_service.close_window(congress, window, user=organiser)
    assert not comment_service.is_open(window) and len(_events("comments.close")) == 1
    assert _refused(_write, congress, draft, delegate).status == 423
    assert _refused(comment_service.close_window, congress, window).status == 409
    reopened = comment_service.open_window(
        congress, draft, opens_at=None, closes_at=utcnow() + timedelta(hours=2),
        scope="document", user=organiser)
    assert reopened.id == window.id and comment_service.is_open(reopened)


def test_a_window_opening_later_says_when(congress, draft, open_comments, delegate):
    later = utcnow() + timedelta(hours=3)
    open_comments(draft, opens_at=later, closes_at=later + timedelta(hours=3))
    state = comment_service.state(draft)
    assert state.upcoming and not state.open
    refused = _refused(_write, congress, draft, delegate)
    assert refused.status == 423 and format_moment(later) in str(refused.message)
    assert comment_service.changes_with_time(draft)


def test_a_closed_congress_takes_no_comments(congress, draft, window, delegate):
    closing_service.close(congress)
    assert not comment_service.is_open(window)
    assert _refused(_write, congress, draft, delegate).status == 423


# Writing -----------------------------------------------------------------------------


def test_a_delegate_comments_on_a_paragraph_of_the_current_version(congress, draft, window,
                                                                  delegate):
    comment, new = _write(congress, draft, delegate, paragraph=2,
                          proposed_wording="Công tác xây dựng Đảng được đặt lên hàng đầu.")
    assert new
    db.session.expire_all()
    comment = db.session.get(Comment, comment.id)
    assert (comment.version_id, comment.paragraph, comment.stance) == (
        draft.current_version.id, 2, Stance.DISAGREE)
    assert comment.paragraph_text == PARAGRAPHS[1] and comment.section.startswith("I. ")
    assert comment.author_id == delegate.id and comment.text == REASON
    [event] = _events("comment.create")
    assert event.user_id is None and event.congress_id == congress.id
    assert '"delegate": 12' in event.detail and '"paragraph": 2' in event.detail
    assert comment_service.count(draft) == 1


def test_a_comment_on_the_whole_document_has_no_paragraph(congress, draft, window, delegate):
    comment, _new = _write(congress, draft, delegate, paragraph=None, stance="agree", text="")
    assert comment.paragraph is None and comment.paragraph_text == ""


def test_the_same_comment_sent_twice_is_kept_once(congress, draft, window, delegate):
    client_id = str(uuid.uuid4())
    first, new = _write(congress, draft, delegate, client_id=client_id)
    again, new_again = _write(congress, draft, delegate, client_id=client_id.upper())
    assert new and not new_again and again.id == first.id
    assert _count(Comment) == 1 and len(_events("comment.create")) == 1
    # The same id with something else in it is not the same comment.
    refused = _refused(_write, congress, draft, delegate, client_id=client_id, text="Khác")
    assert refused.status == 409 and _count(Comment) == 1


def test_the_same_comment_sent_again_after_closing_still_answers_with_the_first(
        congress, draft, window, delegate):
    client_id = str(uuid.uuid4())
    first, _new = _write(congress, draft, delegate, client_id=client_id)
    later = window.closes_at + timedelta(minutes=5)
    again, new = _write(congress, draft, delegate, client_id=client_id, now=later)
    assert again.id == first.id and not new


def test_only_official_delegates_of_the_congress_comment(congress, draft, window):
    alternate = add_delegate(congress, number=30, full_name="Lê Thị Dự",
                             kind=DelegateKind.ALTERNATE)
    inactive = add_delegate(congress, number=31, full_name="Hồ Văn Nghỉ", active=False)
    for author in (None, alternate, inactive):
        assert _refused(_write, congress, draft, author).status == 403
    assert _count(Comment) == 0


@pytest.mark.parametrize(("changes", "status", "field"), [
    ({"stance": ""}, 400, "stance"),
    ({"stance": "abstain"}, 400, "stance"),
    ({"stance": "disagree", "text": "   "}, 400, "text"),  # a reason is required
    ({"stance": "partly", "text": ""}, 400, "text"),
    ({"text": "x" * 2001}, 400, "text"),
    ({"proposed_wording": "y" * 2001}, 400, "proposed_wording"),
    ({"paragraph": None, "proposed_wording": "Sửa thành…"}, 400, "proposed_wording"),
    ({"client_id": "not-a-uuid"}, 400, None),
    ({"paragraph": 5}, 404, None),
    ({"paragraph": 0}, 404, None),
])
def test_bad_input_is_refused_and_nothing_is_saved(congress, draft, window, delegate,
                                                   changes, status, field):
    refused = _refused(_write, congress, draft, delegate, **changes)
    assert (refused.status, refused.field) == (status, field)
    assert _count(Comment) == 0 and not _events("comment.create")


def test_the_stated_limit_itself_is_accepted(congress, draft, window, delegate):
    comment, _new = _write(congress, draft, delegate, text="ê" * comment_service.TEXT_MAX)
    assert len(comment.text) == comment_service.TEXT_MAX


def test_a_document_wide_window_refuses_paragraph_comments(congress, draft, open_comments,
                                                           delegate):
    open_comments(draft, scope="document")
    assert _refused(_write, congress, draft, delegate, paragraph=1).status == 400
    assert _write(congress, draft, delegate, paragraph=None)[1]


# Editing and withdrawing one's own ---------------------------------------------------


def test_a_delegate_edits_their_comment_while_the_window_is_open(congress, draft, window,
                                                                delegate):
    comment, _new = _write(congress, draft, delegate)
    loaded = comment.edit_version
    comment_service.edit_comment(congress, delegate, comment, stance="partly",
                                 text="Đồng ý phần đầu.", expected_version=loaded)
    db.session.expire_all()
    comment = db.session.get(Comment, comment.id)
    assert comment.stance == Stance.PARTLY and comment.paragraph == 2
    assert len(_events("comment.update")) == 1
    # A second tab still showing the first text cannot overwrite the change.
    with pytest.raises(EditConflict):
        comment_service.edit_comment(congress, delegate, comment, stance="agree", text="",
                                     expected_version=loaded)


def test_nobody_else_edits_or_withdraws_a_comment(congress, draft, window, delegate):
    comment, _new = _write(congress, draft, delegate)
    other = add_delegate(congress, number=13, full_name="Phạm Thị Dung")
    assert _refused(comment_service.edit_comment, congress, other, comment, stance="agree",
                    text="").status == 404
    assert _refused(comment_service.withdraw_comment, congress, other, comment).status == 404
    assert _refused(comment_service.own_comment, congress, None, comment.id).status == 404
    assert comment_service.my_comments(congress, other) == []
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).withdrawn_at is None


def test_a_withdrawn_comment_is_no_longer_counted_nor_changed(congress, draft, window,
                                                             delegate):
    comment, _new = _write(congress, draft, delegate)
    kept, _new = _write(congress, draft, delegate, paragraph=3, stance="agree", text="")
    comment_service.withdraw_comment(congress, delegate, comment)
    assert comment_service.count(draft) == 1 and len(_events("comment.withdraw")) == 1
    assert [c.id for c in comment_service.my_comments(congress, delegate)] == [kept.id,
                                                                             comment.id]
    assert _refused(comment_service.edit_comment, congress, delegate, comment,
                    stance="agree", text="").status == 409
    assert _refused(comment_service.withdraw_comment, congress, delegate, comment).status == 409


def test_after_closing_a_comment_can_no_longer_be_changed(congress, draft, window, delegate):
    comment, _new = _write(congress, draft, delegate)
    after = window.closes_at + timedelta(minutes=1)
    refused = _refused(comment_service.edit_comment, congress, delegate, comment,
                       stance="agree", text="", now=after)
    assert refused.status == 423
    assert _refused(comment_service.withdraw_comment, congress, delegate, comment,
                    now=after).status == 423
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).stance == Stance.DISAGREE


def test_two_organisers_rescheduling_at_once_do_not_overwrite_each_other(congress, draft,
                                                                         window, organiser):
    loaded = window.edit_version
    later = utcnow() + timedelta(hours=5)
    comment_service.open_window(congress, draft, opens_at=None, closes_at=later,
                                scope="paragraphs", user=organiser, expected_version=loaded)
    with pytest.raises(EditConflict):
        comment_service.open_window(congress, draft, opens_at=None,
                                    closes_at=later + timedelta(hours=1), scope="document",
                                    user=organiser, expected_version=loaded)
    db.session.expire_all()
    assert comment_service.window_of(draft).scope == "paragraphs"
