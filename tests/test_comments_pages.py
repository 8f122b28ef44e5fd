"""Góp ý through the pages: the reader numbers the paragraphs and offers "Comment" while the
window is open, a delegate writes, re-sends, edits and withdraws through the forms, and the
organiser opens, counts and closes comments on the document's page."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from congress_app.extensions import db
from congress_app.models import Comment, CommentWindow, Stance, utcnow
from congress_app.services import comments as comment_service
from congress_app.services.delegates import card_pin

from .comments_fixtures import PARAGRAPHS
from .conftest import add_delegate, csrf_token_from, pin_sign_in

REASON = "Đề nghị nêu rõ chỉ tiêu về chất lượng sinh hoạt chi bộ."


@pytest.fixture
def delegate(congress):
    return add_delegate(congress, number=12, full_name="Trần Văn Bình")


@pytest.fixture
def phone(delegate, delegate_phone):
    return delegate_phone(delegate)


def _form(client, path: str) -> dict:
    """The comment form's hidden fields as the page rendered them."""
    html = client.get(path).get_data(as_text=True)
    client_id = re.search(r'name="client_id" type="hidden" value="([^"]+)"', html).group(1)
    return {"csrf_token": csrf_token_from(html), "client_id": client_id}


def _send(client, path: str, **fields):
    return client.post(path, data={**_form(client, path), **fields})


def _comments() -> list[Comment]:
    db.session.expire_all()
    return list(db.session.scalars(select(Comment).order_by(Comment.id)))


# The reader -----------------------------------------------------------------------------


def test_text_mode_numbers_the_paragraphs_with_an_anchor_each(client, draft):
    client.set_cookie("lang", "en")
    html = client.get(f"/d/{draft.code}?mode=text").get_data(as_text=True)
    for n, text in enumerate(PARAGRAPHS, start=1):
        assert re.search(rf'<div class="para" id="p-{n}">\s*<p><span class="para-no">§ {n}'
                         rf"</span> {re.escape(text)}</p>", html), n
    assert 'id="p-5"' not in html and "/comment" not in html  # no window: no "Comment"


def test_while_comments_are_open_each_paragraph_and_the_document_offer_comment(
        client, draft, open_comments):
    open_comments(draft)
    client.set_cookie("lang", "vi")
    html = client.get(f"/d/{draft.code}?mode=text").get_data(as_text=True)
    for n in range(1, 5):
        assert (f'<a class="comment-link" href="/d/{draft.code}/comment/{n}" '
                f'aria-label="Góp ý vào § {n}">Góp ý</a>') in html
    assert f'href="/d/{draft.code}/comment">Góp ý chung cho cả văn kiện</a>' in html
    assert "Đang lấy ý kiến góp ý" in html


def test_a_document_wide_window_offers_no_paragraph_links(client, draft, open_comments):
    open_comments(draft, scope="document")
    html = client.get(f"/d/{draft.code}?mode=text").get_data(as_text=True)
    assert f"/d/{draft.code}/comment/" not in html and f'href="/d/{draft.code}/comment"' in html


def test_the_reader_page_is_not_kept_rendered_while_the_clock_may_close_comments(
        app, client, draft, open_comments):
    open_comments(draft)
    assert client.get(f"/d/{draft.code}").status_code == 200
    assert not app.extensions["page_cache"]._pages
    comment_service.close_window(draft.congress, comment_service.window_of(draft))
    assert "/comment" not in client.get(f"/d/{draft.code}").get_data(as_text=True)
    assert app.extensions["page_cache"]._pages  # closed for good: kept again


# Signing in on the way ------------------------------------------------------------------


