"""The stage for real, in Debian's headless Chromium: an organiser taps "Next item" on a
phone, and the projector screen and a delegate's programme follow within seconds."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from congress_app.extensions import db
from congress_app.models import AgendaItem
from congress_app.services import agenda as agenda_service
from congress_app.services import congress as congress_service
from congress_app.services import stage as stage_service

pytestmark = pytest.mark.browser


@pytest.fixture
def hall(app, organiser, congress, make_document):
    """The first item on stage; the second has a public and a delegates-only document."""
    app.config["STAGE_POLL_INTERVAL_MS"] = 1000  # the pages poll every 5 s in the hall
    first, second = stage_service.programme_order(congress)
    public = make_document(title="Báo cáo chính trị")
    private = make_document(title="Danh sách nhân sự", visibility="delegates")
    agenda_service.link_document(second, public)
    agenda_service.link_document(second, private)
    stage_service.set_on_stage(congress_service.first_congress(), first, organiser)
    ids = first.id, second.id, public.code, private.code
    db.session.remove()  # the server thread reads the database afresh
    return ids


def test_the_screen_and_the_programme_follow_the_organisers_next_tap(
    live_server, phone, hall
):
    first_id, second_id, public_code, private_code = hall
    browser = phone.context.browser
    screen = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
    screen.goto(f"{live_server}/screen")
    expect(screen.locator(".screen-title")).to_have_text("Chào cờ")

    phone.goto(f"{live_server}/programme")
    expect(phone.locator(f"#item-{first_id}")).to_have_class("item is-now")
    phone.evaluate("window.notReloaded = true")

    control = browser.new_context(viewport={"width": 360, "height": 740},
                                  locale="vi-VN").new_page()
    control.goto(f"{live_server}/login?next=/organiser/stage")
    control.fill("#username", "organiser")
    control.fill("#password", "correct horse battery")
    control.press("#password", "Enter")
    control.wait_for_url("**/organiser/stage")
    # On the phone by the podium, Next is on the first screen, without scrolling.
    button = control.locator("button.stage-next").bounding_box()
    assert button is not None and button["y"] + button["height"] <= 740, button
    control.click("button.stage-next")
    expect(control.locator(".stage-control-now .now-title")).to_have_text("Báo cáo chính trị")

    expect(screen.locator(".screen-title")).to_have_text("Báo cáo chính trị", timeout=5000)
    qr = screen.locator(f'img[src="/d/{public_code}/qr.svg"]')
    expect(qr).to_be_visible()
    assert screen.evaluate(f'document.querySelector("img[src=\\"/d/{public_code}/qr.svg\\"]")'
                           ".naturalWidth") > 0
    assert screen.locator(f'img[src*="{private_code}"]').count() == 0

    expect(phone.locator(f"#item-{second_id}")).to_have_class("item is-now", timeout=5000)
    expect(phone.locator(f"#item-{second_id} .badge")).to_have_count(1)
    expect(phone.locator(f"#item-{first_id}")).to_have_class("item")
    expect(phone.locator(".badge")).to_have_count(1)
    assert phone.evaluate("window.notReloaded") is True


def test_the_phone_home_shows_the_stage_in_the_first_screen_and_follows_it(
    live_server, phone, hall
):
    """At 360×740 the stage box is on the first screen; when the stage moves, the box shows
    the new item's public document and its link opens it."""
    first_id, second_id, public_code, private_code = hall
    phone.goto(f"{live_server}/")
    box = phone.locator("[data-stage-box]")
    expect(box.locator(".now-title")).to_have_text("Chào cờ")
    top = box.bounding_box()
    assert top is not None and top["y"] + 120 < 740, top  # title visible without scrolling

    stage_service.set_on_stage(congress_service.first_congress(),
                               db.session.get(AgendaItem, second_id), None)
    db.session.remove()
    link = box.locator(f'a[href="/d/{public_code}"]')
    expect(link).to_be_visible(timeout=5000)
    assert box.locator(f'a[href*="{private_code}"]').count() == 0
    box.locator('a[href="/programme#now"]').click()
    phone.wait_for_url("**/programme#now")
    expect(phone.locator("#now")).to_be_in_viewport()
    expect(phone.locator(f"#item-{second_id}")).to_have_class("item is-now")
