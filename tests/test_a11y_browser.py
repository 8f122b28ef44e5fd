"""Accessibility, in a real Chromium at a phone's size: axe-core finds nothing on any page,
in Vietnamese or English; a keyboard user can skip to the content; text enlarged to 200 %
still fits the screen.

axe-core comes from the npm registry for the tests only (`make test` fetches it into
.cache/axe); it is never served by the app. It is run with page.evaluate, which Chromium
executes over the DevTools protocol, outside the page's Content-Security-Policy (an
add_script_tag would be an inline script, which script-src 'self' blocks).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from congress_app.extensions import db
from congress_app.models import AgendaItemDocument, Congress, Role, User
from congress_app.services import delegates as delegate_service
from congress_app.services import stage as stage_service

from .browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from .conftest import add_user

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent.parent / ".cache/axe/node_modules/axe-core/axe.min.js"
# WCAG 2.1 A/AA; 2.2 AA for target-size; axe's best practice for landmarks and headings.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                           resultTypes: ["violations"]});
  return results.violations.flatMap(v => v.nodes.map(n =>
    `${v.id} (${v.impact}) ${n.target.join(" ")}: ${n.failureSummary.split("\\n")[1] || ""}`));
}"""
ORGANISER = ("bantochuc", "pass word")
# The innermost elements reaching past the right edge of the screen, to name in a failure.
STICKING_OUT = """() => {
  const edge = document.documentElement.clientWidth + 0.5;  // innerWidth grows with the page
  const out = e => e.getBoundingClientRect().right > edge;
  return [...document.querySelectorAll("body *")]
    .filter(e => out(e) && ![...e.children].some(out))
    .map(e => `${e.tagName.toLowerCase()}.${e.className} "${e.textContent.trim().slice(0, 30)}"`)
    .slice(0, 8);
}"""


