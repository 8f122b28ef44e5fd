"""A phone vote for real, in Debian's headless Chromium: three delegates' phones (360 px)
see the banner, tap a big button, the projector (1366×768) counts them live, and after the
vote closes shows the result in large type."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from congress_app.extensions import db
from congress_app.models import Vote
from congress_app.services import stage as stage_service
from congress_app.services import votes as vote_service
from congress_app.services.delegates import card_token

from .browser import ARTIFACTS
from .votes_fixtures import PRESENT

pytestmark = pytest.mark.browser


def test_three_phones_vote_and_the_projector_shows_the_result(
        app, live_server, phone, congress, hall, make_vote):
    app.config["STAGE_POLL_INTERVAL_MS"] = 500
    stage_service.set_on_stage(congress, congress.sessions[0].items[0], None)
    vote = make_vote(secret=True)
    vote_id, question = vote.id, vote.question
    tokens = [card_token(d) for d in hall["present"][:3]]
    db.session.remove()  # the server thread reads the database afresh

    browser = phone.context.browser
    screen = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    screen.goto(f"{live_server}/screen")
    expect(screen.locator(".screen-title")).to_have_text(question)
    expect(screen.locator("[data-vote-count]")).to_have_text(f"Đã biểu quyết: 0 / {PRESENT}")

    phones = [phone] + [browser.new_context(viewport={"width": 360, "height": 740},
                                            is_mobile=True, has_touch=True).new_page()
                        for _ in range(2)]
    for n, (page, token, choice) in enumerate(zip(
            phones, tokens, ["Tán thành", "Tán thành", "Không tán thành"], strict=True)):
        page.goto(f"{live_server}/K/{token}")
        page.goto(f"{live_server}/documents")
        banner = page.locator(".vote-banner a")
        expect(banner).to_contain_text(question)
        banner.click()
        button = page.get_by_role("button", name=choice, exact=True)
        box = button.bounding_box()
        assert box is not None and box["height"] >= 60 and box["width"] >= 300, box
        if n == 0:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "vote-phone-360.png"), full_page=True)
        button.click()
        # Said once (seen when tried: the message and the box said the same twice).
        expect(page.locator(".ballot-done")).to_contain_text("đã được ghi nhận")
        expect(page.locator(".flash-success")).to_have_count(0)
        expect(screen.locator("[data-vote-count]")).to_have_text(
            f"Đã biểu quyết: {n + 1} / {PRESENT}", timeout=5000)

    with app.app_context():
        vote_service.close_vote(db.session.get(Vote, vote_id), None)
        db.session.remove()
    outcome = screen.locator(".vote-outcome")
    expect(outcome).to_have_text("Không thông qua", timeout=5000)  # 2 of 7 present
    expect(screen.locator(".vote-result")).to_contain_text("28,6%")
    screen.screenshot(path=str(ARTIFACTS / "vote-screen-1366.png"))
    size = screen.evaluate("parseFloat(getComputedStyle(document.querySelector("
                           "'.vote-outcome')).fontSize)")
    assert size >= 40, size  # read from the back of the hall
    phones[2].goto(f"{live_server}/vote/{vote_id}")
    expect(phones[2].locator(".vote-outcome")).to_contain_text("Không thông qua")
