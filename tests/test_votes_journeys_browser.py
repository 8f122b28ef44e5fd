"""Votes as the hall lives them, in Debian's headless Chromium, in Vietnamese.

1. The preparatory session (phiên trù bị) by show of hands: the door checks delegates in
   by number, the organiser's laptop (1280×800) adds the votes on the programme, the
   working rules and the presidium, opens one, types counts whose sum is not those present
   (the page says so and asks for the reason), confirms with one, closes, and the
   projector (1366×768) shows the result in large type; the next vote adds up and closes
   without a reason.
2. A secret vote on three phones (360×740): afterwards no stored row, read with raw SQL,
   links a delegate to a choice; the result on a phone and on the projector.

Screenshots go to test-artifacts/ (vote-journey-*.png).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import inspect, text

from congress_app.extensions import db
from congress_app.models import AgendaItem, Congress, Vote
from congress_app.services import stage as stage_service
from congress_app.services import votes as vote_service
from congress_app.services.delegates import card_token

from .browser import ARTIFACTS
from .conftest import ORGANISER, add_delegates

pytestmark = pytest.mark.browser

LAPTOP = {"viewport": {"width": 1280, "height": 800}, "locale": "vi-VN"}
PROJECTOR = {"viewport": {"width": 1366, "height": 768}, "locale": "vi-VN"}
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True, "locale": "vi-VN"}

PROGRAMME = "Thông qua Chương trình làm việc của Đại hội"
RULES = "Thông qua Quy chế làm việc của Đại hội"
PRESIDIUM = "Bầu Đoàn Chủ tịch Đại hội"
ITEMS = ["Thông qua Chương trình làm việc", "Thông qua Quy chế làm việc",
         "Bầu Đoàn Chủ tịch, Đoàn Thư ký, Ban Thẩm tra tư cách đại biểu"]


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"vote-journey-{name}.png"), full_page=True)


def font_px(page, selector: str) -> float:
    return page.evaluate(
        f"parseFloat(getComputedStyle(document.querySelector('{selector}')).fontSize)")


@pytest.fixture
def preparatory(congress):
    """The congress's only session is the preparatory one (so the clock's session, which
    "present now" counts, is it), with its three agenda items; eight official delegates."""
    session = congress.sessions[0]
    session.name = "Phiên trù bị"
    for item in list(session.items):
        db.session.delete(item)
    db.session.flush()
    session.items = [AgendaItem(position=n, title=title) for n, title in enumerate(ITEMS, 1)]
    db.session.commit()
    return add_delegates(congress, 8)


def sign_in_vi(page, base: str, next_path: str) -> None:
    """The staff login form in Vietnamese, as a person fills it in."""
    page.goto(f"{base}/login?next={next_path}")
    page.get_by_label("Tên đăng nhập").fill(ORGANISER[0])
    page.get_by_label("Mật khẩu").fill(ORGANISER[1])
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"**{next_path}")


def check_in_at_the_door(page, numbers: list[int]) -> None:
    """The door page's number form: type, see who it is, confirm."""
    result = page.locator("#scan-result")
    for n, number in enumerate(numbers, 1):
        page.get_by_label("Số thứ tự đại biểu").fill(str(number))
        page.get_by_role("button", name="Điểm danh", exact=True).click()
        result.get_by_text("Điểm danh đại biểu này?").wait_for()
        result.get_by_role("button", name="Xác nhận").click()
        expect(page.locator("#present-count")).to_have_text(str(n))


def add_vote(page, item_title: str, question: str, method: str = "Giơ thẻ") -> None:
    """On the votes list: open the item's "add a vote" part, fill it in, send it."""
    section = page.locator("section.org-session", has=page.get_by_role(
        "heading", level=2, name=item_title, exact=True))
    section.locator("summary").click()
    section.get_by_label("Nội dung biểu quyết").fill(question)
    section.get_by_label("Hình thức").select_option(label=method)
    section.get_by_role("button", name="Thêm biểu quyết").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(question)