@pytest.fixture
def browser(request):
    """Debian's Chromium with a fake camera (for the check-in scanner)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream",
                  "--use-fake-device-for-media-stream"],
        )
        yield browser
        browser.close()


def _phone(browser, live_server: str, language: str, request, **options):
    """A phone-sized page reading the app in `language`, closed at the end of the test."""
    options = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True,
               "locale": "vi-VN", **options}
    context = browser.new_context(**options)
    context.add_cookies([{"name": "lang", "value": language, "url": live_server}])
    page = context.new_page()
    request.addfinalizer(context.close)
    return page


def _save_evidence(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` fetches axe-core from npm")
    return AXE.read_text()


@pytest.fixture
def congress_with_everything(make_document):
    """A document in the programme, an organiser and a delegate: no page is empty."""
    document = make_document(title="Báo cáo chính trị")
    item = document.congress.sessions[0].items[1]
    db.session.add(AgendaItemDocument(item=item, document=document))
    add_user(ORGANISER[0], Role.ADMIN, password=ORGANISER[1])
    delegate_service.create_delegate(document.congress, number=1, full_name="Nguyễn Văn An",
                                   unit="Chi bộ 1", discussion_group="Tổ 1", seat="A1",
                                   kind="official")
    db.session.commit()
    stage_service.set_on_stage(document.congress, item, None)  # the live box, the projector's QR
    return document


def _account_id(username: str) -> int:
    return db.session.scalar(db.select(User.id).where(User.username == username))


@pytest.mark.parametrize("language", ["vi", "en"])
def test_axe_finds_no_violation_on_any_page(live_server, browser, axe_source, request,
                                            congress_with_everything, language):
    document = congress_with_everything
    page = _phone(browser, live_server, language, request)
    found: dict[str, list[str]] = {}

    def check(path: str, after: str = "") -> None:
        """Open `path` (or, with `after`, check the page as it now is) and run axe-core."""
        if not after:
            page.goto(live_server + path)
            page.wait_for_load_state("networkidle")
        page.evaluate(axe_source)
        problems = page.evaluate(RUN_AXE, AXE_TAGS)
        if problems:
            found[path + after] = problems
            _save_evidence(page, f"a11y-{language}-{path.strip('/').replace('/', '_')}{after}")

    for path in ["/", "/programme", "/documents", f"/d/{document.code}",
                 f"/d/{document.code}?mode=text", "/search?q=bao+cao", "/login", "/offline",
                 "/no-such-page", "/screen", "/delegate/sign-in"]:
        check(path)

    # Refused forms: their errors are announced and tied to their fields.
    page.click("main button[type=submit]")  # /delegate/sign-in, empty
    assert page.locator("[aria-invalid=true]").count() == 2
    check("/delegate/sign-in", after=" (refused)")
    page.goto(f"{live_server}/login")
    page.fill("#username", ORGANISER[0])
    page.fill("#password", "wrong")
    page.click("main button[type=submit]")
    assert page.get_by_role("alert").count() == 1
    check("/login", after=" (refused)")

    page.fill("#username", ORGANISER[0])
    page.fill("#password", ORGANISER[1])
    page.click("main button[type=submit]")
    page.wait_for_url("**/organiser/")
    for path in ["/organiser/", "/organiser/agenda", "/organiser/documents",
                 f"/organiser/documents/{document.id}", "/organiser/documents/new",
                 "/organiser/print/", "/organiser/delegates/", "/organiser/stage",
                 "/organiser/audit", "/organiser/closing/", "/organiser/closing/close",
                 "/checkin/", "/checkin/attendance", "/organiser/congresses/",
                 "/organiser/congresses/new", "/organiser/accounts", "/organiser/accounts/new",
                 f"/organiser/accounts/{_account_id(ORGANISER[0])}", "/organiser/password"]:
        check(path)
    page.goto(f"{live_server}/screen")
    assert page.locator(".qr-grid img").count() == 1  # the item on stage, with its document
    # A second congress on the instance: the root page becomes the list of congresses.
    db.session.add(Congress(slug="ben-canh-2025", title="Đại hội Đảng bộ phường Bên Cạnh",
                            organisation="Đảng bộ phường Bên Cạnh", starts_on=date(2025, 7, 24),
                            ends_on=date(2025, 7, 24)))
    db.session.commit()
    page.goto(f"{live_server}/")
    assert page.locator(".congress-list a").count() == 2
    check("/", after=" (several congresses)")
    check("/c/ben-canh-2025/")

    report = "\n".join(f"{path} [{language}]\n  " + "\n  ".join(problems)
                       for path, problems in found.items())
    assert not found, f"axe-core found violations:\n{report}"


def test_the_first_tab_offers_a_visible_skip_to_the_content(live_server, browser, request,
                                                             congress_with_everything):
    page = _phone(browser, live_server, "en", request, has_touch=False)
    page.goto(f"{live_server}/programme")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert skip.inner_text() == "Skip to content"
    box = skip.bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0 and box["width"] > 0
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    page.keyboard.press("Tab")  # the next stop is inside the content, not the header
    assert page.evaluate("document.activeElement.closest('main') !== null")


@pytest.mark.parametrize("language", ["vi", "en"])
def test_text_at_200_percent_still_fits_the_screen(live_server, browser, request,
                                                   congress_with_everything, language):
    # A 360 px phone with text at 200 % lays out like a 180 px one at 100 %.
    document = congress_with_everything
    page = _phone(browser, live_server, language, request, viewport={"width": 180, "height": 740})
    for path in ["/", "/programme", f"/d/{document.code}", f"/d/{document.code}?mode=text"]:
        page.goto(live_server + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 180:
            _save_evidence(page, f"zoom-{language}-{path.strip('/').replace('/', '_')}")
            pytest.fail(f"{path} scrolls sideways at 200 %: {width} px wide, because of "
                        f"{page.evaluate(STICKING_OUT)}")
