"""A discussion group's secretary on the phone (headless Chromium, 360 × 740, Vietnamese):
the form offers "own comment" or "the group's opinion", asks for the share count only for
the group's, and "Ý kiến của tôi" shows the opinion with its share. Screenshot of the form
goes to test-artifacts/."""

from __future__ import annotations

import pytest

from congress_app.models import Comment
from congress_app.services.delegates import card_pin

from .browser import ARTIFACTS
from .conftest import add_delegate

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("sync_rendering")]

REASON = "Tổ thống nhất đề nghị bổ sung chỉ tiêu chuyển đổi số cho từng khu dân cư."


def test_a_secretary_enters_the_groups_opinion_from_the_phone(live_server, phone, congress,
                                                               draft, open_comments):
    secretary = add_delegate(congress, number=31, full_name="Nguyễn Thị Thanh Hương",
                             discussion_group="Tổ 3", group_secretary=True)
    for number in (32, 33, 34):
        add_delegate(congress, number=number, full_name=f"Đại biểu {number}",
                     discussion_group="Tổ 3")
    open_comments(draft, authors="delegates_and_groups")
    phone.goto(f"{live_server}/d/{draft.code}/comment/3")
    phone.get_by_label("Số thứ tự đại biểu").fill(str(secretary.number))
    phone.get_by_label("Mã PIN (6 chữ số)").fill(card_pin(secretary))
    phone.get_by_role("button", name="Đăng nhập").click()
    phone.wait_for_url(f"**/d/{draft.code}/comment/3")

    share = phone.get_by_label("Số đại biểu của tổ có chung ý kiến")
    assert phone.get_by_label("Ý kiến riêng của tôi").is_checked()
    assert not share.is_visible()  # an own comment has no share count
    group = phone.get_by_label("Ý kiến của Tổ 3 (với tư cách thư ký tổ)")
    assert group.locator("xpath=..").bounding_box()["height"] >= 48
    group.check()
    assert share.is_visible()
    assert phone.get_by_text("Một số nguyên từ 1 đến 4: Tổ 3 có 4 đại biểu.").is_visible()
    share.fill("5")
    phone.get_by_label("Không tán thành", exact=True).check()
    phone.get_by_label("Nội dung góp ý (bắt buộc nếu không tán thành: nêu lý do)").fill(REASON)
    phone.get_by_role("button", name="Gửi góp ý").click()

    # Too many: the form comes back with the range, what was typed, and the choice kept.
    alert = phone.get_by_role("alert").filter(has_text="một số nguyên từ 1 đến 4")
    assert alert.is_visible()
    assert phone.get_by_label("Ý kiến của Tổ 3 (với tư cách thư ký tổ)").is_checked()
    assert Comment.query.count() == 0
    phone.get_by_label("Số đại biểu của tổ có chung ý kiến").fill("3")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "comments-group-form-360.png"), full_page=True)
    phone.get_by_role("button", name="Gửi góp ý").click()
    phone.wait_for_url(f"**/d/{draft.code}?mode=text#p-3")

    phone.goto(f"{live_server}/delegate/comments")
    assert phone.get_by_text("Ý kiến của Tổ 3 (3/4 đại biểu)").is_visible()
