"""Reading with the Wi-Fi gone, for real: headless Debian Chromium with the service worker,
then the network switched off and the server shut down."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from .browser import CHROMIUM, CHROMIUM_ARGS, SAVED, Server, wait_for_js
from .conftest import add_delegate

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("sync_rendering")]


@pytest.fixture
def server(app):
    server = Server(app)
    yield server
    server.stop()


@pytest.fixture
def browser_context(server):
    """A phone-sized Chromium context that allows service workers, reading in English."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
            has_touch=True, service_workers="allow", locale="en-GB",
        )
        context.add_cookies([{"name": "lang", "value": "en", "url": server.url}])
        yield context
        context.close()
        browser.close()


def _first_page_shows(page) -> bool:
    wait_for_js(page,
        "document.querySelector('#page-1 img').complete", timeout=5000)
    return page.evaluate("document.querySelector('#page-1 img').naturalWidth > 0")


def test_saved_documents_open_with_the_network_gone(server, browser_context, make_document,
                                                    pdf_bytes):
    opened = make_document(title="Báo cáo chính trị", pdf=pdf_bytes("Báo cáo", 2))
    saved_only = make_document(title="Dự thảo nghị quyết", pdf=pdf_bytes("Nghị quyết", 1))
    page = browser_context.new_page()

    page.goto(f"{server.url}/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    assert page.evaluate("navigator.serviceWorker.controller !== null")

    page.goto(f"{server.url}/programme")
    page.goto(f"{server.url}/d/{opened.code}")
    assert _first_page_shows(page)

    page.goto(f"{server.url}/documents")
    button = page.locator("#offline-save-button")
    wait_for_js(page,
        "/^Save 2 documents \\(\\d+\\.\\d MB\\) for reading offline$/"
        ".test(document.getElementById('offline-save-button').textContent)")
    button.click()
    page.get_by_text(SAVED).wait_for(timeout=10000)
    assert page.locator("#offline-save-progress").get_attribute("max") == "2"

    server.stop()
    browser_context.set_offline(True)

    page.goto(f"{server.url}/programme")
    assert page.get_by_role("heading", level=1).is_visible()
    assert page.get_by_text("Báo cáo chính trị").first.is_visible()

    page.goto(f"{server.url}/d/{opened.code}")
    assert page.get_by_role("heading", name="Báo cáo chính trị").is_visible()
    assert _first_page_shows(page)

    # Saved with "Save all", never opened: its 480 px pages stand in for the 960 px ones.
    page.goto(f"{server.url}/d/{saved_only.code}")
    assert page.get_by_role("heading", name="Dự thảo nghị quyết").is_visible()
    assert page.get_by_text("Updated at").is_visible()
    assert _first_page_shows(page)

    page.goto(f"{server.url}/search?q=ngh%E1%BB%8B")
    assert page.get_by_role(
        "heading", name="You are offline and this page was not saved").is_visible()


def test_signing_out_forgets_the_delegates_only_documents(server, browser_context, congress,
                                                          make_document):
    from congress_app.services import delegates as delegate_service

    secret = make_document(title="Dự thảo nhân sự", visibility="delegates")
    delegate = add_delegate(congress, 12, "Trần Thị Bình")
    page = browser_context.new_page()
    page.goto(f"{server.url}/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.goto(f"{server.url}/K/{delegate_service.card_token(delegate)}?next=/documents")

    page.get_by_role("button", name="Save 1 document").click()
    page.get_by_text(SAVED).wait_for(timeout=10000)
    is_saved = f"caches.match('/d/{secret.code}').then(r => r !== undefined)"
    assert page.evaluate(is_saved)

    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("Delegate sign-in").wait_for()
    assert not page.evaluate(is_saved)


def _worker_ready(page, url: str) -> None:
    page.goto(url)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    assert page.evaluate("navigator.serviceWorker.controller !== null")


def _save_all(page, server, count: int) -> None:
    page.goto(f"{server.url}/documents")
    wait_for_js(page,
        f"/^Save {count} documents? \\(/.test("
        "document.getElementById('offline-save-button').textContent)")
    page.locator("#offline-save-button").click()
    page.get_by_text(SAVED).wait_for(timeout=30000)


def _saved_images(page, code: str) -> list[str]:
    """The page images of this document in the worker's cache, as path?query."""
    return page.evaluate(
        """code => caches.open('congress-media-v1').then(c => c.keys()).then(keys => keys
             .map(r => new URL(r.url)).filter(u => u.pathname.startsWith(`/d/${code}/pages/`)
               && u.pathname.endsWith('.webp'))
             .map(u => u.pathname + u.search).sort())""", code)


def test_a_replaced_documents_old_page_images_leave_the_phone(server, browser_context,
                                                              make_document, pdf_bytes):
    import io

    from congress_app.services import intake

    document = make_document(title="Báo cáo chính trị", pdf=pdf_bytes("Bản cũ", 2))
    old = document.current_version.sha256[:12]
    page = browser_context.new_page()
    _worker_ready(page, f"{server.url}/")
    _save_all(page, server, 1)
    assert _saved_images(page, document.code) == [
        f"/d/{document.code}/pages/{n}.webp?v={old}&w=480" for n in (1, 2)]

    # The organiser replaces the file; the delegate opens the document again, online.
    intake.replace_file(
        document, intake.Upload(io.BytesIO(pdf_bytes("Bản mới", 2)), "moi.pdf"))
    new = document.current_version.sha256[:12]
    page.goto(f"{server.url}/d/{document.code}")
    assert _first_page_shows(page)
    page.locator("#page-2").scroll_into_view_if_needed()
    expected = [f"/d/{document.code}/pages/{n}.webp?v={new}&w=960" for n in (1, 2)]
    deadline = time.monotonic() + 10
    while (saved := _saved_images(page, document.code)) != expected:
        assert time.monotonic() < deadline, saved
        time.sleep(0.1)
    assert not [url for url in saved if old in url]


def test_a_long_documents_later_pages_open_offline_once_saved(server, browser_context, app,
                                                              make_document, pdf_bytes):
    app.config["PAGE_RENDERING"] = "on-demand"
    document = make_document(title="Tuyển tập văn kiện", pdf=pdf_bytes("Văn kiện", 25))
    page = browser_context.new_page()
    _worker_ready(page, f"{server.url}/")
    _save_all(page, server, 1)
    assert len(_saved_images(page, document.code)) == 25

    server.stop()
    browser_context.set_offline(True)

    # A link to page 23 (never opened as such) opens the saved window 21–25 at page 23.
    page.goto(f"{server.url}/d/{document.code}?page=23")
    assert page.locator("#page-counter").inner_text() == "Page 23 / 25"
    wait_for_js(page, "document.querySelector('#page-23 img').complete", timeout=5000)
    assert page.evaluate("document.querySelector('#page-23 img').naturalWidth > 0")
    page.goto(f"{server.url}/d/{document.code}?page=24&mode=text")
    assert "Trang 24" in page.locator("#text-view").inner_text()
    page.get_by_role("button", name="Pages", exact=True).click()
    page.get_by_role("link", name="← Previous pages").first.click()
    page.wait_for_url(f"**/d/{document.code}")
    assert _first_page_shows(page)


# Several congresses on one instance ------------------------------------------------------------


@pytest.fixture
def ward_b(congress, pdf_bytes):
    """A second congress (so every congress page moves under /c/<slug>/), with a public and a
    delegates-only document and a delegate holding a card."""
    import io
    from datetime import date

    from congress_app.extensions import db
    from congress_app.models import Congress
    from congress_app.services import intake


    b = Congress(slug="binh-minh-2025", title="Đại hội Đảng bộ phường Bình Minh lần thứ I",
                 organisation="Đảng bộ phường Bình Minh", starts_on=date(2025, 7, 24),
                 ends_on=date(2025, 7, 24), venue="Nhà văn hoá Bình Minh")
    db.session.add(b)
    db.session.commit()
    documents = [
        intake.create_document(
            b, title=title, category="political_report", visibility=visibility,
            upload=intake.Upload(io.BytesIO(pdf_bytes(title, 2)), f"{title}.pdf"))
        for title, visibility in (("Báo cáo chính trị Bình Minh", "public"),
                                  ("Dự thảo nhân sự Bình Minh", "delegates"))]
    return {"congress": b, "documents": documents,
            "delegate": add_delegate(b, number=3, full_name="Phạm Văn Bình")}


def _readable_offline(page, url: str, title: str) -> bool:
    """Whether this saved reader page opens offline with its title and its first page."""
    page.goto(url)
    return (page.get_by_role("heading", name=title).count() == 1
            and page.locator("#page-1 img").count() == 1 and _first_page_shows(page))


def test_a_second_congress_s_documents_and_pages_open_offline(server, browser_context,
                                                             congress, make_document, ward_b):
    from congress_app.services import delegates as delegate_service

    a_document = make_document(title="Báo cáo Thanh Xuân", pdf=None)
    b, b_documents = ward_b["congress"], ward_b["documents"]
    b_root = f"{server.url}/c/{b.slug}"
    page = browser_context.new_page()
    _worker_ready(page, f"{server.url}/")

    # A delegate of B scans their card, lands on B's documents and saves them all.
    token = delegate_service.card_token(ward_b["delegate"])
    page.goto(f"{server.url}/K/{token}?next=/c/{b.slug}/documents")
    page.wait_for_url(f"{b_root}/documents")
    wait_for_js(page, "/^Save 2 documents \\(/.test("
                      "document.getElementById('offline-save-button').textContent)")
    page.locator("#offline-save-button").click()
    page.get_by_text(SAVED).wait_for(timeout=30000)
    start_url = page.evaluate(
        "fetch(document.querySelector('link[rel=manifest]').href)"
        ".then(r => r.json()).then(m => m.start_url)")
    assert start_url == f"/c/{b.slug}/"
    # Congress A's documents page, visited and saved on the same phone, still works.
    page.goto(f"{server.url}/c/{congress.slug}/documents")
    wait_for_js(page, "/^Save 1 document \\(/.test("
                      "document.getElementById('offline-save-button').textContent)")
    page.locator("#offline-save-button").click()
    page.get_by_text(SAVED).wait_for(timeout=30000)

    server.stop()
    browser_context.set_offline(True)

    readable = [d.title for d in b_documents
                if _readable_offline(page, f"{server.url}/d/{d.code}", d.title)]
    pages = {path: page.goto(f"{b_root}{path}") is not None
             and page.get_by_text(b.organisation).count() > 0
             for path in ("/", "/programme", "/documents")}
    page.goto(f"{server.url}{start_url}")
    installed_app_opens = page.get_by_text(b.organisation).count() > 0
    # A page of B never saved: B's own offline page, whose links stay in B.
    page.goto(f"{b_root}/search?q=du+thao")
    b_offline_page = page.get_by_role("link", name="Programme").get_attribute("href")
    a_readable = _readable_offline(page, f"{server.url}/d/{a_document.code}", a_document.title)
    page.goto(f"{server.url}/c/{congress.slug}/documents")
    a_list = page.get_by_text(a_document.title).count() > 0
    figures = (f"{len(readable)} of {len(b_documents)} documents of B readable offline; "
               f"B's pages {pages}; start URL {installed_app_opens}; "
               f"B's offline page links {b_offline_page}; "
               f"A's document {a_readable}, A's list {a_list}")
    assert len(readable) == len(b_documents) and all(pages.values()), figures
    assert installed_app_opens and a_readable and a_list, figures
    assert b_offline_page == f"/c/{b.slug}/programme", figures


# Over plain http:// -------------------------------------------------------------------------


INSECURE_VI = "Trang này đang được mở bằng địa chỉ http:// thông thường"


def test_over_plain_http_the_documents_page_says_saving_needs_https(server, make_document):
    """Chromium counts 127.0.0.1 as secure, so the hall's plain address is played by a name
    it resolves to 127.0.0.1: http://congress.test is what a phone on the LAN gets."""
    from playwright.sync_api import sync_playwright

    make_document(title="Báo cáo chính trị")
    port = server.url.rsplit(":", 1)[1]
    hall = f"http://congress.test:{port}"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            *CHROMIUM_ARGS, "--host-resolver-rules=MAP congress.test 127.0.0.1"])
        context = browser.new_context(viewport={"width": 360, "height": 740},
                                      is_mobile=True, locale="vi-VN")
        context.add_cookies([{"name": "lang", "value": "en", "url": server.url}])
        try:
            page = context.new_page()
            page.goto(f"{hall}/documents")
            assert page.evaluate("window.isSecureContext") is False
            # Vietnamese by default, server-rendered: the catalog says it in English.
            page.get_by_text(INSECURE_VI).wait_for(timeout=5000)
            assert page.locator("#offline-save").is_visible()
            assert page.get_by_role("heading", name="Lưu tất cả tài liệu").is_visible()
            assert not page.locator("#offline-save-button").is_visible()

            # At a secure address the block saves as before, and the reason stays hidden.
            page.goto(f"{server.url}/documents")
            assert page.evaluate("window.isSecureContext") is True
            wait_for_js(page, "/^Save 1 document \\(/.test("
                              "document.getElementById('offline-save-button').textContent)")
            assert page.locator("#offline-save-button").is_visible()
            assert not page.locator("#offline-save-insecure").is_visible()
            page.locator("#offline-save-button").click()
            page.get_by_text(SAVED).wait_for(timeout=10000)
        finally:
            context.close()
            browser.close()
