"""Delegate cards: every printed QR code signs in its own delegate, every PIN is printed behind
its own card, and no card is ever kept on disk."""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import date
from pathlib import Path
from urllib.parse import quote, urlsplit

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from congress_app import create_app, qr
from congress_app.extensions import db
from congress_app.models import CheckIn, Congress, Role
from congress_app.pdf import cards
from congress_app.services import delegates as delegate_service

from .conftest import (
    BASE_URL,
    IsolatedClient,
    _config,
    add_delegates,
    add_user,
    database_copy,
    signed_in_client,
)
from .pdf_reading import assert_fonts_embedded, pdf_text

# Card sheets rendered and measured: no query the database type changes, so once, in the
# SQLite pass.
pytestmark = [pytest.mark.database_agnostic, pytest.mark.agnostic_in_sqlite]

A4_MM = (210, 297)
PT_PER_MM = 72 / 25.4


def token_of(url: str) -> str:
    """The token in a decoded card URL (upper-cased for QR alphanumeric mode)."""
    prefix = f"{BASE_URL.upper()}/K/"
    assert url.startswith(prefix), url
    return url.removeprefix(prefix)


def qr_codes_on(pdf: bytes, pages) -> dict[int, list[tuple[str, float, float]]]:
    """{page: [(text, x mm, y mm of the symbol's centre, side mm)]} at 150 dpi, as printed."""
    document = pdfium.PdfDocument(pdf)
    try:
        found = {}
        for index in pages:
            image = document[index].render(scale=150 / 72).to_pil()
            codes = []
            for barcode in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):
                p = barcode.position
                corners = [p.top_left, p.top_right, p.bottom_right, p.bottom_left]
                x = sum(c.x for c in corners) / 4 * 25.4 / 150
                y = sum(c.y for c in corners) / 4 * 25.4 / 150
                side = abs(p.top_right.x - p.top_left.x) * 25.4 / 150
                codes.append((barcode.text, x, y, side))
            found[index] = codes
        return found
    finally:
        document.close()


def text_centres(pdf: bytes, page_index: int, needles: list[str]) -> dict[str, tuple[float, float]]:
    """Where each string is printed on a page: the centre of its first match, in mm from the
    top-left corner."""
    document = pdfium.PdfDocument(pdf)
    try:
        page = document[page_index]
        height = page.get_height()
        text_page = page.get_textpage()
        centres = {}
        for needle in needles:
            match = text_page.search(needle, match_whole_word=True).get_next()
            assert match, f"{needle!r} is not printed on page {page_index}"
            boxes = [text_page.get_charbox(i) for i in range(match[0], match[0] + match[1])]
            left, right = min(b[0] for b in boxes), max(b[2] for b in boxes)
            bottom, top = min(b[1] for b in boxes), max(b[3] for b in boxes)
            centres[needle] = ((left + right) / 2 / PT_PER_MM,
                               (height - (top + bottom) / 2) / PT_PER_MM)
        return centres
    finally:
        document.close()


def page_text(pdf: bytes, page_index: int) -> str:
    """A page's text as pdfium reads it, whitespace collapsed (much faster than pypdf)."""
    document = pdfium.PdfDocument(pdf)
    try:
        return " ".join(document[page_index].get_textpage().get_text_bounded().split())
    finally:
        document.close()


