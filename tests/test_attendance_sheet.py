"""The attendance sheet: who is present (and since when), official delegates first, the header
on every page, and the totals the credentials committee reports."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from pypdf import PdfReader

from congress_app.extensions import db
from congress_app.models import CheckIn, DelegateKind

from .conftest import add_delegates
from .pdf_reading import assert_fonts_embedded, pdf_text


@pytest.fixture
def hall(congress):
    """45 official delegates, 3 alternates, 2 guests and one deactivated delegate; some of
    them checked in on the first morning (07:05 in Hanoi is 00:05 UTC)."""
    officials = add_delegates(congress, 45)
    alternates = add_delegates(congress, 3, start=46, kind=DelegateKind.ALTERNATE)
    guests = add_delegates(congress, 2, start=49, kind=DelegateKind.GUEST)
    gone = add_delegates(congress, 1, start=51, full_name="Người Đã Thôi", active=False)[0]
    present = officials[:30] + alternates[:1] + guests
    for minute, delegate in enumerate(present, start=5):
        db.session.add(CheckIn(delegate_id=delegate.id, congress_id=congress.id,
                               session_id=congress.sessions[0].id,
                               at=datetime(2025, 7, 22, 0, minute, tzinfo=UTC)))
    db.session.commit()
    return {"officials": officials, "alternates": alternates, "guests": guests,
            "present": present, "gone": gone}


def test_the_sheet_marks_who_is_present_and_adds_them_up(client, signed_in, congress, hall):
    response = client.get("/organiser/print/attendance-sheet.pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert quote("Attendance list of the congress - Đảng bộ phường Thanh Xuân.pdf") in (
        response.headers["Content-Disposition"])
    pdf = response.get_data()
    text = pdf_text(pdf)

    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in text and "ĐẢNG BỘ PHƯỜNG THANH XUÂN" in text
    assert congress.title in text
    # pypdf drops the space between adjacent cells and splits kerned pairs ("AL TERNATE"),
    # so rows are compared without spaces.
    compact = re.sub(r"\s", "", text)

    # Official delegates first, then alternates, then guests, each by number.
    sections = [compact.index(h) for h in ("OFFICIALDELEGATES(45)", "ALTERNATEDELEGATES(3)",
                                           "GUESTS(2)")]
    assert sections == sorted(sections)
    numbers = [int(n) for n in re.findall(r"\b(0\d\d) ", text)]
    assert numbers == sorted(numbers) and len(numbers) == 50

    def row(delegate) -> str:
        return re.sub(r"\s", "", f"{delegate.number:03d}{delegate.full_name}{delegate.unit}"
                                 f"{delegate.discussion_group}")

    for minute, delegate in enumerate(hall["present"], start=5):
        # The congress sits for two days, so the day is printed after the time.
        assert f"{row(delegate)}07:{minute:02d}22/7" in compact, delegate.full_name
    for delegate in hall["officials"][30:] + hall["alternates"][1:]:
        assert re.search(re.escape(row(delegate)) + r"(?!\d\d:\d\d)", compact)
        assert row(delegate) + "07:" not in compact
    assert hall["gone"].full_name not in text

    assert "Official delegates 45 30 15" in text
    assert "Alternate delegates 3 1 2" in text
    assert "Guests 2 2 0" in text
    # Against the 168 delegates the congress expects, not only those on the list.
    assert "Official delegates present: 30 of 168 (17.9%)" in text
    assert_fonts_embedded(pdf)


def test_every_page_repeats_the_column_headings_and_is_numbered(client, signed_in, hall):
    pdf = client.get("/organiser/print/attendance-sheet.pdf").get_data()

    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        text = " ".join(page.extract_text().split())
        assert "FULL NAME" in text and "SIGNATURE" in text and "PRESENT" in text
        assert f"Page {number} of {len(pages)}" in text


def test_an_empty_roster_prints_a_sheet_that_says_so(client, signed_in):
    text = pdf_text(client.get("/organiser/print/attendance-sheet.pdf").get_data())
    assert "There are no active delegates yet." in text


def test_the_sheet_and_the_screens_count_against_the_same_number(client, signed_in, congress,
                                                                 hall):
    """One rule: 30 present of the 168 convened on the sheet, the attendance page and the
    door phone, and all of them say that the roster lists 45 instead."""
    text = re.sub(r"\s+", " ", pdf_text(client.get("/organiser/print/attendance-sheet.pdf")
                                        .get_data()))
    assert "Official delegates present: 30 of 168" in text
    assert "The roster lists 45 official delegates; the congress convened 168." in text

    page = client.get("/checkin/attendance").get_data(as_text=True)
    assert re.search(r'data-field="base">168<', page)
    assert "The roster and the number of delegates the congress convened differ" in page
    data = client.get("/checkin/attendance.json").get_json()
    assert (data["present"], data["base"], data["expected"], data["roster_differs"]) == (
        30, 168, 45, True)
    door = client.get("/checkin/").get_data(as_text=True)
    assert re.search(r'id="present-count">30</strong> / <span id="expected-count">168<', door)


def test_a_roster_that_matches_the_congress_raises_no_warning(client, signed_in, congress,
                                                              hall):
    congress.delegates_expected = 45
    db.session.commit()
    text = re.sub(r"\s+", " ", pdf_text(client.get("/organiser/print/attendance-sheet.pdf")
                                        .get_data()))
    assert "Official delegates present: 30 of 45" in text and "The roster lists" not in text
    page = client.get("/checkin/attendance").get_data(as_text=True)
    warning = page[page.index("The roster and the number") - 80:page.index("The roster and")]
    assert "hidden" in warning
