"""Whole journeys through the real pages, in headless Debian Chromium at a phone's viewport.

Each test is one person's errand from start to end, with clicks and form fills only (no
test client): a delegate reading offline, an organiser preparing the printed programme,
the door staff checking a delegate in, the stage moving on under the projector. The steps
are tested one by one elsewhere; these catch the seams between them.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from time import monotonic

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image

from congress_app import qr
from congress_app.extensions import db
from congress_app.models import DelegateKind, Role
from congress_app.services import agenda as agenda_service
from congress_app.services import congress as congress_service
from congress_app.services import delegates as delegate_service
from congress_app.services import stage as stage_service

from .browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, SAVED, Server, browser_sign_in, wait_for_js
from .conftest import BASE_URL, ORGANISER, add_delegate, add_user
from .pdf_reading import decoded_qr_codes
from .samples import card_video

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}


# Helpers ------------------------------------------------------------------------------------


def _failed(request) -> bool:
    report = getattr(request.node, "rep_call", None)
    return report is not None and report.failed


def _save_screens(request, pages, suffix: str = "") -> None:
    """Screenshots of a failed journey's other pages, next to the phone fixture's own."""
    ARTIFACTS.mkdir(exist_ok=True)
    for n, page in enumerate(pages):
        # A page already closed must not hide the journey's own failure.
        with contextlib.suppress(Exception):
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}{suffix}-{n}.png"),
                            full_page=True)


@pytest.fixture
def screens(request, phone) -> Iterator[list]:
    """Pages a journey opens besides `phone` (projector, second phone): saved on failure,
    before the phone's browser closes them."""
    pages: list = []
    yield pages
    if _failed(request):
        _save_screens(request, pages)


def wait_across_reloads(page, expression: str, timeout: float = 5000) -> None:
    """wait_for_js for a page that reloads itself (the projector does when the stage
    moves): an evaluation cut short by the reload is simply tried again."""
    from playwright.sync_api import Error as PlaywrightError

    deadline = monotonic() + timeout / 1000
    while True:
        try:
            if page.evaluate(expression):
                return
        except PlaywrightError as error:
            if "destroyed" not in str(error) and "navigat" not in str(error):
                raise
        if monotonic() > deadline:
            raise AssertionError(f"still false after {timeout:.0f} ms: {expression}")
        page.wait_for_timeout(50)


def codes_beside(pdf: bytes, text: str) -> list[str]:
    """The QR payloads printed level with `text` (in its table row), read from a 150 dpi
    rendering: a code only in the list of every document, or on another item, is not."""
    scale = 150 / 72
    found: list[str] = []
    document = pdfium.PdfDocument(pdf)
    try:
        for page in document:
            height = page.get_height()
            textpage = page.get_textpage()
            searcher = textpage.search(text)
            rows = []  # the middle of each occurrence's first letter, in points from the top
            while (hit := searcher.get_next()) is not None:
                _, bottom, _, top = textpage.get_charbox(hit[0])
                rows.append(height - (top + bottom) / 2)
            searcher.close()
            if rows:
                image = page.render(scale=scale).to_pil()
                for code in zxingcpp.read_barcodes(image,
                                                  formats=zxingcpp.BarcodeFormat.QRCode):
                    corners = (code.position.top_left, code.position.bottom_right)
                    upper, lower = sorted(corner.y / scale for corner in corners)
                    if any(upper <= row <= lower for row in rows):
                        found.append(code.text)
            textpage.close()
            page.close()
    finally:
        document.close()
    return found


# 1. The delegate ---------------------------------------------------------------------------

REPORT = "Báo cáo chính trị trình Đại hội"
STAFF_LIST = "Danh sách nhân sự dự kiến"


@pytest.fixture
def stoppable_server(app) -> Iterator[Server]:
    """The app on a loopback port that the journey switches off halfway (the Wi-Fi dies)."""
    app.config["PAGE_RENDERING"] = "sync"
    server = Server(app)
    yield server
    server.stop()