def test_not_signed_in_a_delegate_signs_in_and_comes_back_to_the_paragraph(
        client, draft, open_comments, delegate):
    open_comments(draft)
    client.set_cookie("lang", "en")
    response = client.get(f"/d/{draft.code}/comment/2")
    location = urlsplit(response.headers["Location"])
    assert response.status_code == 302 and location.path == "/delegate/sign-in"
    assert parse_qs(location.query) == {"next": [f"/d/{draft.code}/comment/2"]}
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sign in to comment." in page
    signed_in = pin_sign_in(client, delegate.number, card_pin(delegate),
                            next_path=f"/d/{draft.code}/comment/2")
    assert signed_in.headers["Location"] == f"/d/{draft.code}/comment/2"
    form = client.get(f"/d/{draft.code}/comment/2").get_data(as_text=True)
    assert "Comment on § 2" in form and PARAGRAPHS[1] in form


# Writing ---------------------------------------------------------------------------------


def test_the_form_offers_three_stances_and_states_its_limits(phone, draft, open_comments):
    open_comments(draft)
    html = phone.get(f"/d/{draft.code}/comment/2").get_data(as_text=True)
    assert re.findall(r'type="radio" value="(\w+)"', html) == ["agree", "disagree", "partly"]
    for label in ("Agree", "Disagree", "Partly agree"):
        assert f"<span>{label}</span>" in html
    assert html.count("At most 2000 characters.") == 2  # the text and the proposed wording
    assert "maxlength" not in html[html.index('class="comment-form"'):]
    first, second = (_form(phone, f"/d/{draft.code}/comment/2")["client_id"] for _ in "ab")
    assert first != second and re.fullmatch(r"[0-9a-f-]{36}", first)


def test_a_delegate_disagrees_with_a_reason_and_is_back_at_the_paragraph(
        phone, draft, open_comments, delegate):
    open_comments(draft)
    response = _send(phone, f"/d/{draft.code}/comment/2", stance="disagree", text=REASON,
                     proposed_wording="Chất lượng sinh hoạt chi bộ được nâng lên rõ rệt.")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/d/{draft.code}?mode=text#p-2"
    [comment] = _comments()
    assert (comment.paragraph, comment.stance, comment.text) == (2, Stance.DISAGREE, REASON)
    assert comment.author_id == delegate.id
    page = phone.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your comment has been sent." in page


def test_back_and_send_again_keeps_one_comment(phone, draft, open_comments):
    open_comments(draft)
    data = {**_form(phone, f"/d/{draft.code}/comment/2"), "stance": "agree", "text": ""}
    assert phone.post(f"/d/{draft.code}/comment/2", data=data).status_code == 302
    again = phone.post(f"/d/{draft.code}/comment/2", data=data)
    assert again.status_code == 302 and len(_comments()) == 1
    assert "already been sent" in phone.get(again.headers["Location"]).get_data(as_text=True)


def test_a_copy_the_outbox_sends_again_is_answered_quietly(phone, draft, open_comments):
    """Seen in CI: the outbox's spare copy left its own "already sent" message in the session,
    so the delegate's next page showed it twice."""
    open_comments(draft)
    path = f"/d/{draft.code}/comment/2"
    data = {**_form(phone, path), "stance": "agree", "text": ""}
    assert phone.post(path, data=data).status_code == 302  # the delegate's own send
    quiet = {"X-Congress-Outbox": "1"}
    form_page = phone.get(path, headers=quiet).get_data(as_text=True)
    assert "Your comment has been sent." not in form_page  # left for the delegate's page
    copy = phone.post(path, data={**data, "csrf_token": csrf_token_from(form_page)},
                      headers=quiet)
    assert (copy.status_code, copy.get_data(), len(_comments())) == (204, b"", 1)
    page = phone.get(f"/d/{draft.code}?mode=text").get_data(as_text=True)
    assert page.count("Your comment has been sent.") == 1
    assert "already been sent" not in page


