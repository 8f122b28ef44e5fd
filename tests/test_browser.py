"""A delegate's phone, for real: headless Debian Chromium at a 360 × 740 viewport."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server(app):
    """The app served on a free loopback port in a background thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)
    server.server_close()


@pytest.fixture
def phone(request):
    """A Playwright page in Debian's Chromium with a phone-sized viewport."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        context = browser.new_context(
            viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
            has_touch=True, accept_downloads=True, locale="vi-VN",
        )
        page = context.new_page()
        yield page
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
        context.close()
        browser.close()


def test_scanning_a_code_on_a_phone_shows_the_title_and_downloads_the_file(
    live_server, phone, make_document, pdf_bytes
):
    document = make_document(title="Dự thảo Nghị quyết Đại hội đại biểu Đảng bộ phường",
                             filename="Dự thảo Nghị quyết.pdf")
    phone.goto(f"{live_server}/D/{document.code}")  # as the upper-case QR payload has it

    title = phone.get_by_role("heading", level=1)
    assert title.inner_text() == document.title
    assert title.is_visible()
    box = title.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360  # no sideways scrolling
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    font = phone.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
    assert font.startswith('"Be Vietnam Pro"')

    with phone.expect_download() as info:
        phone.get_by_role("link", name="Tải về").click()
    download = info.value
    assert download.suggested_filename == "Dự thảo Nghị quyết.pdf"
    assert Path(download.path()).read_bytes() == pdf_bytes(document.title)