def test_a_delegate_opens_a_private_document_signs_in_with_the_card_and_reads_it_offline(
    stoppable_server, phone, congress, make_document, pdf_bytes
):
    base = stoppable_server.url
    document = make_document(title=REPORT, pdf=pdf_bytes(REPORT, 2), visibility="delegates")
    never_opened = make_document(title=STAFF_LIST, pdf=pdf_bytes("Nhân sự", 1),
                                 category="other", visibility="delegates").code
    delegate = add_delegate(congress, 12, "Trần Thị Bình", unit="Chi bộ số 3",
                            discussion_group="Tổ 2", kind=DelegateKind.OFFICIAL)
    token = delegate_service.card_token(delegate)
    code = document.code
    phone.context.add_cookies([{"name": "lang", "value": "en", "url": base}])

    # The QR code on the printed programme: the document is for delegates only.
    phone.goto(f"{base}/d/{code}")
    assert phone.evaluate("location.pathname") == "/delegate/sign-in"
    assert phone.get_by_text("This document is for delegates.").is_visible()
    assert REPORT not in phone.content()

    # The camera app opens the card's link: signed in, straight back to the document.
    phone.goto(f"{base}/k/{token.lower()}")
    phone.wait_for_url(f"**/d/{code}")
    assert phone.get_by_role("heading", level=1).inner_text() == REPORT
    assert phone.get_by_text("Signed in as delegate Trần Thị Bình").is_visible()

    # Page images first, then the text in larger letters.
    phone.get_by_alt_text("Page 1 of 2").scroll_into_view_if_needed()
    wait_for_js(phone, "document.querySelector('#page-1 img').complete && "
                       "document.querySelector('#page-1 img').naturalWidth > 0")
    phone.get_by_role("button", name="Text", exact=True).click()
    assert phone.locator("#text-view").is_visible()
    assert phone.locator("#pages-view").is_hidden()
    assert REPORT in phone.locator("#text-view").inner_text()
    size = "parseFloat(getComputedStyle(document.querySelector('#text-view p')).fontSize)"
    before = phone.evaluate(size)
    phone.get_by_role("button", name="Larger text").click()
    assert phone.locator("#text-size").inner_text() == "120%"
    assert phone.evaluate(size) == pytest.approx(before * 1.2, rel=0.02)

    # Searching without the accents, from the box in the header.
    phone.locator("#header-search-q").fill("bao cao")
    phone.locator("#header-search-q").press("Enter")
    phone.wait_for_url("**/search?q=bao+cao")
    result = phone.locator(".search-results .result-title")
    assert result.count() == 1
    assert result.inner_text() == REPORT

    # Save everything for the hall, where the Wi-Fi may fail.
    phone.get_by_role("navigation", name="Main").get_by_role("link", name="Documents").click()
    phone.wait_for_url("**/documents")
    phone.evaluate("navigator.serviceWorker.ready.then(() => true)")
    save = phone.locator("#offline-save-button")
    wait_for_js(phone, "/^Save 2 documents \\(/.test("
                       "document.getElementById('offline-save-button').textContent)")
    save.click()
    phone.get_by_text(SAVED).wait_for(timeout=10_000)

    # No network and no server any more: the document still opens, in text and in pages.
    stoppable_server.stop()
    phone.context.set_offline(True)
    phone.goto(f"{base}/d/{code}")
    assert phone.get_by_role("heading", level=1).inner_text() == REPORT
    assert "Trang 2" in phone.locator("#text-view").text_content()
    phone.get_by_role("button", name="Pages", exact=True).click()
    assert phone.locator("#pages-view").is_visible()
    wait_for_js(phone, "document.querySelector('#page-1 img').complete")
    assert phone.evaluate("document.querySelector('#page-1 img').naturalWidth > 0")
    # The other one was never opened: only "save all" put it on the phone.
    phone.goto(f"{base}/d/{never_opened}")
    assert phone.get_by_role("heading", level=1).inner_text() == STAFF_LIST
    assert "Nhân sự" in phone.locator("#text-view").text_content()


# 2. The organiser --------------------------------------------------------------------------

ITEM = "Thảo luận văn kiện tại tổ"
DRAFT = "Dự thảo Nghị quyết Đại hội"


