"""The organiser chooses the table tent's documents on the print centre: the ticked ones, in
the places given, and only documents of this congress that a tent on the tables may carry.

The tent is opened through the print centre's own form fields (one `codes` per ticked box,
a `position-<CODE>` per row, `pick=chosen`), read back with pypdfium2 and its codes decoded
as tests/test_qr_sizes.py decodes every printable.
"""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pypdfium2 as pdfium
import pytest
from werkzeug.datastructures import MultiDict

from congress_app.extensions import db
from congress_app.models import Congress, Role
from congress_app.services import agenda as agenda_service
from congress_app.services import documents as document_service
from congress_app.services import intake

from .browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, wait_for_js
from .conftest import BASE_URL, add_user
from .pdf_reading import scans

pytestmark = pytest.mark.database_agnostic

TENT = "/organiser/print/table-tent.pdf"
HOME = f"{BASE_URL.upper()}/"


@pytest.fixture
def tent(congress, make_document):
    """Six documents a tent may carry (the report on the programme), one for delegates only,
    one for organisers only and an unpublished draft."""
    docs = SimpleNamespace(
        report=make_document("Báo cáo chính trị", category="political_report"),
        rules=make_document("Quy chế làm việc", category="working_rules"),
        paper=make_document("Tham luận chuyển đổi số", category="discussion_paper"),
        press=make_document("Thông cáo báo chí", category="other"),
        review=make_document("Báo cáo kiểm điểm", category="review_report"),
        minutes=make_document("Biên bản kiểm phiếu", category="other"),
        resolution=make_document("Dự thảo Nghị quyết", category="draft_resolution",
                                 visibility="delegates"),
        script=make_document("Kịch bản điều hành", category="other", visibility="organisers"),
        draft=make_document("Bản nháp chưa công bố", category="other", published=False),
    )
    agenda_service.link_document(congress.sessions[0].items[1], docs.report)
    docs.public = [docs.report, docs.rules, docs.paper, docs.press, docs.review, docs.minutes]
    return docs


def tent_form(page: str) -> str:
    """The table tent's card of the print centre page."""
    return page.split('id="print-table-tent"')[1].split("</section>")[0]


def chosen(offered, ticked, **options) -> MultiDict:
    """The query the print centre's tent form sends: every row's place, one `codes` per
    ticked box (`ticked` maps a document to its place, "" for none)."""
    fields = [("edition", options.pop("edition", "public")), ("size", options.pop("size", "a4")),
              ("pick", "chosen")]
    for document in offered:
        if document in ticked:
            fields.append(("codes", document.code))
        fields.append((f"position-{document.code}", str(ticked.get(document, ""))))
    fields += list(options.items())
    return MultiDict(fields)


def _lower_face(text: pdfium.PdfTextPage, middle: float) -> tuple[str, list[float]]:
    """The lower (upright) face's letters, spaces left out (pdfium may see one inside a
    letter-spaced code), and where each starts. PDF y grows upwards: the lower face is
    below the middle; the upper face comes first in the page and reads upside down."""
    letters, starts = [], []
    for index in range(text.count_chars()):
        letter = text.get_text_range(index, 1)
        left, _bottom, _right, top = text.get_charbox(index)
        if not letter.isspace() and top < middle:
            letters.append(letter)
            starts.append(left)
    return "".join(letters), starts


def read_tent(pdf: bytes, located=()) -> SimpleNamespace:
    """The tent's text, its lower face's codes left to right (the upper face's sorted), and
    where each of `located` (titles, short codes) starts on the lower face."""
    document = pdfium.PdfDocument(pdf)
    try:
        page = document[0]
        text = page.get_textpage()
        middle = page.get_height() / 2
        whole = text.get_text_range()
        letters, starts = _lower_face(text, middle)
        x = {words: starts[letters.index(words.replace(" ", ""))] for words in located}
    finally:
        document.close()
    found = scans(pdf, 150)
    lower = sorted((c for _, c in found if c.orientation % 360 == 0),
                   key=lambda c: c.position.top_left.x)
    upper = [c for _, c in found if c.orientation % 360 == 180]
    return SimpleNamespace(text=" ".join(whole.split()), lower=[c.text for c in lower],
                           upper=sorted(c.text for c in upper), x=x)


def payload(document) -> str:
    return f"{BASE_URL.upper()}/D/{document.code}"