def cell(x: float, y: float) -> tuple[int, int]:
    """(row, column) of the A4 card grid that a point (mm) falls in."""
    grid = cards.CARD_GRID
    return int((y - grid.top) // grid.height), int((x - grid.left) // grid.width)


def page_sizes_mm(pdf: bytes) -> list[tuple[int, int]]:
    reader = PdfReader(io.BytesIO(pdf))
    return [(round(float(p.mediabox.width) / PT_PER_MM), round(float(p.mediabox.height) /
                                                                 PT_PER_MM))
            for p in reader.pages]


# 168 delegates, rendered once for the module ------------------------------------------


@pytest.fixture(scope="module")
def roster(tmp_path_factory, migrated_db, postgres):
    """A congress of 168 active delegates plus a deactivated one, its own app (the conftest
    app is per test) and an editor's client that has printed all cards on A4 with PIN backs."""
    tmp = tmp_path_factory.mktemp("cards")
    app = create_app(_config(tmp, database_copy(tmp, migrated_db, postgres)))
    app.test_client_class = IsolatedClient
    with app.app_context():
        congress = Congress(
            slug="test", organisation="Đảng bộ phường Thanh Xuân",
            title="Đại hội đại biểu Đảng bộ phường Thanh Xuân lần thứ I, nhiệm kỳ 2025–2030",
            parent_organisation="Đảng bộ thành phố Hà Nội", ordinal="lần thứ I",
            term="2025–2030", starts_on=date(2025, 7, 22), ends_on=date(2025, 7, 23),
            delegates_expected=168,
        )
        db.session.add(congress)
        db.session.flush()
        delegates = add_delegates(congress, 168)
        gone = add_delegates(congress, 1, start=169, full_name="Người Đã Thôi Làm Đại Biểu",
                              active=False)[0]
        add_user("editor", Role.EDITOR)
        client = signed_in_client(app, "editor")

        # How long the 168 cards take is `make bench`'s figure (render.cards), not a test's.
        response = client.get("/organiser/print/cards.pdf?layout=a4&pin=back")
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        pdf = response.get_data()
        yield {"app": app, "congress": congress, "delegates": delegates, "gone": gone,
               "response": response, "pdf": pdf, "client": client}
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def front_texts(roster) -> list[str]:
    """The text of each front page as pypdf extracts it (NFC, whitespace collapsed)."""
    reader = PdfReader(io.BytesIO(roster["pdf"]))
    return [" ".join(unicodedata.normalize("NFC", reader.pages[i].extract_text()).split())
            for i in range(0, len(reader.pages), 2)]


@pytest.fixture(scope="module")
def front_codes(roster):
    """The QR codes of the 21 front pages (the backs carry none)."""
    return qr_codes_on(roster["pdf"], range(0, 42, 2))


def test_168_cards_print_on_21_sheets_each_followed_by_its_back(roster):
    assert page_sizes_mm(roster["pdf"]) == [A4_MM] * 42
    response = roster["response"]
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("inline;")
    assert quote("Delegate cards - Đảng bộ phường Thanh Xuân.pdf")  # English UI in disposition


def test_every_qr_code_signs_in_the_delegate_whose_card_it_is_on(roster, front_codes):
    app, delegates = roster["app"], roster["delegates"]
    assert sum(len(codes) for codes in front_codes.values()) == 168
    by_number = {d.number: d for d in delegates}
    serializer = app.session_interface.get_signing_serializer(app)
    for page, codes in front_codes.items():
        sheet = page // 2
        assert len(codes) == 8
        for url, x, y, side in codes:
            token = token_of(url)
            delegate = delegate_service.delegate_by_token(token)
            assert delegate is not None
            # The card in row r, column c of sheet s is delegate 8s + 2r + c + 1.
            row, column = cell(x, y)
            assert delegate.number == sheet * 8 + row * 2 + column + 1
            assert side >= 19.5  # the symbol; with its quiet zone the code is 26 mm wide

            # The printed link, as a phone opens it, signs that very delegate in.
            phone = app.test_client()
            opened = phone.get(urlsplit(url).path)
            assert opened.status_code == 302, url
            cookie = phone.get_cookie(app.config["SESSION_COOKIE_NAME"])
            session = serializer.loads(cookie.value)
            assert session["_user_id"] == by_number[delegate.number].get_id()


def test_each_pin_is_printed_behind_its_own_card(roster, front_codes):
    pdf, congress = roster["pdf"], roster["congress"]
    by_token = {delegate_service.card_token(d): d for d in roster["delegates"]}
    checked = 0
    for front_page, codes in front_codes.items():
        back_page = front_page + 1
        printed = dict(re.findall(r"(\d{3}) PIN: (\d{6})", page_text(pdf, back_page)))
        on_sheet = [by_token[token_of(url)] for url, *_ in codes]
        assert set(printed) == {cards.number_text(d.number) for d in on_sheet}
        pins = [delegate_service.card_pin(d) for d in on_sheet]
        centres = text_centres(pdf, back_page, [p for p in pins if pins.count(p) == 1])
        for (_url, x, y, _side), delegate in zip(codes, on_sheet, strict=True):
            pin = printed[cards.number_text(delegate.number)]
            assert pin == delegate_service.card_pin(delegate)
            assert delegate_service.check_pin(congress, delegate.number, pin) == delegate
            if pin in centres:
                # Printed double-sided and flipped on the long edge, columns swap.
                row, column = cell(x, y)
                assert cell(*centres[pin]) == (row, 1 - column)
                checked += 1
    assert checked >= 160


def test_vietnamese_names_are_printed_exactly_in_embedded_fonts(roster, front_texts):
    text = " ".join(front_texts)
    for delegate in roster["delegates"]:
        assert delegate.full_name in text
    assert "Đảng bộ phường Thanh Xuân".upper() in text
    assert "Đại hội đại biểu lần thứ I, nhiệm kỳ 2025–2030".upper() in text
    assert "Chi bộ Khu dân cư số 24" in text
    assert roster["gone"].full_name not in text  # deactivated delegates get no card
    assert_fonts_embedded(roster["pdf"])


def test_no_card_is_kept_on_disk(roster):
    secrets = [delegate_service.card_token(d).encode() for d in roster["delegates"]]
    secrets += [f"PIN: {delegate_service.card_pin(d)}".encode() for d in roster["delegates"]]
    for path in Path(roster["app"].config["CACHE_DIR"]).rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not data.startswith(b"%PDF"), path
            assert path.suffix != ".png", f"a QR image of a card token was cached: {path}"
            assert not any(s in data for s in secrets), path


def test_the_print_page_offers_every_choice(roster):
    page = roster["client"].get("/organiser/print/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for needle in ('name="layout" value="a4"', 'name="layout" value="a6"',
                   'name="pin" value="back"', 'name="pin" value="slip"',
                   'name="without_checkin"', '<option value="Tổ 3">Tổ 3 (21)</option>',
                   "/organiser/print/cards.pdf", "/organiser/print/attendance-sheet.pdf",
                   "/organiser/print/card", "All active delegates (168)"):
        assert needle in html, needle


# A few delegates, per test -----------------------------------------------------------


@pytest.fixture
def few(congress):
    return add_delegates(congress, 3)


def test_a_reissued_card_is_reprinted_with_the_new_token(client, signed_in, congress, few):
    delegate = few[1]
    old_token = delegate_service.card_token(delegate)
    old_pin = delegate_service.card_pin(delegate)

    delegate_service.reissue_credentials(delegate)

    response = client.get(f"/organiser/print/delegates/{delegate.id}/card.pdf")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert quote(f"Delegate card 002 - {delegate.full_name}.pdf") in (
        response.headers["Content-Disposition"])
    pdf = response.get_data()
    assert page_sizes_mm(pdf) == [A4_MM] * 2
    [(url, *_)] = qr_codes_on(pdf, [0])[0]
    new_token = token_of(url)
    assert new_token == delegate_service.card_token(delegate) != old_token
    assert delegate_service.delegate_by_token(new_token) == delegate
    assert delegate_service.delegate_by_token(old_token) is None
    assert client.get(f"/K/{old_token}").status_code in (403, 409)

    new_pin = delegate_service.card_pin(delegate)
    text = pdf_text(pdf)
    assert f"PIN: {new_pin}" in text and new_pin != old_pin
    assert delegate_service.check_pin(congress, 2, new_pin) == delegate
    assert delegate_service.check_pin(congress, 2, old_pin) is None
    assert few[0].full_name not in text


def test_card_qr_codes_are_exactly_the_symbols_qrcode_draws():
    """cards.qr_png writes its own grey PNG, for speed: it must be exactly qrcode's symbol,
    for small codes and for large ones that carry version information."""
    tokens = ["A" * 32, "Z7" * 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "22222222"]
    payloads = [qr.card_payload(BASE_URL, token) for token in tokens]
    payloads += [qr.card_payload("https://example.org/congress", "k" * n) for n in (3, 60, 150)]
    payloads += [f"{BASE_URL}/k/{n:0{n}d}" for n in range(20, 260, 13)]
    for payload in payloads:
        ours = Image.open(io.BytesIO(cards.qr_png(payload)))
        drawn = Image.open(io.BytesIO(qr.render_qr(payload, "png", box_size=cards.QR_BOX_SIZE)))
        assert ours.mode == "L"  # WeasyPrint embeds grey as it is, but converts 1-bit to RGB
        assert ours.size == drawn.size, payload
        assert ours.tobytes() == drawn.convert("L").tobytes(), payload


def test_a6_badges_and_pin_slips(client, signed_in, few):
    a6_back = client.get("/organiser/print/cards.pdf?layout=a6&pin=back").get_data()
    assert page_sizes_mm(a6_back) == [(105, 148)] * 6
    assert len(qr_codes_on(a6_back, [0])[0]) == 1
    back = PdfReader(io.BytesIO(a6_back)).pages[1].extract_text()
    assert f"PIN: {delegate_service.card_pin(few[0])}" in back  # behind badge 1

    a6_slip = client.get("/organiser/print/cards.pdf?layout=a6&pin=slip").get_data()
    assert page_sizes_mm(a6_slip) == [(105, 148)] * 3 + [A4_MM]

    a4_slip = client.get("/organiser/print/cards.pdf?layout=a4&pin=slip").get_data()
    assert page_sizes_mm(a4_slip) == [A4_MM] * 2
    slips = " ".join(PdfReader(io.BytesIO(a4_slip)).pages[1].extract_text().split())
    for delegate in few:
        assert delegate.full_name in slips
        assert (f"{cards.number_text(delegate.number)} "
                f"PIN: {delegate_service.card_pin(delegate)}") in slips
    decoded = qr_codes_on(a4_slip, [0, 1])
    assert len(decoded[0]) == 3 and decoded[1] == []


def test_cards_for_one_group_or_for_those_not_checked_in(client, signed_in, few):
    group = few[2].discussion_group
    text = pdf_text(client.get(f"/organiser/print/cards.pdf?group={quote(group)}").get_data())
    assert few[2].full_name in text
    assert few[0].full_name not in text and few[1].full_name not in text

    db.session.add(CheckIn(delegate_id=few[0].id, congress_id=few[0].congress_id))
    db.session.commit()
    text = pdf_text(client.get("/organiser/print/cards.pdf?without_checkin=1").get_data())
    assert few[0].full_name not in text
    assert few[1].full_name in text and few[2].full_name in text


@pytest.mark.parametrize(("query", "message"), [
    ("layout=a5", "Unknown card layout “a5”"),
    ("pin=front", "Unknown PIN option “front”"),
    ("group=T%E1%BB%95%2099", "There is no discussion group “Tổ 99”"),
    ("without_checkin=yes", "“without_checkin” can only be 1"),
])
def test_bad_options_are_refused_with_a_clear_message(client, signed_in, few, query, message):
    response = client.get(f"/organiser/print/cards.pdf?{query}")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert message in response.get_data(as_text=True)

    one = client.get(f"/organiser/print/delegates/{few[0].id}/card.pdf?{query}")
    assert one.status_code == (200 if query.startswith(("group", "without")) else 400)


def test_no_card_for_a_deactivated_delegate_or_one_of_another_congress(
    client, signed_in, congress, few
):
    few[0].active = False
    other = Congress(slug="other", title="Đại hội khác", organisation="Đảng bộ khác",
                     starts_on=date(2025, 8, 1), ends_on=date(2025, 8, 1))
    db.session.add(other)
    db.session.flush()
    stranger = add_delegates(other, 1, start=50)[0]

    gone = client.get(f"/organiser/print/delegates/{few[0].id}/card.pdf")
    assert gone.status_code == 410
    assert "has been deactivated" in gone.get_data(as_text=True)
    assert client.get(f"/organiser/print/delegates/{stranger.id}/card.pdf").status_code == 404
    assert client.get("/organiser/print/delegates/99999/card.pdf").status_code == 404
    text = pdf_text(client.get("/organiser/print/cards.pdf").get_data())
    assert few[0].full_name not in text and stranger.full_name not in text
    assert few[1].full_name in text


def test_reprint_by_number_goes_to_that_delegates_card(client, signed_in, few):
    response = client.get("/organiser/print/card?number=003&layout=a6&pin=slip")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == (
        f"/organiser/print/delegates/{few[2].id}/card.pdf")
    assert "layout=a6" in response.headers["Location"]
    assert client.get("/organiser/print/card?number=42").status_code == 404
    assert client.get("/organiser/print/card?number=abc").status_code == 400


# Who may print -----------------------------------------------------------------------


def _card_routes(app, ids: dict[str, int]) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("cards."):
            paths.append(re.sub(r"<(?:int:)?([^>]+)>", lambda m: str(ids[m.group(1)]),
                                rule.rule))
    return sorted(paths)


def test_only_editors_may_print(app, client, auth, few):
    paths = _card_routes(app, {"delegate_id": few[0].id})
    assert len(paths) == 4  # the print centre (its own blueprint) is tested in test_print_centre

    for path in paths:  # anonymous: to the sign-in page
        response = client.get(path)
        assert response.status_code == 302, path
        assert urlsplit(response.headers["Location"]).path == "/login", path

    add_user("door", Role.CHECKIN)
    auth.login("door", "pass word")
    for path in paths:  # check-in staff: refused
        assert client.get(path).status_code == 403, path


def test_nothing_is_written_while_printing(app, client, signed_in, few, tmp_path):
    before = {p for p in tmp_path.rglob("*") if p.is_file()}
    for query in ("layout=a4&pin=back", "layout=a6&pin=slip"):
        assert client.get(f"/organiser/print/cards.pdf?{query}").status_code == 200
    written = {p for p in tmp_path.rglob("*") if p.is_file()} - before
    assert {p.suffix for p in written} <= {".sqlite3-journal", ".sqlite3-wal", ".sqlite3-shm"}