@pytest.mark.parametrize(("fields", "message"), [
    ({"stance": "disagree", "text": ""}, "Say why you disagree: the reason is required."),
    ({"text": "Ý kiến"}, "Choose Agree, Disagree or Partly agree."),
    ({"stance": "agree", "text": "x" * 2001}, "at most 2000 characters (you wrote 2001)"),
])
def test_a_refused_comment_comes_back_filled_with_the_message(phone, draft, open_comments,
                                                              fields, message):
    open_comments(draft)
    response = _send(phone, f"/d/{draft.code}/comment/2", **fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and message in html
    assert fields["text"][:50] in html and not _comments()


def test_an_anchor_that_does_not_exist_is_a_404(phone, draft, open_comments):
    open_comments(draft)
    assert phone.get(f"/d/{draft.code}/comment/9").status_code == 404
    assert _send(phone, f"/d/{draft.code}/comment/1", stance="agree").status_code == 302
    response = phone.post(f"/d/{draft.code}/comment/9",
                          data={**_form(phone, f"/d/{draft.code}/comment/1"),
                                "stance": "agree"})
    assert response.status_code == 404 and len(_comments()) == 1


def test_after_closing_the_form_says_when_comments_closed(phone, draft, open_comments):
    window = open_comments(draft)
    data = {**_form(phone, f"/d/{draft.code}/comment/2"), "stance": "agree"}
    window.closes_at = utcnow() - timedelta(minutes=1)
    window.opens_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    for response in (phone.get(f"/d/{draft.code}/comment/2"),
                     phone.post(f"/d/{draft.code}/comment/2", data=data)):
        html = response.get_data(as_text=True)
        assert response.status_code == 423 and "Comments are closed" in html
        assert "Comments on this document closed at" in html
    assert not _comments()


# My comments -----------------------------------------------------------------------------


def test_my_comments_lists_one_s_own_with_edit_and_withdraw(phone, draft, open_comments,
                                                            delegate, delegate_phone, congress):
    open_comments(draft)
    _send(phone, f"/d/{draft.code}/comment/2", stance="disagree", text=REASON)
    [comment] = _comments()
    html = phone.get("/delegate/comments").get_data(as_text=True)
    assert REASON in html and "§ 2" in html and "Disagree" in html
    assert f'href="/delegate/comments/{comment.id}/edit"' in html
    assert f'href="/delegate/comments/{comment.id}/withdraw"' in html

    edit = f"/delegate/comments/{comment.id}/edit"
    page = phone.get(edit).get_data(as_text=True)
    response = phone.post(edit, data={
        "csrf_token": csrf_token_from(page), "stance": "partly", "text": "Một phần.",
        "edit_version": re.search(r'name="edit_version" type="hidden" value="(\d+)"',
                                  page).group(1)})
    assert response.status_code == 302 and _comments()[0].stance == Stance.PARTLY

    # A stray tap on "Withdraw" only asks; the confirmation withdraws.
    ask = phone.get(f"/delegate/comments/{comment.id}/withdraw")
    assert ask.status_code == 200 and "Withdraw this comment?" in ask.get_data(as_text=True)
    assert _comments()[0].withdrawn_at is None
    assert phone.post(f"/delegate/comments/{comment.id}/withdraw",
                      data={"csrf_token": csrf_token_from(ask.get_data(as_text=True))}
                      ).status_code == 302
    assert _comments()[0].withdrawn_at is not None
    html = phone.get("/delegate/comments").get_data(as_text=True)
    assert "Withdrawn" in html and f'/delegate/comments/{comment.id}/edit"' not in html
    assert phone.get(edit).status_code == 409
    assert phone.get(f"/delegate/comments/{comment.id}/withdraw").status_code == 409


def test_withdrawing_needs_the_form_s_token(phone, draft, open_comments):
    open_comments(draft)
    _send(phone, f"/d/{draft.code}/comment/2", stance="agree")
    [comment] = _comments()
    assert phone.post(f"/delegate/comments/{comment.id}/withdraw").status_code == 400
    assert _comments()[0].withdrawn_at is None


# The organiser's panel -------------------------------------------------------------------


def test_the_organiser_opens_counts_and_closes_comments(client, auth, organiser, draft,
                                                        delegate, delegate_phone):
    client.set_cookie("lang", "en")
    auth.login()
    page = f"/organiser/documents/{draft.id}"
    html = client.get(page).get_data(as_text=True)
    assert "0 comments received" in html and 'name="closes_at"' in html
    closes = (utcnow() + timedelta(days=1)).astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime(
        "%Y-%m-%dT%H:%M")
    response = auth.post(f"{page}/comments/open", {"opens_at": "", "closes_at": closes,
                                                   "scope": "paragraphs"})
    assert response.status_code == 302
    assert comment_service.is_open(comment_service.window_of(draft))

    _send(delegate_phone(delegate), f"/d/{draft.code}/comment/1", stance="agree")
    html = client.get(page).get_data(as_text=True)
    assert "1 comment received" in html and "Close comments now" in html
    assert auth.post(f"{page}/comments/close").status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "Comments closed at" in html and "1 comment received" in html


def test_a_window_that_makes_no_sense_comes_back_with_the_message(client, auth, organiser,
                                                                  draft):
    client.set_cookie("lang", "en")
    auth.login()
    page = f"/organiser/documents/{draft.id}"
    response = auth.post(f"{page}/comments/open", {
        "opens_at": "2025-07-22T10:00", "closes_at": "2025-07-22T09:00",
        "scope": "paragraphs"})
    assert response.status_code == 400
    assert "Comments must close after they open." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CommentWindow)) == 0