def test_the_preparatory_session_votes_by_show_of_hands_with_the_sum_checked(
        app, live_server, phone, organiser, congress, preparatory):
    app.config["STAGE_POLL_INTERVAL_MS"] = 500
    items = congress.sessions[0].items
    stage_service.set_on_stage(congress, items[0], organiser)
    item_ids, congress_id = [item.id for item in items], congress.id
    db.session.remove()  # the server thread reads the database afresh
    browser = phone.context.browser
    laptop = browser.new_context(**LAPTOP).new_page()
    screen = browser.new_context(**PROJECTOR).new_page()

    # The door: five of the eight delegates arrive.
    sign_in_vi(laptop, live_server, "/checkin/")
    check_in_at_the_door(laptop, [1, 2, 3, 4, 5])

    # The votes of the preparatory session, on its three items.
    laptop.goto(f"{live_server}/organiser/votes")
    add_vote(laptop, ITEMS[0], PROGRAMME)
    laptop.goto(f"{live_server}/organiser/votes")
    add_vote(laptop, ITEMS[1], RULES)
    laptop.goto(f"{live_server}/organiser/votes")
    add_vote(laptop, ITEMS[2], PRESIDIUM)
    laptop.goto(f"{live_server}/organiser/votes")
    shot(laptop, "1-list")
    for question in (PROGRAMME, RULES, PRESIDIUM):
        expect(laptop.get_by_role("link", name=question)).to_be_visible()

    # The programme: opened; the projector shows the question.
    laptop.get_by_role("link", name=PROGRAMME).click()
    laptop.get_by_role("button", name="Bắt đầu biểu quyết").click()
    expect(laptop.get_by_text("Đại biểu có mặt hiện nay: 5")).to_be_visible()
    screen.goto(f"{live_server}/screen")
    expect(screen.locator(".screen-title")).to_have_text(PROGRAMME)

    # 4 + 0 + 0 hands, 5 present: the page says so, keeps the numbers, asks for the reason.
    laptop.get_by_label("Tán thành", exact=True).fill("4")
    laptop.get_by_label("Không tán thành", exact=True).fill("0")
    laptop.get_by_label("Không biểu quyết", exact=True).fill("0")
    laptop.get_by_role("button", name="Lưu số phiếu").click()
    warning = laptop.get_by_text("Tổng số Tán thành, Không tán thành và Không biểu quyết là "
                                 "4, nhưng có 5 đại biểu có mặt.")
    expect(warning).to_be_visible()
    expect(laptop.get_by_label("Tán thành", exact=True)).to_have_value("4")
    shot(laptop, "2-sum-differs")
    reason = laptop.get_by_label("Lý do tổng số khác số có mặt")
    expect(reason).to_be_visible()
    laptop.get_by_label("Tổng số khác số đại biểu có mặt: tôi xác nhận").check()
    reason.fill("Một đại biểu ra ngoài khi biểu quyết")
    laptop.get_by_role("button", name="Lưu số phiếu").click()
    expect(laptop.get_by_text("Đã lưu số phiếu.")).to_be_visible()
    laptop.get_by_role("button", name="Kết thúc biểu quyết").click()
    expect(laptop.get_by_text("Biểu quyết đã kết thúc.")).to_be_visible()
    expect(laptop.locator(".vote-outcome")).to_have_text("Thông qua")  # 4 of 5 present
    expect(laptop.get_by_text("Một đại biểu ra ngoài khi biểu quyết")).to_be_visible()
    shot(laptop, "3-closed")

    # The projector: the result in large type, read from the back of the hall.
    expect(screen.locator(".vote-outcome")).to_have_text("Thông qua", timeout=5000)
    expect(screen.locator(".vote-result")).to_contain_text("80,0%")
    assert font_px(screen, ".vote-outcome") >= 40
    assert font_px(screen, ".vote-result td") >= 28
    assert screen.evaluate("document.documentElement.scrollHeight") <= 768, "scrolls"
    shot(screen, "4-projector")

    # The working rules: 5 + 0 + 0 of 5 present adds up and closes with no reason asked.
    with app.app_context():
        stage_service.set_on_stage(db.session.get(Congress, congress_id),
                                   db.session.get(AgendaItem, item_ids[1]), None)
        db.session.remove()
    laptop.goto(f"{live_server}/organiser/votes")
    laptop.get_by_role("link", name=RULES).click()
    laptop.get_by_role("button", name="Bắt đầu biểu quyết").click()
    laptop.get_by_label("Tán thành", exact=True).fill("5")
    laptop.get_by_label("Không tán thành", exact=True).fill("0")
    laptop.get_by_label("Không biểu quyết", exact=True).fill("0")
    laptop.get_by_role("button", name="Lưu số phiếu").click()
    expect(laptop.get_by_text("Đã lưu số phiếu.")).to_be_visible()
    laptop.get_by_role("button", name="Kết thúc biểu quyết").click()
    expect(laptop.locator(".vote-outcome")).to_have_text("Thông qua")
    expect(laptop.get_by_text("Lý do tổng số khác")).to_have_count(0)
    expect(screen.locator(".screen-title")).to_have_text(RULES, timeout=5000)
    expect(screen.locator(".vote-result")).to_contain_text("100,0%")
    shot(screen, "5-projector-rules")

    with app.app_context():
        stored = {v.question: v for v in db.session.scalars(db.select(Vote))}
        assert stored[PROGRAMME].mismatch_reason == "Một đại biểu ra ngoài khi biểu quyết"
        assert (stored[PROGRAMME].for_count, stored[PROGRAMME].present_count) == (4, 5)
        assert stored[RULES].mismatch_reason == "" and stored[RULES].for_count == 5
        assert stored[PRESIDIUM].state == "draft"
        db.session.remove()


