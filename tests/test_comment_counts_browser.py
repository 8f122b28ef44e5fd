"""The projector in Debian's headless Chromium at 1366×768: “Ý kiến đã nhận: N” of the draft on
stage counts up as delegates write, without a reload; the dashboard shows the same count."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from congress_app.extensions import db
from congress_app.models import Congress, Document
from congress_app.services import agenda as agenda_service
from congress_app.services import stage as stage_service

from .browser import ARTIFACTS
from .conftest import add_delegate
from .triage_fixtures import write

pytestmark = pytest.mark.browser


@pytest.fixture
def draft_on_stage(app, organiser, congress, commented):
    """The commented draft linked to the item on stage; pages poll every second."""
    app.config["STAGE_POLL_INTERVAL_MS"] = 1000
    item = stage_service.programme_order(congress)[1]
    agenda_service.link_document(item, commented.draft)
    stage_service.set_on_stage(congress, item, organiser)
    ids = commented.draft.code, congress.id
    db.session.remove()  # the server thread reads the database afresh
    return ids


def test_the_projector_counts_up_without_a_reload(live_server, phone, draft_on_stage):
    code, congress_id = draft_on_stage
    browser = phone.context.browser
    screen = browser.new_context(viewport={"width": 1366, "height": 768},
                                 locale="vi-VN").new_page()
    screen.goto(f"{live_server}/screen")
    count = screen.locator(f'[data-comment-count="{code}"]')
    expect(count).to_have_text("Ý kiến đã nhận: 4")
    screen.evaluate("window.notReloaded = true")

    congress = db.session.get(Congress, congress_id)
    draft = db.session.scalar(select(Document).where(Document.code == code))
    write(congress, draft, add_delegate(congress, number=41), paragraph=None,
          stance="agree", text="")
    db.session.remove()
    expect(count).to_have_text("Ý kiến đã nhận: 5", timeout=5000)
    assert screen.evaluate("window.notReloaded") is True
    # The line sits on the first screen, beside the draft's QR code.
    box = count.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 768, box
    ARTIFACTS.mkdir(exist_ok=True)
    screen.screenshot(path=str(ARTIFACTS / "projector-comment-count-1366x768.png"))

    dashboard = browser.new_context(viewport={"width": 1366, "height": 768},
                                    locale="vi-VN").new_page()
    dashboard.goto(f"{live_server}/login?next=/organiser/")
    dashboard.fill("#username", "organiser")
    dashboard.fill("#password", "correct horse battery")
    dashboard.press("#password", "Enter")
    dashboard.wait_for_url("**/organiser/")
    expect(dashboard.locator(f'#comments-received [data-comment-count="{code}"]')
           ).to_have_text("Ý kiến đã nhận: 5")
    dashboard.screenshot(path=str(ARTIFACTS / "dashboard-comment-count.png"), full_page=True)
