"""The Content-Security-Policy, in a real Chromium: no page the congress uses breaks on it.

Every violation the browser reports (a `securitypolicyviolation` event, or the console
message Chromium prints for it) fails the test, across the delegate pages, the organiser
pages, the check-in scanner with a (fake) camera and the stage screen.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from congress_app.models import Role

from .browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    browser_sign_in,
    wait_for_js,
    wait_until,
)
from .conftest import PASSWORD, add_user

# Collects violations from the first script on, before the page's own files run.
REPORT_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI + " " + e.sourceFile);
});
"""
PDF_VIEWER = "chrome-extension://mhjfbmdgcfjbbpaeojofohoefgiehjai/"


@pytest.fixture
def browser_context(request, live_server):
    """A phone-sized Chromium with a fake camera, reporting every CSP violation it sees."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream",
                  "--use-fake-device-for-media-stream"],
        )
        context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
        context.add_init_script(REPORT_VIOLATIONS)
        context.add_cookies([{"name": "lang", "value": "en", "url": live_server}])
        yield context
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            for n, page in enumerate(context.pages):
                page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{n}.png"))
        context.close()
        browser.close()


def _deliver_reports(page) -> None:
    """Wait until the violations the page's scripts caused so far have been reported: each
    report is an event fired in a task of its own, so once a task queued after them has run
    they are in window.__csp; the console messages reach Playwright before the answer."""
    page.evaluate("new Promise(resolve => setTimeout(resolve, 0))")


def _visit(page, url: str, console: list[str]) -> list[str]:
    """Open a page, let its scripts settle, and return what the CSP blocked on it."""
    page.goto(url)
    page.wait_for_load_state("networkidle")
    _deliver_reports(page)
    return page.evaluate("window.__csp") + [m for m in console if "Content Security" in m]


def test_no_page_breaks_the_content_security_policy(live_server, browser_context,
                                                    make_document):
    document = make_document(title="Báo cáo chính trị")
    add_user("bantochuc", Role.ADMIN)
    page = browser_context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))

    delegate_pages = ["/", "/programme", "/documents", f"/d/{document.code}",
                      f"/d/{document.code}?mode=text", "/search?q=bao+cao", "/screen"]
    for path in delegate_pages:
        assert _visit(page, live_server + path, console) == [], path
        if path.endswith("?mode=text"):  # the reader really is in text mode
            assert page.locator("#text-view").is_visible(), path
            assert page.locator("#pages-view").is_hidden(), path
            assert "Báo cáo chính trị" in page.locator("#text-view").inner_text(), path

    browser_sign_in(page, live_server, "bantochuc", PASSWORD, "/organiser/")
    for path in ["/organiser/", "/organiser/print/", "/organiser/stage",
                 "/checkin/attendance"]:
        assert _visit(page, live_server + path, console) == [], path

    # The scanner: the camera starts and qr-scanner's decoder runs in its blob: worker.
    assert _visit(page, f"{live_server}/checkin/", console) == []
    wait_for_js(page, "document.getElementById('camera').readyState >= 2", timeout=10000)
    wait_until(page, lambda: page.workers, "qr-scanner started its decoder worker")
    # The decoder has had a second of the camera's frames to run on.
    wait_for_js(page, "document.getElementById('camera').currentTime >= 1", timeout=10000)
    _deliver_reports(page)
    assert page.evaluate("window.__csp") == []
    assert not [m for m in console if "Content Security" in m or "Worker" in m]


def test_a_pdf_opens_in_chromiums_viewer_under_the_file_policy(live_server, browser_context,
                                                                make_document):
    document = make_document(title="Báo cáo chính trị")
    page = browser_context.new_page()
    response = page.goto(f"{live_server}/d/{document.code}/file")
    assert "sandbox" in response.header_value("content-security-policy")
    wait_until(page, lambda: any(frame.url.startswith(PDF_VIEWER) for frame in page.frames),
               "the PDF opened in Chromium's viewer")
