"""The triage page in Debian's headless Chromium: while another secretary answers and merges
comments, the counts at the top move without a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from congress_app.extensions import db
from congress_app.models import Comment, Congress
from congress_app.services import comment_triage as triage

from .browser import ARTIFACTS

pytestmark = pytest.mark.browser


def test_the_counts_move_while_another_secretary_triages(app, live_server, phone, organiser,
                                                         congress, commented):
    app.config["TRIAGE_POLL_INTERVAL_MS"] = 500
    ids = congress.id, commented.wording.id, commented.same.id, organiser.id
    db.session.remove()  # the server thread reads the database afresh
    page = phone.context.browser.new_context(viewport={"width": 1366, "height": 768},
                                             locale="vi-VN").new_page()
    page.goto(f"{live_server}/login?next=/organiser/comments/")
    page.fill("#username", "organiser")
    page.fill("#password", "correct horse battery")
    page.press("#password", "Enter")
    page.wait_for_url("**/organiser/comments/")
    expect(page.locator('[data-count="total"]')).to_have_text("4 ý kiến")
    expect(page.locator('[data-count="answer-none"]')).to_have_text("4")
    page.evaluate("window.notReloaded = true")

    congress_id, wording_id, same_id, _user = ids
    congress = db.session.get(Congress, congress_id)
    triage.classify(congress, db.session.get(Comment, wording_id), classification="accepted",
                    response="")
    triage.mark_duplicate(congress, db.session.get(Comment, same_id), original_id=wording_id)
    db.session.remove()

    expect(page.locator('[data-count="answer-accepted"]')).to_have_text("2", timeout=5000)
    expect(page.locator('[data-count="answer-none"]')).to_have_text("2")
    assert page.evaluate("window.notReloaded") is True
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "triage-counts-live.png"))
