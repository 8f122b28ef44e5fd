"""Góp ý on a phone, for real: headless Debian Chromium at 360 × 740, in Vietnamese, one hand.

The delegate opens the draft, switches to text, taps "Góp ý" on § 2, signs in with the card's
number and PIN on the way, disagrees with a reason and finds the comment under "Ý kiến của
tôi". Screenshots of the form and of the list go to test-artifacts/."""

from __future__ import annotations

import pytest

from congress_app.services.delegates import card_pin

from .browser import ARTIFACTS
from .comments_fixtures import PARAGRAPHS
from .conftest import add_delegate

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("sync_rendering")]

REASON = "Đề nghị nêu rõ chỉ tiêu nâng cao chất lượng sinh hoạt chi bộ trong nhiệm kỳ tới."


def test_a_delegate_disagrees_with_paragraph_2_from_the_phone(live_server, phone, congress,
                                                               draft, open_comments):
    delegate = add_delegate(congress, number=12, full_name="Trần Văn Bình")
    open_comments(draft)
    phone.goto(f"{live_server}/d/{draft.code}")
    phone.get_by_role("button", name="Văn bản", exact=True).click()
    paragraph = phone.locator("#p-2")
    assert "§ 2" in paragraph.inner_text() and PARAGRAPHS[1] in paragraph.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "comments-reader-360.png"))

    link = phone.get_by_role("link", name="Góp ý vào § 2")
    link.scroll_into_view_if_needed()
    assert link.bounding_box()["height"] >= 44  # a thumb's target
    link.click()

    # Not signed in: the card's number and PIN, then straight back to the form.
    phone.wait_for_url("**/delegate/sign-in?next=**")
    assert phone.get_by_text("Đăng nhập để góp ý.").is_visible()
    phone.get_by_label("Số thứ tự đại biểu").fill(str(delegate.number))
    phone.get_by_label("Mã PIN (6 chữ số)").fill(card_pin(delegate))
    phone.get_by_role("button", name="Đăng nhập").click()
    phone.wait_for_url(f"**/d/{draft.code}/comment/2")
    assert phone.get_by_role("heading", name="Góp ý vào § 2").is_visible()

    stance = phone.get_by_label("Không tán thành", exact=True)
    assert stance.locator("xpath=..").bounding_box()["height"] >= 48
    stance.check()
    phone.get_by_label("Nội dung góp ý (bắt buộc nếu không tán thành: nêu lý do)").fill(REASON)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.screenshot(path=str(ARTIFACTS / "comments-form-360.png"), full_page=True)
    phone.get_by_role("button", name="Gửi góp ý").click()

    # Back at § 2 of the text, with the confirmation.
    phone.wait_for_url(f"**/d/{draft.code}?mode=text#p-2")
    assert phone.get_by_text("Đã gửi ý kiến của bạn.").is_visible()
    assert phone.locator("#text-view").is_visible()
    assert phone.evaluate("document.getElementById('p-2').getBoundingClientRect().top") < 740

    phone.get_by_role("link", name="Ý kiến của tôi").first.click()
    phone.wait_for_url("**/delegate/comments")
    mine = phone.locator(".my-comment")
    assert mine.count() == 1
    text = mine.inner_text()
    assert "§ 2" in text and "Không tán thành" in text and REASON in text
    assert mine.get_by_role("link", name="Rút ý kiến").is_visible()
    assert mine.get_by_role("link", name="Sửa").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.screenshot(path=str(ARTIFACTS / "comments-mine-360.png"), full_page=True)

    # Withdrawing asks once more, then the comment is marked so and no longer changeable.
    mine.get_by_role("link", name="Rút ý kiến").click()
    phone.get_by_role("button", name="Đồng ý rút ý kiến").click()
    phone.wait_for_url("**/delegate/comments")
    assert phone.get_by_text("Đã rút ý kiến của bạn: ý kiến không còn được tính.").is_visible()
    assert phone.locator(".my-comment .withdrawn").inner_text() == "Đã rút"
    assert phone.locator(".my-comment").get_by_role("link", name="Sửa").count() == 0