def test_a_secret_vote_on_three_phones_stores_no_link_from_delegate_to_choice(
        app, live_server, phone, congress, hall, make_vote):
    app.config["STAGE_POLL_INTERVAL_MS"] = 500
    stage_service.set_on_stage(congress, congress.sessions[0].items[0], None)
    vote = make_vote(secret=True, question=PRESIDIUM)
    vote_id = vote.id
    voters = hall["present"][:3]
    voter_ids = [d.id for d in voters]
    tokens = [card_token(d) for d in voters]
    db.session.remove()
    browser = phone.context.browser
    screen = browser.new_context(**PROJECTOR).new_page()
    screen.goto(f"{live_server}/screen")
    expect(screen.locator(".screen-title")).to_have_text(PRESIDIUM)

    phones = [phone] + [browser.new_context(**PHONE).new_page() for _ in range(2)]
    choices = ["Tán thành", "Không tán thành", "Không biểu quyết"]
    for n, (page, token, choice) in enumerate(zip(phones, tokens, choices, strict=True)):
        page.goto(f"{live_server}/K/{token}")
        page.locator(".vote-banner a").click()
        page.get_by_role("button", name=choice, exact=True).click()
        expect(page.locator(".ballot-done")).to_contain_text("bí mật")
        expect(page.get_by_role("button", name="Tán thành", exact=True)).to_have_count(0)
        expect(screen.locator("[data-vote-count]")).to_contain_text(f"{n + 1} / 7")
    shot(phones[0], "6-phone-voted")

    # Raw SQL over every table: no row names one of the voters together with a choice.
    with app.app_context():
        choice_words = {"for", "against", "abstain"}
        tables = inspect(db.engine).get_table_names()
        with db.engine.connect() as connection:
            ballots = connection.execute(text(
                "SELECT delegate_id, choice FROM vote_ballots WHERE vote_id = :v"),
                {"v": vote_id}).all()
            assert sorted(b[0] for b in ballots) == sorted(voter_ids)
            assert all(b[1] is None for b in ballots), ballots
            counters = connection.execute(text(
                "SELECT * FROM vote_counts WHERE vote_id = :v"), {"v": vote_id}).mappings().all()
            assert set(counters[0].keys()) == {"vote_id", "choice", "count"}
            assert sorted((c["choice"], c["count"]) for c in counters) == [
                ("abstain", 1), ("against", 1), ("for", 1)]
            for table in tables:
                for row in connection.execute(text(f'SELECT * FROM "{table}"')).mappings():
                    values = {str(v).lower() for v in row.values() if v is not None}
                    blob = " ".join(values)
                    names_a_voter = any(
                        row.get(key) in voter_ids for key in row
                        if "delegate" in key or (table == "delegates" and key == "id"))
                    if names_a_voter:
                        assert not values & choice_words and '"choice"' not in blob, (
                            table, dict(row))
                    if table != "vote_counts":  # nor does any log or record of the taps
                        assert not values & choice_words, (table, dict(row))
                        assert not any(f'"{w}"' in blob for w in choice_words), (
                            table, dict(row))
        vote_service.close_vote(db.session.get(Vote, vote_id), None)
        db.session.remove()

    # After closing: the result on a phone and on the projector (1 of 7 present: not passed).
    expect(screen.locator(".vote-outcome")).to_have_text("Không thông qua", timeout=5000)
    expect(screen.locator(".vote-result")).to_contain_text("14,3%")
    shot(screen, "7-projector-secret")
    phones[1].goto(f"{live_server}/vote/{vote_id}")
    expect(phones[1].locator(".vote-outcome")).to_have_text("Không thông qua")
    expect(phones[1].locator(".vote-result")).to_contain_text("14,3%")
    assert phones[1].evaluate("document.documentElement.scrollWidth") <= 360
    shot(phones[1], "8-phone-result")