def test_an_organiser_adds_an_item_and_its_document_and_the_printed_programme_links_it(
    live_server, phone, organiser, congress, pdf_bytes, tmp_path
):
    first_pdf = tmp_path / "Dự thảo Nghị quyết.pdf"
    first_pdf.write_bytes(pdf_bytes("Dự thảo lần 1", 1))
    second_pdf = tmp_path / "Dự thảo Nghị quyết (sửa).pdf"
    second_pdf.write_bytes(pdf_bytes("Dự thảo lần 2", 2))
    phone.context.add_cookies([{"name": "lang", "value": "en", "url": live_server}])
    browser_sign_in(phone, live_server, *ORGANISER, "/organiser/agenda")

    # A new agenda item at the end of the session.
    phone.get_by_role("link", name="Add an agenda item").first.click()
    phone.get_by_label("Starts at").fill("09:30")
    phone.get_by_label("Title", exact=True).fill(ITEM)
    phone.get_by_label("Presented by").fill("Các tổ thảo luận")
    phone.get_by_role("button", name="Add the item").click()
    phone.get_by_text(f"The agenda item “{ITEM}” has been added.").wait_for()

    # Its document, uploaded through the file input.
    org_nav = phone.get_by_role("navigation", name="Organiser pages")
    org_nav.get_by_role("link", name="Documents").click()
    phone.get_by_role("link", name="Upload a document").click()
    phone.get_by_label("Title", exact=True).fill(DRAFT)
    phone.get_by_label("Category").select_option("draft_resolution")
    phone.get_by_label("Who may see it").select_option("public")
    phone.get_by_label("File", exact=True).set_input_files(first_pdf)
    phone.get_by_role("button", name="Upload", exact=True).click()
    phone.get_by_role("heading", level=1, name=DRAFT).wait_for()
    code = phone.locator(".qr-code-text").inner_text().strip()
    assert phone.get_by_text(f"Its code is {code}.").is_visible()

    # Linked to the new item, from the item's page.
    org_nav.get_by_role("link", name="Agenda").click()
    phone.get_by_role("link", name=ITEM, exact=True).click()
    phone.get_by_label("Document", exact=True).select_option(label=f"{DRAFT} ({code})")
    phone.get_by_role("button", name="Link the document").click()
    phone.get_by_text(f"“{DRAFT}” has been linked.").wait_for()
    assert code in phone.locator("#documents .org-links").inner_text()

    # A corrected file replaces the first one; the code stays.
    phone.locator("#documents .org-links").get_by_role("link", name=DRAFT).click()
    phone.get_by_role("link", name="Replace the file").click()
    phone.get_by_label("New file").set_input_files(second_pdf)
    phone.get_by_label("What changed (optional)").fill("Sửa số liệu")
    phone.get_by_role("button", name="Upload the new version").click()
    phone.get_by_text(f"Version 2 is now the one every QR code opens. The code {code} "
                      "has not changed.").wait_for()
    assert "Dự thảo Nghị quyết (sửa).pdf" in phone.locator("tr.current").inner_text()
    served = phone.request.get(f"{live_server}/d/{code}/file")
    assert served.body() == second_pdf.read_bytes()

    # The print centre: the programme PDF, opened with its own button.
    org_nav.get_by_role("link", name="Print").click()
    phone.wait_for_url("**/organiser/print/")
    card = phone.locator("#print-programme")
    with phone.context.expect_event(
        "response", lambda r: "/organiser/print/programme.pdf?" in r.url
    ) as answered:
        card.get_by_role("button", name="Open the PDF").click()  # in a new tab
    opened = answered.value
    assert opened.ok and opened.headers["content-type"] == "application/pdf"
    # The new tab shows or downloads the PDF; its bytes are fetched again with the
    # session's cookies at the tab's very URL.
    response = phone.request.get(opened.url)
    assert response.ok and response.headers["content-type"] == "application/pdf"

    pdf = response.body()
    expected = qr.qr_payload(BASE_URL, code)
    assert expected in decoded_qr_codes(pdf)
    # Printed beside the new item, not only in the list of every document.
    assert codes_beside(pdf, ITEM) == [expected]
    assert expected not in codes_beside(pdf, "Chào cờ")


# 3. The door -------------------------------------------------------------------------------


@pytest.fixture
def door_phone(request, tmp_path, live_server, congress, phone) -> Iterator:
    """The door staff's phone, whose fake camera films delegate no. 27's card: a second
    Chromium (the camera is a launch option) from the phone fixture's Playwright, which
    allows only one per thread."""
    delegate = add_delegate(congress, 27, "Nguyễn Thị Thanh Hương", unit="Chi bộ số 3",
                            discussion_group="Tổ 2", kind=DelegateKind.OFFICIAL)
    add_user("door", Role.CHECKIN)
    payload = qr.card_payload(live_server, delegate_service.card_token(delegate))
    video = card_video(tmp_path / "card.y4m", payload)
    browser = phone.context.browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream",
              "--use-fake-device-for-media-stream",
              f"--use-file-for-fake-video-capture={video}"],
    )
    context = browser.new_context(**PHONE, locale="vi-VN")
    context.add_cookies([{"name": "lang", "value": "en", "url": live_server}])
    yield context.new_page()
    if _failed(request):
        _save_screens(request, context.pages, "-door")
    context.close()
    browser.close()