def test_the_print_centre_offers_the_tents_documents_with_the_automatic_pick_ticked(
    client, signed_in, tent
):
    card = tent_form(client.get("/organiser/print/").get_data(as_text=True))

    assert "At most 4 documents fit on an A4 tent." in card
    assert '<input type="hidden" name="pick" value="chosen">' in card
    offered = re.findall(r'name="codes" value="([2-9A-Z]+)"', card)
    # What a delegate at the table may open, the programme's report first; never the
    # organisers' script or the unpublished draft.
    assert offered == [d.code for d in (tent.report, *tent.public[1:], tent.resolution)]
    ticked = re.findall(r'value="([2-9A-Z]+)" checked', card)
    assert ticked == [d.code for d in tent.public[:4]]
    for place, document in enumerate(tent.public[:4], start=1):
        assert re.search(rf'name="position-{document.code}"[^>]*value="{place}"', card)
    unticked = re.search(rf'<input[^>]*name="position-{tent.review.code}"[^>]*>', card)
    assert "value=" not in unticked.group()
    row = card.split(f'value="{tent.resolution.code}"')[1].split("</li>")[0]
    assert "Delegates only" in row
    assert tent.script.code not in card and tent.draft.code not in card


def test_two_chosen_documents_are_printed_in_the_chosen_order(client, signed_in, tent):
    offered = [*tent.public, tent.resolution]
    # The fifth document first, then the second: neither order nor choice is the automatic one.
    query = chosen(offered, {tent.review: 1, tent.rules: 2})
    response = client.get(TENT, query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    shown = (tent.review, tent.rules)
    printed = read_tent(response.get_data(), [w for d in shown for w in (d.code, d.title)])

    assert printed.lower == [HOME, payload(tent.review), payload(tent.rules)]
    assert printed.upper == sorted(printed.lower)
    for document in (tent.review, tent.rules):
        assert document.title in printed.text
    for document in (tent.report, tent.paper, tent.press, tent.minutes, tent.resolution):
        assert document.title not in printed.text and document.code not in printed.text
    # Left to right on the face: the first place's code and title, then the second's.
    x = printed.x
    assert x[tent.review.code] < x[tent.rules.code] and x[tent.review.title] < x[tent.rules.title]

    # The places decide, not the order of the rows: swapped, the tent is swapped.
    swapped = read_tent(client.get(TENT, query_string=chosen(
        offered, {tent.review: 2, tent.rules: 1})).get_data())
    assert swapped.lower == [HOME, payload(tent.rules), payload(tent.review)]
    # The address is the tent: opened again (a reprint, a bookmark), it is the same file.
    again = client.get(TENT, query_string=query)
    assert again.get_data() == response.get_data()
    # A blank place follows the numbered ones.
    blank = read_tent(client.get(TENT, query_string=chosen(
        offered, {tent.paper: "", tent.minutes: 1})).get_data())
    assert blank.lower == [HOME, payload(tent.minutes), payload(tent.paper)]


def test_without_a_choice_the_tent_keeps_its_automatic_pick(client, signed_in, tent):
    printed = read_tent(client.get(TENT).get_data())
    assert printed.lower == [HOME, *map(payload, tent.public[:4])]


def test_a_tent_with_nothing_ticked_is_refused_with_a_message(client, signed_in, tent):
    response = client.get(TENT, query_string=chosen([*tent.public], {}, size="a5"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Tick at least one document to put on the tent." in page
    assert "At most 4 documents fit on an A5 tent." in page


@pytest.mark.parametrize("size", ["a4", "a5"])
def test_more_documents_than_the_tent_holds_are_refused_with_the_limit(
    client, signed_in, tent, size
):
    five = {d: n for n, d in enumerate(tent.public[:5], start=1)}
    response = client.get(TENT, query_string=chosen(tent.public, five, size=size))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f"At most 4 documents fit on an {size.upper()} tent." in page
    assert "You chose 5: untick some, or print a second tent." in page

    client.set_cookie("lang", "vi")
    page = client.get(TENT, query_string=chosen(tent.public, five, size=size)).get_data(
        as_text=True)
    assert f"Một biển để bàn khổ {size.upper()} in được tối đa 4 tài liệu." in page


def test_another_congresss_document_is_not_found(client, signed_in, tent, pdf_bytes):
    other = Congress(slug="binh-minh-2025", title="Đại hội Đảng bộ phường BinhMinh lần thứ I",
                     organisation="Đảng bộ phường BinhMinh", starts_on=date(2025, 7, 24),
                     ends_on=date(2025, 7, 24))
    db.session.add(other)
    db.session.commit()
    theirs = intake.create_document(
        other, title="Báo cáo BinhMinh", category="political_report",
        upload=intake.Upload(io.BytesIO(pdf_bytes("BinhMinh")), "BinhMinh.pdf"))

    response = client.get(TENT, query_string=chosen([tent.rules, theirs],
                                                    {tent.rules: 1, theirs: 2}))
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert f"There is no document with the code “{theirs.code}”." in page
    assert "BinhMinh" not in page


def test_a_deleted_document_is_refused_by_name(client, signed_in, tent):
    offered = [tent.rules, tent.paper]
    query = chosen(offered, {tent.rules: 1, tent.paper: 2})
    assert client.get(TENT, query_string=query).status_code == 200
    document_service.delete_document(tent.paper)

    response = client.get(TENT, query_string=query)
    assert response.status_code == 404
    assert (f"The document “{tent.paper.title}” ({tent.paper.code}) has been deleted"
            in response.get_data(as_text=True))


def test_a_delegates_only_document_goes_only_on_the_delegates_tent(client, signed_in, tent):
    ticked = {tent.resolution: 1, tent.rules: 2}
    public = client.get(TENT, query_string=chosen([tent.rules, tent.resolution], ticked))
    assert public.status_code == 404
    assert (f"“{tent.resolution.title}” ({tent.resolution.code}) is for delegates only: choose "
            "the delegates' edition" in public.get_data(as_text=True).replace("&#39;", "'"))

    delegates = client.get(TENT, query_string=chosen([tent.rules, tent.resolution], ticked,
                                                     edition="delegates", language="en"))
    printed = read_tent(delegates.get_data())
    assert printed.lower == [HOME, payload(tent.resolution), payload(tent.rules)]
    assert "Delegates only" in printed.text  # the tent says who may open it

    hidden = client.get(TENT, query_string=chosen([tent.script], {tent.script: 1},
                                                  edition="delegates"))
    assert hidden.status_code == 404
    assert "is for the organisers only or not published" in hidden.get_data(as_text=True)


@pytest.mark.parametrize("role, status", [(Role.ADMIN, 200), (Role.EDITOR, 200),
                                          (Role.CHECKIN, 403)])
def test_choosing_the_tent_is_for_editors_and_admins(client, auth, tent, role, status):
    query = chosen(tent.public, {tent.press: 1, tent.rules: 2})
    anonymous = client.get(TENT, query_string=query)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]

    add_user("someone", role)
    auth.login("someone", "pass word")
    assert client.get(TENT, query_string=query).status_code == status
    page = client.get("/organiser/print/")
    assert page.status_code == status
    if status == 200:
        assert f'value="{tent.press.code}"' in tent_form(page.get_data(as_text=True))


@pytest.mark.browser
def test_the_tent_form_says_what_is_wrong_before_the_pdf_opens(
    app, live_server, tent, request
):
    """In Chromium at a laptop's size: unticking all, or ticking a fifth, shows the limit on
    the form and opens nothing; a box ticked without a place gets the next one."""
    from playwright.sync_api import sync_playwright

    add_user("editor", Role.EDITOR)
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
        context.add_cookies([{"name": "lang", "value": "en", "url": live_server}])
        page = context.new_page()
        try:
            page.goto(f"{live_server}/login?next=/organiser/print/")
            page.get_by_label("Username").fill("editor")
            page.get_by_label("Password").fill("pass word")
            page.get_by_label("Password").press("Enter")
            page.wait_for_url("**/organiser/print/")
            card = page.locator("#print-table-tent")
            error = card.locator("[data-choice-error]")
            assert error.is_hidden()

            card.locator(f"#tent-doc-{tent.review.code}").check()
            assert card.locator(f"#tent-place-{tent.review.code}").input_value() == "5"
            card.get_by_role("button", name="Open the PDF").click()
            assert error.is_visible()
            assert error.inner_text() == ("At most 4 documents fit on an A4 tent. "
                                          "Untick some, or print a second tent.")
            assert len(context.pages) == 1  # nothing opened

            for document in tent.public[:5]:
                card.locator(f"#tent-doc-{document.code}").uncheck()
            card.get_by_role("button", name="Open the PDF").click()
            assert error.inner_text().startswith("Tick at least one document")
            assert len(context.pages) == 1
            assert card.locator(f"#tent-place-{tent.report.code}").input_value() == ""

            card.locator(f"#tent-doc-{tent.rules.code}").check()
            assert error.is_hidden()
            with context.expect_event(
                    "response", predicate=lambda r: "/table-tent.pdf" in r.url) as answered:
                card.get_by_role("button", name="Open the PDF").click()
            assert f"codes={tent.rules.code}" in answered.value.url
            assert answered.value.status == 200
            # Every preview answered before the server stops.
            wait_for_js(page, "Array.from(document.images).every((i) => i.complete)", 60000)
        except Exception:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
            raise
        finally:
            context.close()
            browser.close()


@pytest.mark.parametrize("place", ["²", "٣", "-1", "1.5", "x"])
def test_a_place_that_is_not_a_whole_number_is_refused_with_a_message(
    client, signed_in, tent, place
):
    """"²" passes str.isdigit() and then broke int() with a 500."""
    first = tent.public[0]
    response = client.get(TENT, query_string=chosen(tent.public, {first: place}))
    assert response.status_code == 400
    assert f"The place of the document “{first.code}” must be a whole number" in (
        response.get_data(as_text=True))
