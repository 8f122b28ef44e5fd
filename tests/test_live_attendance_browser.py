"""The dashboard's "Present now" in Debian's headless Chromium: a delegate checked in at the
door appears on the organiser's open dashboard without a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from congress_app.extensions import db
from congress_app.models import Delegate
from congress_app.services import attendance

from .browser import ARTIFACTS
from .conftest import ORGANISER, add_delegates

pytestmark = pytest.mark.browser


def test_the_dashboard_follows_the_door(app, live_server, phone, organiser, congress):
    app.config["ATTENDANCE_POLL_INTERVAL_MS"] = 500  # 3 s in the hall
    officials = add_delegates(congress, 4)
    attendance.check_in(officials[0])
    waiting = [d.id for d in officials[1:3]]
    db.session.remove()  # the server thread reads the database afresh

    page = phone.context.new_page()
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server}/login?next=/organiser/")
    page.fill("#username", ORGANISER[0])
    page.fill("#password", ORGANISER[1])
    page.press("#password", "Enter")
    page.wait_for_url("**/organiser/")
    card = page.locator("#present-now")
    expect(card.locator('[data-field="present"]')).to_have_text("1")
    expect(card.locator('[data-field="base"]')).to_have_text("168")
    expect(card).to_contain_text("Phiên chính thức")
    page.evaluate("window.notReloaded = true")

    for delegate_id in waiting:
        attendance.check_in(db.session.get(Delegate, delegate_id))
    db.session.remove()
    expect(card.locator('[data-field="present"]')).to_have_text("3", timeout=10_000)
    assert page.evaluate("window.notReloaded === true")
    ARTIFACTS.mkdir(exist_ok=True)
    card.screenshot(path=str(ARTIFACTS / "dashboard-present-now.png"))
    page.close()
