"""The credentials committee's report: the counting (present against convened, the
composition tables, "no data" where the roster is silent), the roster details it reads
(import and form), the PDF, the projector page, who may open them, and the purge."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import pytest

from congress_app.extensions import db
from congress_app.models import (
    AuditEvent,
    CheckIn,
    Congress,
    Delegate,
    DelegateKind,
    EducationLevel,
    Role,
    Sex,
    TheoryLevel,
)
from congress_app.services import attendance_sessions, roster_import
from congress_app.services import closing as closing_service
from congress_app.services import credentials as credentials_service
from congress_app.services.delegates import card_pin
from congress_app.services.errors import InputRefused

from .conftest import add_delegates, add_user, pin_sign_in, signed_in_client
from .pdf_reading import assert_fonts_embedded, pdf_text
from .samples import make_csv

REPORT = "/organiser/credentials/report.pdf"
SCREEN = "/organiser/credentials/screen"

# Eight official delegates who will be present (born, joined, sex, ethnicity, education,
# theory); the congress opens on 22 July 2025, so ages are 2025 minus the year of birth.
PRESENT = [
    (1991, 2016, Sex.FEMALE, "Kinh", EducationLevel.UNIVERSITY, TheoryLevel.ELEMENTARY),  # 34, 9
    (1990, 2015, Sex.MALE, "Kinh", EducationLevel.MASTER, TheoryLevel.INTERMEDIATE),  # 35, 10
    (1975, 2000, Sex.FEMALE, "Tày", EducationLevel.UNIVERSITY, TheoryLevel.ADVANCED),  # 50, 25
    (1974, 1996, Sex.MALE, "kinh", EducationLevel.DOCTORATE, TheoryLevel.ADVANCED),  # 51, 29
    (1965, 1995, Sex.MALE, "Mường", EducationLevel.UNIVERSITY, TheoryLevel.INTERMEDIATE),  # 60, 30
    (1964, 1990, Sex.FEMALE, "Kinh", EducationLevel.COLLEGE, TheoryLevel.INTERMEDIATE),  # 61, 35
    (1958, 1980, Sex.MALE, "Kinh", EducationLevel.GENERAL, None),  # 67, 45
    (None, None, Sex.MALE, "", None, None),  # no data but the sex
]


def _door(congress) -> int | None:
    """The session the door records for now (present_now counts that one)."""
    session = attendance_sessions.current_session(congress)
    return session.id if session is not None else None


@pytest.fixture
def hall(congress):
    """Ten official delegates (eight checked in), two alternates (one in), one guest (in),
    and a deactivated official delegate who is checked in but never counted."""
    officials = add_delegates(congress, 10)
    for delegate, details in zip(officials[:8], PRESENT, strict=True):
        born, joined, sex, ethnicity, education, theory = details
        delegate.birth_year, delegate.party_joined_year, delegate.sex = born, joined, sex
        delegate.ethnicity, delegate.education, delegate.theory_level = ethnicity, education, theory
    alternates = add_delegates(congress, 2, start=11, kind=DelegateKind.ALTERNATE)
    guest = add_delegates(congress, 1, start=13, kind=DelegateKind.GUEST)[0]
    gone = add_delegates(congress, 1, start=14, active=False, sex=Sex.FEMALE)[0]
    for delegate in [*officials[:8], alternates[0], guest, gone]:
        db.session.add(CheckIn(delegate_id=delegate.id, congress_id=congress.id,
                               session_id=_door(congress),
                               at=datetime(2025, 7, 22, 0, 30, tzinfo=UTC)))
    db.session.commit()
    return officials


def _counts(table) -> dict:
    return {row.key: row.count for row in table.rows}


def test_the_count_is_against_the_delegates_convened_by_kind(congress, hall):
    report = credentials_service.credentials_report(congress)

    kinds = {k.kind: (k.convened, k.listed, k.present, k.absent) for k in report.kinds}
    # The congress convened 168 official delegates, whatever the roster lists.
    assert kinds[DelegateKind.OFFICIAL] == (168, 10, 8, 160)
    assert kinds[DelegateKind.ALTERNATE] == (2, 2, 1, 1)
    assert kinds[DelegateKind.GUEST] == (1, 1, 1, 0)
    assert report.present == 8 and report.roster_differs
    assert report.present_share == pytest.approx(8 / 168)
    assert [a.number for a in report.absent] == [9, 10]


def test_composition_tables_count_the_present_with_shares_of_them(congress, hall):
    report = credentials_service.credentials_report(congress)

    women = report.table("sex")
    assert _counts(women) == {"female": 3, "male": 5} and women.unknown == 0
    assert women.row("female").share == pytest.approx(3 / 8)  # 37.5 %
    assert women.headline("female").count == 3
    minorities = report.table("ethnicity")
    assert _counts(minorities) == {"minority": 2, "kinh": 5} and minorities.unknown == 1
    ages = report.table("age")
    assert _counts(ages) == {"under_35": 1, "35_50": 2, "51_60": 2, "over_60": 2}
    assert ages.unknown == 1 and ages.row("35_50").share == pytest.approx(2 / 8)
    assert _counts(report.table("education")) == {
        "doctorate": 1, "master": 1, "university": 3, "college": 1, "vocational": 0,
        "general": 1}
    theory = report.table("theory_level")
    assert _counts(theory) == {"advanced": 2, "intermediate": 3, "elementary": 1, "none": 0}
    assert theory.unknown == 2
    assert _counts(report.table("seniority")) == {
        "under_10": 1, "10_19": 1, "20_29": 2, "30_plus": 3}


def test_a_detail_missing_for_some_is_never_quoted_as_the_whole(congress, hall):
    report = credentials_service.credentials_report(congress)

    # One present delegate has no ethnicity: "2 minorities" would be a guess at the whole.
    assert report.table("ethnicity").headline("minority") is None
    assert report.table("sex").headline("female") is not None


def test_a_detail_nobody_has_gives_no_rows_only_no_data(congress):
    officials = add_delegates(congress, 3)
    for delegate in officials[:2]:
        db.session.add(CheckIn(delegate_id=delegate.id, congress_id=congress.id,
                               session_id=_door(congress)))
    db.session.commit()

    report = credentials_service.credentials_report(congress)

    for table in report.tables:
        assert not table.has_data and table.unknown == 2 and table.base == 2, table.key
    assert report.table("sex").headline("female") is None


def test_nobody_present_gives_no_share():
    tables = credentials_service.composition([], date(2025, 7, 22))
    assert all(t.base == 0 and t.rows[0].share is None for t in tables)


# The roster details ------------------------------------------------------------------

VI_HEADER = ["STT", "Họ và tên", "Giới tính", "Năm sinh", "Dân tộc", "Trình độ chuyên môn",
             "Lý luận chính trị", "Năm vào Đảng", "Chức vụ"]
EN_HEADER = ["Number", "Full name", "Sex", "Year of birth", "Ethnicity", "Education",
             "Political theory", "Year joined party", "Position"]


@pytest.mark.parametrize("header, row", [
    (VI_HEADER, ["1", "Hà Thị Lan", "Nữ", "1978", "Tày", "Thạc sĩ", "Cao cấp", "2001",
                 "Bí thư chi bộ"]),
    (EN_HEADER, ["1", "Hà Thị Lan", "female", "1978", "Tày", "master", "advanced", "2001",
                 "Bí thư chi bộ"]),
    (["stt", "HO VA TEN", "gioi tinh", "nam sinh", "dan toc", "trinh do", "LLCT",
      "nam vao dang", "chuc vu"],
     ["1", "Hà Thị Lan", "NỮ", "1978", "Tày", "thac si", "cử nhân", "2001", "Bí thư chi bộ"]),
])
def test_the_import_reads_the_details_under_either_language(congress, english, header, row):
    roster_import.apply_roster(congress, make_csv([row], header=header))

    delegate = db.session.scalar(db.select(Delegate).where(Delegate.congress_id == congress.id))
    assert (delegate.sex, delegate.birth_year, delegate.ethnicity, delegate.education,
            delegate.theory_level, delegate.party_joined_year, delegate.position) == (
        Sex.FEMALE, 1978, "Tày", EducationLevel.MASTER, TheoryLevel.ADVANCED, 2001,
        "Bí thư chi bộ")


def test_importing_again_changes_and_clears_details(congress, english):
    roster_import.apply_roster(congress, make_csv(
        [["1", "Hà Thị Lan", "Nữ", "1978", "Tày", "Thạc sĩ", "Cao cấp", "2001", ""]],
        header=VI_HEADER))
    preview = roster_import.preview_roster(congress, make_csv(
        [["1", "Hà Thị Lan", "Nữ", "", "Tày", "Tiến sĩ", "Cao cấp", "2001", ""]],
        header=VI_HEADER))
    assert [(c.field, c.old, c.new) for c in preview.to_change[0].changes] == [
        ("birth_year", "1978", ""), ("education", "master", "doctorate")]
    roster_import.apply_roster(congress, preview)
    delegate = db.session.scalar(db.select(Delegate).where(Delegate.congress_id == congress.id))
    assert delegate.birth_year is None and delegate.education == EducationLevel.DOCTORATE


@pytest.mark.parametrize("cells, message", [
    ({"Năm sinh": "1850"}, "Year of birth must be a year from 1900 to"),
    ({"Năm sinh": "2030"}, "not “2030”"),
    ({"Năm sinh": "197x"}, "not “197x”"),
    ({"Giới tính": "X"}, "Sex: “X” is not known. Write one of: Nam, Nữ"),
    ({"Lý luận chính trị": "rất cao"}, "Political-theory level: “rất cao” is not known"),
    ({"Trình độ chuyên môn": "giỏi"}, "Education level: “giỏi” is not known"),
    ({"Năm vào Đảng": "1925"}, "Year of joining the party must be a year from 1930"),
    ({"Năm sinh": "1990", "Năm vào Đảng": "2000"},
     "Year of joining the party (2000) is less than 16 years after the year of birth (1990)"),
])
def test_a_bad_detail_rejects_its_row_and_nothing_is_imported(congress, english, cells,
                                                               message):
    good = ["1", "Hà Thị Lan", "Nữ", "1978", "Tày", "Thạc sĩ", "Cao cấp", "2001", ""]
    bad = ["2", "Lò Văn Páo", "Nam", "1980", "Thái", "Đại học", "Trung cấp", "2005", ""]
    for column, value in cells.items():
        bad[VI_HEADER.index(column)] = value
    data = make_csv([good, bad], header=VI_HEADER)

    preview = roster_import.preview_roster(congress, data)

    assert [row.line for row in preview.rejected] == [3]
    assert any(message in str(p) for p in preview.rejected[0].problems), \
        preview.rejected[0].problems
    with pytest.raises(InputRefused):
        roster_import.apply_roster(congress, data)
    assert db.session.scalar(db.select(db.func.count(Delegate.id))) == 0


def test_the_edit_form_saves_the_details_and_refuses_a_bad_year(client, signed_in, congress):
    delegate = add_delegates(congress, 1)[0]
    form = {"number": "1", "full_name": delegate.full_name, "kind": "official",
            "sex": "female", "birth_year": "1980", "ethnicity": "Nùng",
            "education": "university", "theory_level": "intermediate",
            "party_joined_year": "2004", "position": "Chi ủy viên"}

    assert signed_in.post(f"/organiser/delegates/{delegate.id}", form).status_code == 302
    db.session.expire_all()
    assert (delegate.sex, delegate.birth_year, delegate.ethnicity, delegate.theory_level) == (
        Sex.FEMALE, 1980, "Nùng", TheoryLevel.INTERMEDIATE)
    page = client.get(f"/organiser/delegates/{delegate.id}").get_data(as_text=True)
    assert 'value="1980"' in page and '<option selected value="female">' in page

    response = signed_in.post(f"/organiser/delegates/{delegate.id}",
                              form | {"birth_year": "1850"})
    assert response.status_code == 400
    assert "Year of birth must be a year from 1900 to" in response.get_data(as_text=True)
    db.session.expire_all()
    assert delegate.birth_year == 1980


# The PDF and the projector ---------------------------------------------------------------


def test_the_report_pdf_prints_the_counts_and_no_data(client, signed_in, congress, hall):
    response = client.get(REPORT)

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    pdf = response.get_data()
    text = pdf_text(pdf)
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in text and "ĐẢNG BỘ PHƯỜNG THANH XUÂN" in text
    assert "REPORT OF THE CREDENTIALS COMMITTEE" in text.upper()
    assert "Official delegate 168 8 160" in text
    assert "Alternate delegate 2 1 1" in text and "Guest 1 1 0" in text
    assert "Official delegates present: 8 of 168 convened (4.8%)" in text
    assert "The roster lists 10 official delegates; the congress convened 168." in text
    assert "Women 3 37.5%" in text and "Men 5 62.5%" in text
    assert "Ethnic minorities 2 25.0% Kinh 5 62.5% No data 1 12.5%" in text
    assert "Under 35 1 12.5% 35 to 50 2 25.0% 51 to 60 2 25.0% Over 60 2 25.0%" in text
    assert "30 years or more 3 37.5%" in text
    # The absentees by number; the deactivated delegate is nobody's count.
    compact = re.sub(r"\s", "", text)
    for delegate in hall[8:]:
        assert re.sub(r"\s", "", f"{delegate.number:03d}{delegate.full_name}") in compact
    assert "OFFICIAL DELEGATES ABSENT (2)" in text
    assert_fonts_embedded(pdf)


def test_the_report_in_vietnamese_says_chua_co_du_lieu(client, sign_in_as, congress):
    officials = add_delegates(congress, 2)
    db.session.add(CheckIn(delegate_id=officials[0].id, congress_id=congress.id,
                           session_id=_door(congress)))
    db.session.commit()
    sign_in_as(Role.EDITOR, "editor", lang=None)

    text = pdf_text(client.get(REPORT + "?language=vi").get_data())

    assert "BÁO CÁO THẨM TRA TƯ CÁCH ĐẠI BIỂU" in text.upper()
    assert "Đại biểu chính thức có mặt: 1 trên 168 đại biểu được triệu tập (0,6%)" in text
    assert "Chưa có dữ liệu 1 100,0%" in text
    assert "Nữ 0" not in text  # no row is guessed from an empty column


def test_the_projector_page_shows_the_key_figures(client, signed_in, congress, hall):
    response = client.get(SCREEN)

    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "<strong>8</strong>" in page and "/ 168" in page
    assert "<strong>3</strong> <span class=\"cred-share\">37.5%</span>" in page
    # Minorities: one present delegate lacks an ethnicity, so no number is shown.
    minorities = page.split("Ethnic minorities", 1)[1].split("</p>", 2)[1]
    assert "no data" in minorities
    assert "Absent: 160" in page and "Alternate delegate present: 1" in page


# Who may open them -----------------------------------------------------------------------


@pytest.mark.parametrize("path", [REPORT, SCREEN])
def test_anonymous_visitors_are_sent_to_sign_in(client, congress, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/login?next={path.replace('/', '%2F')}")


@pytest.mark.parametrize("path", [REPORT, SCREEN])
def test_delegates_and_door_staff_are_refused(app, client, congress, sign_in_as, path):
    delegate = add_delegates(congress, 1)[0]
    assert pin_sign_in(client, delegate.number, card_pin(delegate)).status_code == 302
    assert client.get(path).status_code == 403
    door = signed_in_client(app, add_user("door", Role.CHECKIN).username)
    assert door.get(path).status_code == 403


def test_another_congresss_organiser_sees_only_their_own(app, congress, hall):
    other = Congress(slug="binh-minh", title="Đại hội BinhMinh", organisation="Đảng bộ "
                     "phường BinhMinh", starts_on=date(2025, 7, 24), ends_on=date(2025, 7, 24))
    db.session.add(other)
    db.session.commit()
    browser = signed_in_client(app, add_user("editor-b", Role.EDITOR, other).username)

    page = browser.get(SCREEN).get_data(as_text=True)
    text = pdf_text(browser.get(REPORT).get_data())

    assert "BinhMinh" in page and "<strong>0</strong>" in page
    assert "Official delegates present: 0 of 0 convened" in text
    assert not any(d.full_name in text for d in hall)


# After the congress ----------------------------------------------------------------------


def test_a_purge_clears_the_details_and_keeps_the_counts(congress, hall, organiser):
    closing_service.close(congress, user=organiser)
    closing_service.purge_personal_data(congress, congress.slug, user=organiser)

    rows = db.session.scalars(db.select(Delegate).where(Delegate.congress_id == congress.id))
    assert all((d.sex, d.birth_year, d.ethnicity, d.education, d.theory_level,
                d.party_joined_year, d.position) == (None, None, "", None, None, None, "")
               for d in rows)
    event = db.session.scalar(db.select(AuditEvent).where(
        AuditEvent.action == closing_service.PURGE_ACTION))
    kept = json.loads(event.detail)["credentials"]
    assert kept["present"] == 8 and kept["sex"] == {"female": 3, "male": 5, "no_data": 0}
    assert kept["ethnicity"] == {"minority": 2, "kinh": 5, "no_data": 1}


def test_the_absentees_carry_the_organisers_reasons(client, sign_in_as, congress):
    """Reasons entered on the attendance page (services/absences) for the door's session."""
    from congress_app.services import absences

    officials = add_delegates(congress, 4)
    db.session.add(CheckIn(delegate_id=officials[0].id, congress_id=congress.id,
                           session_id=_door(congress)))
    db.session.commit()
    absences.mark_absence(congress, officials[1].number, "excused", "Đi công tác", None)
    absences.mark_absence(congress, officials[2].number, "unexcused", "", None)

    report = credentials_service.credentials_report(congress)
    assert [(a.number, a.reason, a.note) for a in report.absent] == [
        (officials[1].number, "excused", "Đi công tác"), (officials[2].number, "unexcused", ""),
        (officials[3].number, "", "")]
    sign_in_as(Role.EDITOR, "editor", lang=None)
    text = pdf_text(client.get(REPORT + "?language=vi").get_data())
    assert "Vắng có lý do: Đi công tác" in text and "Vắng không có lý do" in text
