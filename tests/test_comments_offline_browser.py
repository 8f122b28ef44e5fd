"""Góp ý when the hall's Wi-Fi drops, in Debian's Chromium at 360 × 740: a comment written
offline waits on the phone, visibly, and is sent once when the connection returns; a comment
sent the usual way is never counted twice because its spare copy is sent again."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from congress_app.extensions import db
from congress_app.models import Comment
from congress_app.services.delegates import card_pin

from .browser import ARTIFACTS, wait_for_js
from .conftest import add_delegate

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("sync_rendering")]

OFFLINE_REASON = "Viết khi mất mạng: đề nghị bổ sung chỉ tiêu về chuyển đổi số cho khu dân cư."
ONLINE_TEXT = "Tán thành nội dung đánh giá kết quả nhiệm kỳ."
OUTBOX_EMPTY = "JSON.parse(localStorage.getItem('congress-outbox-v1') || '[]').length === 0"


def _comments(paragraph: int | None = None) -> list[Comment]:
    db.session.expire_all()
    query = select(Comment).order_by(Comment.id)
    if paragraph is not None:
        query = query.where(Comment.paragraph == paragraph)
    return list(db.session.scalars(query))


def _sign_in_on_the_way(phone, delegate) -> None:
    phone.wait_for_url("**/delegate/sign-in?next=**")
    phone.get_by_label("Số thứ tự đại biểu").fill(str(delegate.number))
    phone.get_by_label("Mã PIN (6 chữ số)").fill(card_pin(delegate))
    phone.get_by_role("button", name="Đăng nhập").click()


def test_a_comment_written_offline_waits_on_the_phone_and_is_sent_once(
        live_server, phone, congress, draft, open_comments):
    delegate = add_delegate(congress, number=21, full_name="Lê Thị Hoa")
    open_comments(draft)
    phone.goto(f"{live_server}/d/{draft.code}/comment/2")
    _sign_in_on_the_way(phone, delegate)
    phone.wait_for_url(f"**/d/{draft.code}/comment/2")

    phone.context.set_offline(True)
    phone.get_by_label("Không tán thành", exact=True).check()
    phone.get_by_label("Nội dung góp ý (bắt buộc nếu không tán thành: nêu lý do)").fill(
        OFFLINE_REASON)
    phone.get_by_role("button", name="Gửi góp ý").click()

    outbox = phone.locator("#outbox")
    outbox.wait_for(state="visible")
    assert outbox.inner_text() == ("Ý kiến đang chờ gửi trên điện thoại này: 1. Ý kiến sẽ được "
                                   "gửi ngay khi có kết nối trở lại.")
    assert outbox.bounding_box()["y"] >= 0 and outbox.bounding_box()["y"] < 740
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "comments-offline-waiting-360.png"))
    assert _comments() == []

    phone.context.set_offline(False)  # Chromium fires "online": the outbox sends
    wait_for_js(phone, "document.getElementById('outbox').textContent.indexOf("
                       "'đã được gửi: 1') !== -1", timeout=15000)
    wait_for_js(phone, OUTBOX_EMPTY)
    phone.screenshot(path=str(ARTIFACTS / "comments-offline-sent-360.png"))
    [sent] = _comments()
    assert (sent.paragraph, sent.stance.value, sent.text, sent.author_id) == (
        2, "disagree", OFFLINE_REASON, delegate.id)

    # Reading on afterwards sends nothing again.
    phone.goto(f"{live_server}/d/{draft.code}?mode=text")
    wait_for_js(phone, OUTBOX_EMPTY)
    assert len(_comments()) == 1


def test_a_comment_sent_online_is_kept_once_although_its_copy_is_sent_again(
        live_server, phone, congress, draft, open_comments):
    delegate = add_delegate(congress, number=22, full_name="Phạm Văn Nam")
    open_comments(draft)
    phone.goto(f"{live_server}/d/{draft.code}/comment/1")
    _sign_in_on_the_way(phone, delegate)
    phone.wait_for_url(f"**/d/{draft.code}/comment/1")

    phone.get_by_label("Tán thành", exact=True).check()
    phone.get_by_label("Nội dung góp ý (bắt buộc nếu không tán thành: nêu lý do)").fill(
        ONLINE_TEXT)
    phone.get_by_role("button", name="Gửi góp ý").click()
    phone.wait_for_url(f"**/d/{draft.code}?mode=text#p-1")
    assert phone.get_by_text("Đã gửi ý kiến của bạn.").is_visible()
    wait_for_js(phone, OUTBOX_EMPTY)  # the spare copy went too, and the server knew it
    assert phone.locator("#outbox").is_hidden()  # a spare copy is no news to the delegate
    [kept] = _comments(paragraph=1)
    assert kept.text == ONLINE_TEXT


def test_back_then_send_again_keeps_one_comment(live_server, phone, congress, draft,
                                                open_comments):
    """Seen when tried: Chromium fetched the form anew on Back, with a new client id, and the
    second Send made a second comment."""
    delegate = add_delegate(congress, number=23, full_name="Đỗ Minh Tuấn")
    open_comments(draft)
    phone.goto(f"{live_server}/d/{draft.code}/comment/3")
    _sign_in_on_the_way(phone, delegate)
    phone.wait_for_url(f"**/d/{draft.code}/comment/3")
    for sending in ("first", "again"):
        phone.get_by_label("Tán thành", exact=True).check()
        phone.get_by_role("button", name="Gửi góp ý").click()
        phone.wait_for_url(f"**/d/{draft.code}?mode=text#p-3")
        if sending == "first":
            phone.go_back()
            phone.wait_for_url(f"**/d/{draft.code}/comment/3")
    assert phone.get_by_text("Ý kiến này đã được gửi trước đó nên chỉ được lưu "
                          "một lần.").is_visible()
    wait_for_js(phone, OUTBOX_EMPTY)
    assert len(_comments(paragraph=3)) == 1