def test_the_documents_list_says_which_documents_take_comments(client, auth, organiser, draft,
                                                               make_document, open_comments,
                                                               phone):
    other = make_document(title="Báo cáo chính trị")
    open_comments(draft)
    _send(phone, f"/d/{draft.code}/comment/1", stance="agree")
    client.set_cookie("lang", "en")
    auth.login()
    html = client.get("/organiser/documents").get_data(as_text=True)
    assert (f'href="/organiser/documents/{draft.id}#comments" class="tag tag-ok">Comments '
            f"open · 1 comment received</a>") in html
    assert f"/organiser/documents/{other.id}#comments" not in html
    states = comment_service.states(draft.congress)
    assert set(states) == {draft.id} and states[draft.id].count == 1


def test_the_audit_log_reads_a_delegate_s_comment_as_a_sentence(app):
    from congress_app.web.audit_sentences import sentence

    detail = {"delegate": 12, "code": "TVDD5T", "paragraph": 2, "stance": "disagree"}
    with app.test_request_context(headers={"Cookie": "lang=vi"}):
        assert sentence("comment.create", detail) == (
            "Đại biểu số 12 đã góp ý vào tài liệu TVDD5T, § 2: không tán thành")
        assert sentence("comment.withdraw", {**detail, "paragraph": None}).startswith(
            "Đại biểu số 12 đã rút ý kiến góp ý vào tài liệu TVDD5T, cả văn kiện")
        # Times in the congress's time zone (UTC+7), the scope by its label.
        assert sentence("comments.open", {
            "code": "TVDD5T", "opens_at": "2025-07-22T01:00:00+00:00",
            "closes_at": "2025-07-23T10:00:00+00:00", "scope": "paragraphs",
            "title": "Dự thảo"}) == (
            "Đã mở góp ý vào tài liệu TVDD5T từ 08:00, 22/7/2025 đến 17:00, 23/7/2025 "
            "(từng đoạn và cả văn kiện) · tên: Dự thảo")


def test_closing_a_document_that_takes_no_comments_changes_nothing(client, auth, organiser,
                                                                   draft):
    client.set_cookie("lang", "en")
    auth.login()
    response = auth.post(f"/organiser/documents/{draft.id}/comments/close")
    assert response.status_code == 409
    assert "This document is not open for comments." in response.get_data(as_text=True)
    assert comment_service.window_of(draft) is None
