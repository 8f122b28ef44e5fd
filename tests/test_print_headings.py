"""On the printed page: the official heading's place-and-date line, Vietnamese groups a line
never splits, the delegates-only mark in the agenda, the "(tiếp)" running head of a session
continued over pages, and day-before-month dates in English.

Every printout is fetched through the print centre as an organiser would, and read back with
pdfium: its text lines, and where on the page each run of text sits.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, time

import pypdfium2 as pdfium
import pytest

from congress_app.extensions import db
from congress_app.models import AgendaItem, CongressSession, DelegateKind, Visibility
from congress_app.pdf.heading import locality
from congress_app.services import agenda as agenda_service
from congress_app.services import delegates as delegate_service

from .conftest import add_delegates

pytestmark = pytest.mark.database_agnostic

MM = 72 / 25.4  # PDF points per millimetre
PROGRAMME = "/organiser/print/programme.pdf"
# Real words of a congress title, so a group of interest lands at every place in a line.
FILLER_TEXT = ("Phát biểu chỉ đạo của đồng chí đại diện lãnh đạo và các ban xây dựng Đảng "
               "trong công tác tổ chức cán bộ ở cơ sở")
FILLER = FILLER_TEXT.split()


@dataclass(frozen=True)
class Run:
    """A run of text on a page, its box in millimetres from the top-left corner."""

    text: str
    left: float
    top: float
    right: float
    bottom: float


def _clean(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def page_lines(pdf: bytes) -> list[list[str]]:
    """Each page's text lines as pdfium reads them (a line is what the layout put on it)."""
    document = pdfium.PdfDocument(pdf)
    try:
        return [[_clean(line) for line in page.get_textpage().get_text_range().splitlines()
                 if line.strip()] for page in document]
    finally:
        document.close()


def page_runs(pdf: bytes) -> list[list[Run]]:
    """Each page's runs of text with their boxes, top to bottom."""
    document = pdfium.PdfDocument(pdf)
    try:
        pages = []
        for page in document:
            height = page.get_height()
            textpage = page.get_textpage()
            runs = []
            for i in range(textpage.count_rects()):
                left, bottom, right, top = textpage.get_rect(i)
                text = _clean(textpage.get_text_bounded(left, bottom, right, top))
                if text:
                    runs.append(Run(text, left / MM, (height - top) / MM, right / MM,
                                    (height - bottom) / MM))
            pages.append(sorted(runs, key=lambda r: (r.top, r.left)))
        return pages
    finally:
        document.close()


def all_lines(pdf: bytes) -> list[str]:
    return [line for page in page_lines(pdf) for line in page]


