"""The Content-Security-Policy, in a real Chromium: no page the congress uses breaks on it.

Every violation the browser reports (a `securitypolicyviolation` event, or the console
message Chromium prints for it) fails the test, across the delegate pages, the organiser
pages, the check-in scanner with a (fake) camera and the stage screen.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

from congress_app.extensions import db
from congress_app.models import Role, User

from .browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

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


def _visit(page, url: str, console: list[str]) -> list[str]:
    """Open a page, let its scripts settle, and return what the CSP blocked on it."""
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
    return page.evaluate("window.__csp") + [m for m in console if "Content Security" in m]


def test_no_page_breaks_the_content_security_policy(live_server, browser_context,
                                                    make_document):
    document = make_document(title="Báo cáo chính trị")
    db.session.add(User(username="bantochuc", role=Role.ADMIN,
                        password_hash=generate_password_hash("pass word", "pbkdf2:sha256:1")))
    db.session.commit()
    page = browser_context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))

    delegate_pages = ["/", "/programme", "/documents", f"/d/{document.code}",
                      f"/d/{document.code}?view=text", "/search?q=bao+cao", "/screen"]
    for path in delegate_pages:
        assert _visit(page, live_server + path, console) == [], path

    page.goto(f"{live_server}/login")
    page.get_by_label("Username").fill("bantochuc")
    page.get_by_label("Password").fill("pass word")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/organiser/")
    for path in ["/organiser/", "/organiser/print/", "/organiser/stage",
                 "/checkin/attendance"]:
        assert _visit(page, live_server + path, console) == [], path

    # The scanner: the camera starts and qr-scanner's decoder runs in its blob: worker.
    assert _visit(page, f"{live_server}/checkin/", console) == []
    # Polled from here: Playwright's in-page wait_for_function needs eval, which the CSP forbids.
    for _ in range(100):
        if page.evaluate("document.getElementById('camera').readyState >= 2"):
            break
        page.wait_for_timeout(100)
    else:
        pytest.fail("the camera never started")
    page.wait_for_timeout(1000)
    assert page.evaluate("window.__csp") == []
    assert not [m for m in console if "Content Security" in m or "Worker" in m]


def test_a_pdf_opens_in_chromiums_viewer_under_the_file_policy(live_server, browser_context,
                                                                make_document):
    document = make_document(title="Báo cáo chính trị")
    page = browser_context.new_page()
    response = page.goto(f"{live_server}/d/{document.code}/file")
    assert "sandbox" in response.header_value("content-security-policy")
    page.wait_for_timeout(1500)
    assert any(frame.url.startswith(PDF_VIEWER) for frame in page.frames)
