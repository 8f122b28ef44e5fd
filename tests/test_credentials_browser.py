"""The credentials committee's figures on the hall's projector, in Debian's headless
Chromium at 1366×768 (the hall's usual projector): everything on one screen, in Vietnamese."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from congress_app.extensions import db
from congress_app.models import Delegate, EducationLevel, Sex, TheoryLevel
from congress_app.services import attendance

from .browser import ARTIFACTS
from .conftest import add_delegates

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 1366, 768


@pytest.fixture
def hall(organiser, congress):
    """168 official delegates with their details, 160 of them checked in; the ethnicity of
    three present delegates is not on the roster."""
    officials = add_delegates(congress, 168)
    for i, delegate in enumerate(officials):
        delegate.sex = Sex.FEMALE if i % 4 == 0 else Sex.MALE
        delegate.birth_year = 1955 + i % 40
        delegate.party_joined_year = delegate.birth_year + 22
        delegate.ethnicity = "" if i in (3, 50, 99) else ("Tày" if i % 25 == 0 else "Kinh")
        delegate.education = EducationLevel.UNIVERSITY
        delegate.theory_level = TheoryLevel.INTERMEDIATE
    db.session.commit()
    for delegate in officials[:160]:  # to the session the clock says is on
        attendance.check_in(delegate)
    waiting = [delegate.id for delegate in officials[160:]]
    db.session.remove()  # the server thread reads the database afresh
    return waiting  # the ids of those not yet in


def test_the_projector_page_fits_1366_by_768_in_large_type(app, live_server, phone, hall):
    app.config["STAGE_POLL_INTERVAL_MS"] = 500  # 5 s in the hall
    screen = phone.context.browser.new_context(
        viewport={"width": WIDTH, "height": HEIGHT}, locale="vi-VN").new_page()
    screen.goto(f"{live_server}/login?next=/organiser/credentials/screen")
    screen.fill("#username", "organiser")
    screen.fill("#password", "correct horse battery")
    screen.press("#password", "Enter")
    screen.wait_for_url("**/organiser/credentials/screen")

    expect(screen.locator(".cred-big strong")).to_have_text("160")
    expect(screen.locator(".cred-of")).to_have_text(" / 168")
    expect(screen.locator(".cred-people")).to_contain_text("chưa có dữ liệu")
    expect(screen.locator(".cred-missing")).to_have_text("3 đại biểu có mặt chưa có thông tin")
    expect(screen.locator(".cred-people")).to_contain_text("40 25,0%")  # women: every 4th
    ARTIFACTS.mkdir(exist_ok=True)
    screen.screenshot(path=str(ARTIFACTS / "credentials-screen-1366x768.png"))

    # Nothing scrolls and nothing is cut off: the projector has no one to scroll it.
    size = screen.evaluate("[document.documentElement.scrollWidth,"
                           " document.documentElement.scrollHeight]")
    assert size[0] <= WIDTH and size[1] <= HEIGHT, size
    for selector in (".cred-big", ".cred-people", ".cred-ages table", ".cred-foot"):
        box = screen.locator(selector).bounding_box()
        assert box is not None and box["x"] >= 0 and box["y"] >= 0, selector
        assert box["x"] + box["width"] <= WIDTH and box["y"] + box["height"] <= HEIGHT, \
            (selector, box)
    # Large type: the head count can be read from the back of the hall (over 100 px).
    assert screen.locator(".cred-big strong").bounding_box()["height"] > 100

    # Two more delegates come in at the door: the figures follow without a reload.
    screen.evaluate("window.notReloaded = true")
    for delegate_id in hall[:2]:
        attendance.check_in(db.session.get(Delegate, delegate_id))
    db.session.remove()
    expect(screen.locator(".cred-big strong")).to_have_text("162", timeout=10_000)
    assert screen.evaluate("window.notReloaded === true")
    size = screen.evaluate("[document.documentElement.scrollWidth,"
                           " document.documentElement.scrollHeight]")
    assert size[0] <= WIDTH and size[1] <= HEIGHT, size
    screen.context.close()