def test_the_door_scans_a_card_and_the_organisers_count_goes_up_without_a_reload(
    live_server, door_phone, phone, organiser
):
    # The organiser watches the attendance on their own phone.
    phone.context.add_cookies([{"name": "lang", "value": "en", "url": live_server}])
    browser_sign_in(phone, live_server, *ORGANISER, "/checkin/attendance")
    present = phone.locator('[data-field="present"]')
    assert present.inner_text() == "0"
    assert "Nguyễn Thị Thanh Hương" in phone.locator('[data-list="absent"]').inner_text()
    phone.evaluate("window.notReloaded = true")
    errors: list = []
    phone.on("pageerror", lambda error: errors.append(error))

    # The door staff signs in; the scan page opens the camera, which films the card.
    browser_sign_in(door_phone, live_server, "door", "pass word", "/checkin/")
    result = door_phone.locator("#scan-result")
    # An upper bound only: on a busy CI machine the page decodes the camera's frames slowly.
    result.get_by_text("Nguyễn Thị Thanh Hương").wait_for(timeout=45_000)
    assert "Checked in at" in result.inner_text()
    assert door_phone.locator("#present-count").inner_text() == "1"

    # The organiser's page polls every 3 s and redraws in place.
    wait_for_js(phone, "document.querySelector('[data-field=\"present\"]').textContent "
                       "=== '1'", timeout=10_000)
    assert phone.evaluate("window.notReloaded") is True
    assert phone.evaluate("location.pathname") == "/checkin/attendance"
    assert "Nguyễn Thị Thanh Hương" not in phone.locator('[data-list="absent"]').inner_text()
    assert not errors


# 4. The projector --------------------------------------------------------------------------


def test_the_projector_shows_the_next_items_qr_code_once_the_organiser_moves_on(
    app, live_server, phone, screens, organiser, congress, make_document
):
    app.config["STAGE_POLL_INTERVAL_MS"] = 1000  # 5 s in the hall; the journey allows 5 s
    first, second = stage_service.programme_order(congress)
    report = make_document(title="Báo cáo chính trị")
    agenda_service.link_document(second, report)
    stage_service.set_on_stage(congress_service.first_congress(), first, organiser)
    code, second_id = report.code, second.id
    db.session.remove()  # the server thread reads the database afresh

    screen = phone.context.browser.new_context(
        viewport={"width": 1280, "height": 720}).new_page()
    screens.append(screen)
    screen.context.add_cookies([{"name": "lang", "value": "en", "url": live_server}])
    screen.goto(f"{live_server}/screen")
    assert screen.locator(".screen-title").inner_text() == "Chào cờ"
    assert screen.locator(".qr-grid img").count() == 0

    phone.context.add_cookies([{"name": "lang", "value": "en", "url": live_server}])
    browser_sign_in(phone, live_server, *ORGANISER, "/organiser/stage")
    phone.get_by_role("button", name="Next item").click()
    phone.locator(f"#item-{second_id}.is-now").wait_for()
    assert phone.locator(".stage-control-now .now-title").inner_text() == "Báo cáo chính trị"

    wait_across_reloads(
        screen,
        f"!!document.querySelector('.qr-grid img[src=\"/d/{code}/qr.svg\"]')"
        f" && document.querySelector('.qr-grid img[src=\"/d/{code}/qr.svg\"]').complete"
        f" && document.querySelector('.qr-grid img[src=\"/d/{code}/qr.svg\"]')"
        ".naturalWidth > 0",
        timeout=5000)
    assert screen.locator(".screen-title").inner_text() == "Báo cáo chính trị"
    symbol = screen.locator(f'.qr-grid img[src="/d/{code}/qr.svg"]')
    assert symbol.get_attribute("alt") == "QR code for: Báo cáo chính trị"
    shot = Image.open(io.BytesIO(symbol.screenshot()))
    read = [b.text for b in zxingcpp.read_barcodes(shot, formats=zxingcpp.BarcodeFormat.QRCode)]
    assert read == [qr.qr_payload(BASE_URL, code)]
