"""The reader on a phone, for real: headless Debian Chromium at a 360 × 740 viewport."""

from __future__ import annotations

import pytest

from .browser import wait_for_js

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("sync_rendering")]

TEXT = "Nghị quyết Đại hội đại biểu Đảng bộ phường"


def _text_size(phone) -> float:
    return phone.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('#text-view p')).fontSize)"
    )


def test_a_delegate_reads_the_pages_then_the_text_in_bigger_letters(
    live_server, phone, make_document, pdf_bytes
):
    document = make_document(title=TEXT, pdf=pdf_bytes(TEXT, 6))
    phone.context.add_cookies([{"name": "lang", "value": "en", "url": live_server}])
    phone.goto(f"{live_server}/d/{document.code}")

    first = phone.get_by_alt_text("Page 1 of 6")
    first.scroll_into_view_if_needed()
    wait_for_js(phone,
        "document.querySelector('#page-1 img').complete && "
        "document.querySelector('#page-1 img').naturalWidth > 0"
    )
    # A 2× screen 360 px wide picks the 960 px image from the srcset.
    assert phone.evaluate("document.querySelector('#page-1 img').currentSrc").endswith("w=960")
    box = first.bounding_box()
    assert box["width"] >= 350 and box["x"] >= 0  # edge to edge, no sideways scrolling
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    counter = phone.locator("#page-counter")
    assert counter.inner_text() == "Page 1 / 6"
    phone.locator("#page-4").scroll_into_view_if_needed()
    phone.evaluate("window.scrollBy(0, 200)")
    wait_for_js(phone, "document.querySelector('#page-counter').textContent !== "
                            "'Page 1 / 6'")
    assert counter.inner_text() in ("Page 4 / 6", "Page 5 / 6")

    phone.get_by_role("button", name="Text", exact=True).click()
    assert phone.get_by_role("button", name="Text", exact=True).get_attribute(
        "aria-pressed") == "true"
    assert phone.locator("#text-view").is_visible()
    assert phone.locator("#pages-view").is_hidden()
    assert TEXT in phone.locator("#text-view").inner_text()
    before = _text_size(phone)
    larger = phone.get_by_role("button", name="Larger text")
    larger.click()
    larger.click()
    assert _text_size(phone) == pytest.approx(before * 1.4, rel=0.02)
    assert phone.locator("#text-size").inner_text() == "140%"

    phone.reload()
    assert phone.locator("#text-view").is_visible()  # the mode is remembered too
    assert _text_size(phone) == pytest.approx(before * 1.4, rel=0.02)


def test_a_link_to_a_page_opens_the_reader_at_that_page(live_server, phone, make_document,
                                                       pdf_bytes):
    document = make_document(pdf=pdf_bytes(TEXT, 8))
    phone.context.add_cookies([{"name": "lang", "value": "en", "url": live_server}])
    phone.goto(f"{live_server}/d/{document.code}?page=6")
    assert phone.locator("#page-counter").inner_text() == "Page 6 / 8"
    top = phone.evaluate("document.getElementById('page-6').getBoundingClientRect().top")
    assert 0 <= top < 200


def test_a_phone_that_saw_an_older_version_is_told_about_the_new_one(
    live_server, phone, make_document, pdf_bytes
):
    import io

    from congress_app.services import intake

    document = make_document(pdf=pdf_bytes(TEXT, 1))
    phone.context.add_cookies([{"name": "lang", "value": "en", "url": live_server}])
    phone.goto(f"{live_server}/d/{document.code}")
    notice = phone.get_by_text("This document has been updated since you last opened it.")
    assert notice.is_hidden()
    intake.replace_file(
        document, intake.Upload(io.BytesIO(pdf_bytes("Bản mới", 1)), "moi.pdf"))
    phone.reload()
    assert notice.is_visible()
    phone.reload()
    assert notice.is_hidden()  # told once