def printed(client, path: str, **query) -> bytes:
    response = client.get(path, query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_data()


# --- 1. The place and date of issue -----------------------------------------------------


@pytest.mark.parametrize(("organisation", "place"), [
    ("Đảng bộ phường Thanh Xuân", "Thanh Xuân"),
    ("Đảng bộ xã Tân Phú, huyện Đức Hòa", "Tân Phú"),
    ("Đảng bộ Phường 12", "Phường 12"),
    ("Đảng bộ Bảo hiểm xã hội thành phố Hà Nội", "Hà Nội"),
    ("ĐẢNG BỘ PHƯỜNG THANH XUÂN", "Thanh Xuân"),
    ("Chi bộ Khu dân cư số 7", ""),
])
def test_the_place_is_the_locality_the_organisation_is_named_after(organisation, place):
    assert locality(organisation) == place


@pytest.mark.parametrize(("language", "line"), [
    ("vi", "Thanh Xuân, ngày 22 tháng 7 năm 2025"),
    ("en", "Thanh Xuân, 22 July 2025"),
])
def test_the_programme_heading_carries_the_place_and_date_under_the_party(
        client, signed_in, congress, language, line):
    pdf = printed(client, PROGRAMME, language=language)

    assert line in page_lines(pdf)[0]
    runs = page_runs(pdf)[0]
    party = next(r for r in runs if r.text == "ĐẢNG CỘNG SẢN VIỆT NAM")
    date_runs = [r for r in runs if r.top > party.bottom and r.text in line and len(r.text) > 3]
    assert date_runs, [r.text for r in runs[:12]]
    # Under the Party's name, in the right half, right-aligned on the text's right edge.
    assert all(r.left > 105 and r.top - party.bottom < 12 for r in date_runs)
    assert max(r.right for r in date_runs) == pytest.approx(210 - 20, abs=1.5)


def test_a_chi_bo_issues_from_the_place_of_its_parent(client, signed_in, congress):
    congress.organisation = "Chi bộ Khu dân cư số 7"
    congress.parent_organisation = "Đảng bộ phường Thanh Xuân"
    db.session.commit()

    assert "Thanh Xuân, ngày 22 tháng 7 năm 2025" in all_lines(
        printed(client, PROGRAMME, language="vi"))


@pytest.mark.parametrize(("language", "line"), [
    # Printed today for a congress yet to sit: the sheet is for the door's session (the
    # first), dated on its day, and the Vietnamese date writes a day below 10 and January
    # with a leading zero.
    ("vi", "Thanh Xuân, ngày 06 tháng 01 năm 2099"),
    ("en", "Thanh Xuân, 6 January 2099"),
])
def test_the_attendance_sheet_heading_and_signature_carry_the_place_and_date(
        client, signed_in, congress, language, line):
    congress.starts_on, congress.ends_on = date(2099, 1, 5), date(2099, 1, 6)
    congress.sessions[0].date = date(2099, 1, 6)
    db.session.commit()
    add_delegates(congress, 3)

    pdf = printed(client, "/organiser/print/attendance-sheet.pdf", language=language)

    pages = page_runs(pdf)
    lines = page_lines(pdf)
    assert line in lines[0] and line in lines[-1]
    assert sum(page.count(line) for page in lines) == 2
    # The second one heads the credentials committee's signature, just above it.
    signer = next(r for r in pages[-1] if r.text.startswith(("T/M", "ON BEHALF")))
    last_date = max((r for r in pages[-1] if r.text in line and len(r.text) > 3),
                    key=lambda r: r.top)
    assert 0 < signer.top - last_date.bottom < 5


# --- 2. Groups a line never splits ------------------------------------------------------


@pytest.fixture
def crowded_agenda(congress):
    """Items whose titles and presenters put "Thành ủy" and "nhiệm kỳ 2025–2030" at every
    place in a line: without the groups kept together, some of them break inside."""
    session = congress.sessions[0]
    for k in range(len(FILLER)):
        words = " ".join(FILLER[:k])
        session.items.append(AgendaItem(
            position=10 + k, starts_at=time(8, k),
            title=f"{words} Thành ủy Hà Nội nhiệm kỳ 2025–2030".strip(),
            presenter=f"Đồng chí {words} Thành ủy",
        ))
    db.session.commit()
    return len(FILLER)


def assert_never_split(lines: list[str], *groups: str) -> None:
    """No line ends inside one of `groups` and the next one goes on with it."""
    for before, after in zip(lines, lines[1:], strict=False):
        for group in groups:
            words = group.split()
            for cut in range(1, len(words)):
                head, tail = " ".join(words[:cut]), " ".join(words[cut:])
                assert not (before.endswith(head) and after.startswith(tail)), (before, after)
        assert not re.search(r"\d{4}–$", before), (before, after)


@pytest.mark.parametrize("layout", ["a4", "a5-booklet"])
def test_the_programme_keeps_the_term_and_names_of_bodies_on_one_line(
        client, signed_in, congress, crowded_agenda, layout):
    pdf = printed(client, PROGRAMME, language="vi", layout=layout)
    lines = all_lines(pdf)

    assert_never_split(lines, "nhiệm kỳ 2025–2030", "Thành ủy")
    # Each item's title and presenter, and the congress's title, read whole on a line.
    assert sum(line.count("Thành ủy") for line in lines) == 2 * crowded_agenda
    assert sum(line.count("nhiệm kỳ 2025–2030") for line in lines) == crowded_agenda + 1


def test_the_attendance_sheet_keeps_names_of_bodies_on_one_line(client, signed_in, congress):
    units = [f"{' '.join(FILLER[:k])} Ban Tuyên giáo và Dân vận Thành ủy".strip()
             for k in range(14)]
    for number, unit in enumerate(units, start=1):
        add_delegates(congress, 1, start=number, unit=unit, kind=DelegateKind.GUEST)

    lines = all_lines(printed(client, "/organiser/print/attendance-sheet.pdf", language="vi"))

    assert_never_split(lines, "Thành ủy")
    assert sum(line.count("Thành ủy") for line in lines) == len(units)


@pytest.mark.parametrize("layout", ["a4", "a6"])
@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_card_never_leaves_pin_alone_on_a_line(client, signed_in, congress, layout,
                                                 language):
    delegates = add_delegates(congress, 2)

    lines = all_lines(printed(client, "/organiser/print/cards.pdf", layout=layout, pin="back",
                              language=language))

    # The sentence that ends on "PIN:" keeps it with the word before it …
    assert "PIN:" not in lines
    # … and the PIN's label stays with its value.
    for delegate in delegates:
        assert f"PIN: {delegate_service.card_pin(delegate)}" in lines


# --- 3. The agenda table: delegates-only marks, "(tiếp)", English dates --------------------


@pytest.fixture
def linked(congress, make_document):
    """A public and a delegates-only document, each on an item of the agenda."""
    public = make_document("Báo cáo chính trị", category="political_report")
    draft = make_document("Dự thảo Nghị quyết Đại hội", category="draft_resolution",
                          visibility=Visibility.DELEGATES)
    flag, report = congress.sessions[0].items
    agenda_service.link_document(flag, public)
    agenda_service.link_document(report, draft)
    return {"public": public, "draft": draft}


def agenda_marks(pdf: bytes, code: str, mark: str) -> list[Run]:
    """The `mark` printed right under the QR code caption `code` in the agenda table."""
    marks = []
    for runs in page_runs(pdf):
        for caption in (r for r in runs if r.text == code):
            marks += [r for r in runs if r.text == mark
                      and 0 <= r.top - caption.bottom < 3
                      and caption.left - 4 < (r.left + r.right) / 2 < caption.right + 4]
    return marks


@pytest.mark.parametrize(("language", "mark"), [("vi", "Chỉ đại biểu"),
                                                ("en", "Delegates only")])
def test_the_organisers_edition_marks_delegates_only_documents_in_the_agenda(
        client, signed_in, linked, language, mark):
    pdf = printed(client, PROGRAMME, edition="organisers", language=language)

    assert len(agenda_marks(pdf, linked["draft"].code, mark)) == 1
    assert agenda_marks(pdf, linked["public"].code, mark) == []
    # The public edition lists no delegates-only document, so it has nothing to mark.
    public = printed(client, PROGRAMME, edition="public", language=language)
    assert linked["draft"].code not in " ".join(all_lines(public))


@pytest.fixture
def long_sessions(congress, make_document):
    """A 34-item session that runs over several A4 pages, then a short one, then the list
    of documents on a page of its own."""
    first = congress.sessions[0]
    first.items += [AgendaItem(position=10 + i, starts_at=time(8 + i // 6, i % 6 * 10),
                               title=f"Tham luận số {i + 1} về công tác xây dựng Đảng",
                               presenter="Đồng chí đại diện Đảng ủy phường")
                    for i in range(32)]
    second = CongressSession(congress=congress, name="Phiên bế mạc", date=date(2025, 7, 23),
                             starts_at=time(14, 0), ends_at=time(15, 0), position=2)
    second.items = [AgendaItem(position=i, starts_at=time(14, i * 10),
                               title=f"Bế mạc, mục {i + 1}") for i in range(3)]
    db.session.add(second)
    db.session.commit()
    agenda_service.link_document(first.items[0], make_document("Báo cáo chính trị"))
    return [first.name, second.name]


@pytest.mark.parametrize(("language", "continued", "list_heading"), [
    ("vi", "{} (tiếp)", "VĂN KIỆN, TÀI LIỆU ĐẠI HỘI"),
    ("en", "{} (continued)", "DOCUMENTS OF THE CONGRESS"),
])
def test_a_session_continued_on_the_next_page_is_named_atop_it(
        client, signed_in, long_sessions, language, continued, list_heading):
    pages = page_runs(printed(client, PROGRAMME, language=language))

    heads = {name.upper(): continued.format(name) for name in long_sessions}
    running = None  # the session whose rows the previous page ended on
    seen = []
    for number, runs in enumerate(pages, start=1):
        margin = " ".join(r.text for r in runs if r.bottom < 20)  # the A4 top margin
        body = [r for r in runs if r.top >= 19.5]
        first_line = [r.text for r in body if r.top - body[0].top < 2]
        starts_anew = any(t in heads or t == list_heading for t in first_line)
        expected = "" if running is None or starts_anew else heads[running]
        assert margin == expected, (number, first_line)
        seen.append(expected)
        for r in body:
            if r.text in heads:
                running = r.text
            elif r.text == list_heading:
                running = None
    # The first session ran on over two pages or more: each said so.
    assert seen.count(heads[long_sessions[0].upper()]) >= 2, seen


def test_english_dates_put_the_day_before_the_month(client, signed_in, congress):
    lines = all_lines(printed(client, PROGRAMME, language="en"))
    text = " ".join(lines)

    assert "22 Jul 2025 – 23 Jul 2025" in text
    assert "Wednesday, 23 July 2025" in text
    assert "Thanh Xuân, 22 July 2025" in lines
    assert not re.search(r"\b7/2[23]/2025\b|July 2[23]", text)
