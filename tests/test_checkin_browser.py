"""The door phone, for real: headless Debian Chromium whose camera films a delegate card.

Chromium's fake camera plays a Y4M file; the test writes one showing the card's QR code,
signs a check-in account in through the login form and waits for the delegate's name.
"""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest
from sqlalchemy import select

from congress_app import qr
from congress_app.extensions import db
from congress_app.models import CheckIn, CongressSession, DelegateKind, Role
from congress_app.services import delegates as delegate_service

from .browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, wait_for_js
from .conftest import add_delegate, add_user
from .samples import card_video

pytestmark = pytest.mark.browser


@pytest.fixture
def door_delegate(congress, monkeypatch):
    delegate = add_delegate(congress, 27, "Nguyễn Thị Thanh Hương",
                            search_name="nguyen thi thanh huong", unit="Chi bộ Khu dân cư số 3",
                            discussion_group="Tổ 2", kind=DelegateKind.OFFICIAL)
    add_user("door", Role.CHECKIN)
    return delegate


@pytest.fixture
def door_phone(request, tmp_path, live_server, door_delegate):
    """A phone-sized Chromium context whose camera shows the delegate's card."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    payload = qr.card_payload(live_server, delegate_service.card_token(door_delegate))
    video = card_video(tmp_path / "card.y4m", payload)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream",
                  "--use-fake-device-for-media-stream",
                  f"--use-file-for-fake-video-capture={video}"],
        )
        context = browser.new_context(
            viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
            has_touch=True, locale="vi-VN",
        )
        context.add_cookies([{"name": "lang", "value": "en", "url": live_server}])
        yield context
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            for n, page in enumerate(context.pages):
                page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{n}.png"),
                                full_page=True)
        context.close()
        browser.close()


def test_a_card_shown_to_the_door_phone_checks_the_delegate_in_and_the_count_goes_up(
    live_server, door_phone, door_delegate
):
    attendance = door_phone.new_page()
    attendance.goto(f"{live_server}/login?next=/checkin/attendance")
    attendance.get_by_label("Username").fill("door")
    attendance.get_by_label("Password").fill("pass word")
    attendance.get_by_role("button", name="Sign in").click()
    attendance.wait_for_url("**/checkin/attendance")
    present = attendance.locator('[data-field="present"]')
    assert present.inner_text() == "0"
    assert "Nguyễn Thị Thanh Hương" in attendance.locator('[data-list="absent"]').inner_text()
    attendance.evaluate("window.notReloaded = true")

    scan = door_phone.new_page()
    script_errors = []
    for page in (scan, attendance):
        page.on("pageerror", lambda error: script_errors.append(error))
    scan.goto(f"{live_server}/checkin/")
    result = scan.locator("#scan-result")
    # An upper bound only: on a busy CI machine the page decodes the camera's frames slowly.
    result.get_by_text("Nguyễn Thị Thanh Hương").wait_for(timeout=45_000)
    assert "Checked in at" in result.inner_text()
    assert "No. 27" in result.inner_text()
    assert scan.locator("#present-count").inner_text() == "1"
    assert scan.evaluate("location.pathname") == "/checkin/"  # never followed the card link
    assert scan.evaluate("document.documentElement.scrollWidth") <= 360

    db.session.expire_all()
    record = db.session.scalar(select(CheckIn).where(CheckIn.delegate_id == door_delegate.id))
    assert record is not None and record.method == "scan"

    # The attendance screen polls every 3 s and redraws without reloading.
    wait_for_js(attendance,
        "document.querySelector('[data-field=\"present\"]').textContent === '1'",
        timeout=10_000)
    assert attendance.evaluate("window.notReloaded") is True
    assert "Nguyễn Thị Thanh Hương" not in attendance.locator('[data-list="absent"]').inner_text()
    assert not script_errors


def test_a_typed_number_asks_first_checks_in_on_confirm_and_can_be_undone(
    live_server, phone, door_delegate
):
    """360 × 740, the page's script: type the number, see who it is, confirm, see the green
    result and its Undo, tap Undo, and the count goes back to 0."""
    phone.context.add_cookies([{"name": "lang", "value": "en", "url": live_server}])
    script_errors = []
    phone.on("pageerror", lambda error: script_errors.append(error))
    phone.goto(f"{live_server}/login?next=/checkin/")
    phone.get_by_label("Username").fill("door")
    phone.get_by_label("Password").fill("pass word")
    phone.get_by_role("button", name="Sign in").click()
    phone.wait_for_url("**/checkin/")
    result = phone.locator("#scan-result")
    count = phone.locator("#present-count")
    assert count.inner_text() == "0"

    phone.get_by_label("Delegate number").fill("27")
    phone.get_by_role("button", name="Check in", exact=True).click()
    result.get_by_text("Check in this delegate?").wait_for()
    assert "Nguyễn Thị Thanh Hương" in result.inner_text() and "No. 27" in result.inner_text()
    db.session.expire_all()
    assert db.session.scalar(select(CheckIn)) is None and count.inner_text() == "0"
    confirm = result.get_by_role("button", name="Confirm")
    assert confirm.is_visible() and confirm.bounding_box()["y"] < 740

    confirm.tap()
    result.locator(".result-ok").get_by_text("Checked in at").wait_for()
    assert count.inner_text() == "1"
    assert phone.get_by_label("Delegate number").input_value() == ""
    db.session.expire_all()
    assert db.session.scalar(select(CheckIn)).method == "number"

    result.get_by_role("button", name="Undo").tap()
    result.get_by_text("Check-in undone").wait_for()
    assert count.inner_text() == "0"
    assert phone.evaluate("location.pathname") == "/checkin/"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    db.session.expire_all()
    assert db.session.scalar(select(CheckIn)) is None
    assert not script_errors


def test_the_door_staff_choose_the_session_and_the_next_check_in_is_recorded_for_it(
    live_server, phone, door_delegate, congress
):
    """360 × 740: pick "Phiên bế mạc" in the select, the page says it is chosen on this
    phone, and a typed number is checked in to that session, not the clock's."""
    closing = CongressSession(congress=congress, name="Phiên bế mạc", date=date(2025, 7, 23),
                              starts_at=time(13, 30), position=2)
    db.session.add(closing)
    db.session.commit()
    closing_id = closing.id
    phone.context.add_cookies([{"name": "lang", "value": "en", "url": live_server}])
    script_errors = []
    phone.on("pageerror", lambda error: script_errors.append(error))
    phone.goto(f"{live_server}/login?next=/checkin/")
    phone.get_by_label("Username").fill("door")
    phone.get_by_label("Password").fill("pass word")
    phone.get_by_role("button", name="Sign in").click()
    phone.wait_for_url("**/checkin/")

    phone.get_by_label("Recording for the session").select_option(str(closing_id))
    phone.get_by_role("button", name="Choose").tap()
    phone.get_by_text("Check-ins are recorded for: Phiên bế mạc (chosen on this phone)"
                      ).wait_for()
    phone.get_by_label("Delegate number").fill("27")
    phone.get_by_role("button", name="Check in", exact=True).click()
    result = phone.locator("#scan-result")
    result.get_by_role("button", name="Confirm").tap()
    result.locator(".result-ok").get_by_text("Checked in at").wait_for()
    db.session.expire_all()
    assert db.session.scalar(select(CheckIn.session_id)) == closing_id
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert not script_errors