def test_an_open_page_is_told_when_a_new_version_is_published(
    live_server, app, phone, make_document, pdf_bytes
):
    import io

    from playwright.sync_api import expect

    from congress_app.services import intake

    app.config["VERSION_POLL_MS"] = 300  # phones ask every 30 s in the hall
    document = make_document(pdf=pdf_bytes(TEXT, 1))
    phone.context.add_cookies([{"name": "lang", "value": "en", "url": live_server}])
    phone.goto(f"{live_server}/d/{document.code}")
    notice = phone.get_by_text("A newer version of this document has been published.")
    assert notice.is_hidden()
    intake.replace_file(
        document, intake.Upload(io.BytesIO(pdf_bytes("Bản mới", 1)), "moi.pdf"))
    expect(notice).to_be_visible(timeout=5000)
    phone.get_by_role("link", name="Open the newest version").click()
    expect(phone.locator("#reader")).to_have_attribute("data-version", "2")


def test_a_long_document_is_read_twenty_pages_at_a_time(live_server, phone, app, make_document,
                                                        pdf_bytes):
    app.config["PAGE_RENDERING"] = "on-demand"  # 60 pages: rendered as the phone asks
    document = make_document(title=TEXT, pdf=pdf_bytes(TEXT, 60))
    phone.context.add_cookies([{"name": "lang", "value": "en", "url": live_server}])

    # A search result's link: the window with page 35, scrolled to it.
    phone.goto(f"{live_server}/d/{document.code}?page=35")
    counter = phone.locator("#page-counter")
    assert counter.inner_text() == "Page 35 / 60"
    assert phone.locator("#pages-view figure").count() == 20
    top = phone.evaluate("document.getElementById('page-35').getBoundingClientRect().top")
    assert 0 <= top < 200
    assert phone.get_by_text("Pages 21–40 / 60").count() == 2

    # A jump inside the window scrolls; outside it, the other window opens at that page.
    phone.evaluate("window.sameWindow = true")
    phone.locator("#jump-page").fill("38")
    phone.get_by_role("button", name="Go").click()
    wait_for_js(phone, "document.querySelector('#page-counter').textContent "
                            "=== 'Page 38 / 60'")
    assert phone.evaluate("window.sameWindow === true")
    phone.locator("#jump-page").fill("5")
    phone.get_by_role("button", name="Go").click()
    phone.wait_for_url(f"**/d/{document.code}?page=5")
    assert counter.inner_text() == "Page 5 / 60"
    assert phone.evaluate("[...document.querySelectorAll('#pages-view figure')]"
                          ".map(f => +f.dataset.page)") == list(range(1, 21))

    # Text mode carries over to the next window.
    phone.get_by_role("button", name="Text", exact=True).click()
    phone.get_by_role("link", name="Next pages →").last.click()
    phone.wait_for_url(f"**/d/{document.code}?page=21&mode=text")
    assert phone.locator("#text-view").is_visible()
    markers = phone.evaluate("[...document.querySelectorAll('#text-view [data-page]')]"
                             ".map(m => +m.dataset.page)")
    assert markers == list(range(21, 41))
    assert "Trang 21" in phone.locator("#text-view").inner_text()


def test_older_eyes_keep_the_text_controls_in_reach_and_can_zoom_a_page(
    live_server, phone, make_document, pdf_bytes
):
    """A−/A+ and contrast stay in the sticky bar while the text scrolls; tapping a page image
    shows it at twice the phone's width, tapping again fits it back."""
    document = make_document(title=TEXT, pdf=pdf_bytes(TEXT, 6))
    phone.goto(f"{live_server}/d/{document.code}?mode=text")
    phone.mouse.wheel(0, 2500)
    phone.wait_for_function("window.scrollY > 1000")
    larger = phone.locator("#text-tools [data-size='1']")
    top = larger.bounding_box()
    assert top is not None and 0 <= top["y"] < 120, top  # still at the top of the screen
    larger.click()
    assert phone.locator("#text-size").inner_text() == "120%"

    phone.goto(f"{live_server}/d/{document.code}?mode=pages")
    figure = phone.locator("#page-1")
    wait_for_js(phone, "document.querySelector('#page-1 img').naturalWidth > 0")
    assert phone.locator("#zoom-hint").is_visible()
    fitted = figure.locator("img").bounding_box()["width"]
    figure.locator("img").click()
    assert "is-zoomed" in figure.get_attribute("class")
    zoomed = figure.locator("img").bounding_box()["width"]
    assert zoomed > 1.8 * fitted, (fitted, zoomed)
    figure.locator("img").click()
    assert figure.locator("img").bounding_box()["width"] == fitted
