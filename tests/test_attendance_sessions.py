"""Attendance per session: the door records for the clock's session or the one the staff
chose, a delegate leaving early is checked out, organisers enter reasons for absence, and
the attendance page, its JSON and the sheet show one session at a time."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from congress_app.extensions import db
from congress_app.models import (
    Absence,
    AuditEvent,
    CheckIn,
    Congress,
    CongressSession,
    DelegateKind,
    Role,
)
from congress_app.services import absences as absence_service
from congress_app.services import agenda as agenda_service
from congress_app.services import attendance as attendance_service
from congress_app.services import attendance_sessions
from congress_app.services import delegates as delegate_service
from congress_app.services.errors import InputRefused

from .checkin_desk import _scan
from .conftest import add_delegate, add_user, csrf_token_from, signed_in_client
from .pdf_reading import pdf_text

HANOI = timedelta(hours=7)
MIGRATION = "b7e4f2a91c06"  # attendance per session


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of July 2025 given in Hà Nội time, as the UTC the server stores."""
    return datetime(2025, 7, day, hour, minute, tzinfo=UTC) - HANOI


@pytest.fixture
def sessions(congress) -> dict[str, CongressSession]:
    """The fixture's official session (23/7 07:30–11:30), a preparatory one the afternoon
    before and a closing one on the 23rd without an end time."""
    official = congress.sessions[0]
    preparatory = CongressSession(congress=congress, name="Phiên trù bị", date=date(2025, 7, 22),
                                  starts_at=time(14, 0), ends_at=time(16, 0), position=0)
    closing = CongressSession(congress=congress, name="Phiên bế mạc", date=date(2025, 7, 23),
                              starts_at=time(13, 30), ends_at=None, position=2)
    db.session.add_all([preparatory, closing])
    db.session.commit()
    return {"preparatory": preparatory, "official": official, "closing": closing}


@pytest.fixture
def clock(monkeypatch):
    """clock(moment): what the session choice and the services take for now."""
    def set_to(moment: datetime) -> None:
        monkeypatch.setattr(attendance_sessions, "utcnow", lambda: moment)
        monkeypatch.setattr(attendance_service, "utcnow", lambda: moment)
    return set_to


@pytest.fixture
def desk(app, congress):
    """An editor's browser (organisers check out and enter reasons), with a CSRF token."""
    add_user("editor", Role.EDITOR)
    browser = signed_in_client(app, "editor")
    browser.csrf = csrf_token_from(browser.get("/checkin/attendance").get_data(as_text=True))
    return browser


def _events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# The clock's session -------------------------------------------------------------------


@pytest.mark.parametrize("moment, expected", [
    (_at(23, 9), "official"),        # inside its window
    (_at(23, 7), "official"),        # before it, the next of the day
    (_at(23, 11, 30), "closing"),    # ended: the next of the day
    (_at(23, 12), "closing"),
    (_at(23, 21), "closing"),        # no end time: until the end of its day
    (_at(22, 8), "preparatory"),     # the next of the day
    (_at(22, 18), "preparatory"),    # after the day's last: the last that started
    (_at(24, 9), "closing"),         # after the congress: the last that started
    (_at(20, 9), "preparatory"),     # before the congress: the first
])
def test_the_clock_chooses_the_session(congress, sessions, moment, expected):
    assert attendance_sessions.current_session(congress, moment) is sessions[expected]


def test_a_congress_without_sessions_has_one_attendance(congress, make_delegate):
    for session in list(congress.sessions):
        db.session.delete(session)
    db.session.commit()
    delegate = make_delegate(4)
    assert attendance_sessions.current_session(congress) is None
    record, created = attendance_service.check_in(delegate)
    assert created and record.session_id is None
    assert attendance_service.present_now(congress) == {delegate.id}
    assert attendance_service.check_in(delegate) == (record, False)


# The door ------------------------------------------------------------------------------


def test_the_door_records_for_the_clock_s_session_then_the_staff_s_choice(
        client, staff, congress, sessions, make_delegate, clock):
    delegate = make_delegate(5)
    token = delegate_service.card_token(delegate)
    clock(_at(23, 9))
    page = client.get("/checkin/").get_data(as_text=True)
    assert "Check-ins are recorded for: Phiên chính thức" in page
    assert _scan(client, staff, token).get_json()["status"] == "created"

    # The staff pick the closing session on this phone: it is remembered for the next scans.
    response = client.post("/checkin/session", data={"session": sessions["closing"].id,
                                                    "csrf_token": staff.csrf})
    assert response.status_code == 302
    page = client.get("/checkin/").get_data(as_text=True)
    assert "Check-ins are recorded for: Phiên bế mạc (chosen on this phone)" in page
    second = _scan(client, staff, token).get_json()
    assert second["status"] == "created" and second["present"] == 1
    assert _scan(client, staff, token).get_json()["status"] == "already"
    sessions_of = sorted(db.session.scalars(
        select(CheckIn.session_id).where(CheckIn.delegate_id == delegate.id)))
    assert sessions_of == sorted([sessions["official"].id, sessions["closing"].id])

    # Back to the clock.
    client.post("/checkin/session", data={"session": "", "csrf_token": staff.csrf})
    assert "(chosen on this phone)" not in client.get("/checkin/").get_data(as_text=True)


@pytest.mark.parametrize("value", ["abc", "999999", "-1"])
def test_choosing_a_session_that_is_not_the_congress_s_is_refused(
        client, staff, congress, sessions, value):
    response = client.post("/checkin/session", data={"session": value,
                                                    "csrf_token": staff.csrf})
    assert response.status_code == 404
    assert "This session does not exist." in response.get_data(as_text=True)
    with client.session_transaction() as cookie:
        assert not cookie.get("door_sessions")


def test_another_congress_s_session_cannot_be_chosen(client, staff, congress, sessions):
    other = Congress(slug="khac", title="Đại hội khác", organisation="Đảng bộ khác",
                     starts_on=date(2025, 7, 22), ends_on=date(2025, 7, 22))
    foreign = CongressSession(congress=other, name="Phiên khác", date=date(2025, 7, 22),
                              starts_at=time(8, 0))
    db.session.add_all([other, foreign])
    db.session.commit()
    response = client.post("/checkin/session", data={"session": foreign.id,
                                                    "csrf_token": staff.csrf})
    assert response.status_code == 404
    assert client.get(f"/checkin/attendance?session={foreign.id}").status_code == 404
    assert client.get(f"/checkin/attendance.json?session={foreign.id}").status_code == 404


def test_one_check_in_per_delegate_and_session_is_a_database_rule(congress, sessions,
                                                                   make_delegate):
    delegate = make_delegate(6)
    for session_id in (sessions["official"].id, None):
        db.session.add(CheckIn(delegate_id=delegate.id, congress_id=congress.id,
                               session_id=session_id))
        db.session.commit()
        db.session.add(CheckIn(delegate_id=delegate.id, congress_id=congress.id,
                               session_id=session_id))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
    for session_id in (sessions["official"].id, None):
        db.session.add(Absence(delegate_id=delegate.id, congress_id=congress.id,
                               session_id=session_id, excused=True))
        db.session.commit()
        db.session.add(Absence(delegate_id=delegate.id, congress_id=congress.id,
                               session_id=session_id, excused=False))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_undo_works_within_the_check_in_s_session_only(
        client, staff, congress, sessions, make_delegate, clock):
    delegate = make_delegate(5)
    clock(_at(23, 9))
    record, _ = attendance_service.check_in(delegate)
    clock(_at(23, 14))  # the closing session now
    response = client.post(f"/checkin/{record.id}/undo", json={},
                           headers={"X-CSRFToken": staff.csrf})
    assert response.status_code == 409
    assert "belongs to another session" in response.get_json()["message"]
    assert not _events("delegate.checkin_undo")
    # The staff choose the official session again on this phone: its check-in can be undone.
    client.post("/checkin/session", data={"session": sessions["official"].id,
                                          "csrf_token": staff.csrf})
    response = client.post(f"/checkin/{record.id}/undo", json={},
                           headers={"X-CSRFToken": staff.csrf})
    assert response.status_code == 200
    assert db.session.scalar(select(func.count(CheckIn.id))) == 0
    assert len(_events("delegate.checkin_undo")) == 1


# Checking out --------------------------------------------------------------------------


def test_a_delegate_leaving_early_is_checked_out_and_no_longer_present(
        app, client, staff, desk, congress, sessions, make_delegate, clock):
    leaving, staying = make_delegate(1, "Nguyễn Văn Về"), make_delegate(2, "Trần Thị Ở")
    clock(_at(23, 8))
    for d in (leaving, staying):
        attendance_service.check_in(d)
    assert attendance_service.present_now(congress) == {leaving.id, staying.id}

    response = desk.post("/checkin/checkout", data={"number": "1", "session": "",
                                                    "csrf_token": desk.csrf})
    assert response.status_code == 303
    page = desk.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nguyễn Văn Về has been checked out." in page
    assert re.search(r"Left early</h2>.*Nguyễn Văn Về", page, re.S)
    assert attendance_service.present_now(congress) == {staying.id}
    assert attendance_service.head_count(congress) == (1, 2)
    data = desk.get("/checkin/attendance.json").get_json()
    assert data["present"] == 1 and [d["number"] for d in data["left"]] == [1]
    assert data["absent"] == []  # left early is not absent
    (event,) = _events("delegate.checkout")
    assert event.user.username == "editor"

    # Checked out twice, or someone not checked in: refused, nothing changed.
    again = desk.post("/checkin/checkout", data={"number": "1", "csrf_token": desk.csrf})
    assert again.status_code == 409 and "already been checked out" in again.get_data(
        as_text=True)
    make_delegate(3, "Lê Văn Vắng")
    absent = desk.post("/checkin/checkout", data={"number": "3", "csrf_token": desk.csrf})
    assert absent.status_code == 409 and "not checked in to this session" in absent.get_data(
        as_text=True)
    unknown = desk.post("/checkin/checkout", data={"number": "77", "csrf_token": desk.csrf})
    assert unknown.status_code == 404
    typed = desk.post("/checkin/checkout", data={"number": "một", "csrf_token": desk.csrf})
    assert typed.status_code == 400
    assert len(_events("delegate.checkout")) == 1

    # Back at the door: the scan brings them back, audited; the first arrival time stays.
    back = _scan(client, staff, delegate_service.card_token(leaving)).get_json()
    assert back["status"] == "created" and back["present"] == 2
    assert "Back in the session" in back["html"]
    assert attendance_service.present_now(congress) == {leaving.id, staying.id}
    assert len(_events("delegate.checkin_return")) == 1
    assert db.session.scalar(select(func.count(CheckIn.id))) == 2


def test_the_door_account_cannot_check_out_or_enter_reasons(client, staff, congress,
                                                            make_delegate):
    attendance_service.check_in(make_delegate(1))
    for path, data in (("/checkin/checkout", {"number": "1"}),
                       ("/checkin/absence", {"number": "1", "reason": "excused"})):
        response = client.post(path, data={**data, "csrf_token": staff.csrf})
        assert response.status_code == 403
    assert not _events("delegate.checkout") and not _events("delegate.absence")


# Reasons for absence -------------------------------------------------------------------


def test_organisers_enter_reasons_for_absence_per_session(
        desk, congress, sessions, make_delegate, clock):
    ill = make_delegate(1, "Nguyễn Văn Ốm")
    make_delegate(2, "Trần Thị Đi")
    make_delegate(3, "Lê Văn Dự Khuyết", kind=DelegateKind.ALTERNATE)
    here = make_delegate(4, "Phạm Văn Có")
    clock(_at(23, 9))
    attendance_service.check_in(here)

    official = sessions["official"].id
    saved = desk.post("/checkin/absence", data={
        "number": "1", "reason": "excused", "note": "Ốm, có giấy viện", "session": official,
        "csrf_token": desk.csrf})
    assert saved.status_code == 303
    assert saved.headers["Location"].endswith(f"/checkin/attendance?session={official}")
    desk.post("/checkin/absence", data={"number": "2", "reason": "unexcused",
                                        "session": official, "csrf_token": desk.csrf})

    page = desk.get(f"/checkin/attendance?session={official}").get_data(as_text=True)
    assert "Excused: Ốm, có giấy viện" in page and "Unexcused" in page
    absent = desk.get(f"/checkin/attendance.json?session={official}").get_json()["absent"]
    assert [(a["number"], a["reason"], a["note"]) for a in absent] == [
        (1, "excused", "Ốm, có giấy viện"), (2, "unexcused", "")]
    # Another session has its own reasons: none entered there yet.
    other = desk.get(f"/checkin/attendance.json?session={sessions['closing'].id}").get_json()
    assert {a["reason"] for a in other["absent"]} == {""}
    assert other["session"]["name"] == "Phiên bế mạc"
    assert len(_events("delegate.absence")) == 2

    # Refused, nothing changed: present, an alternate, an unknown reason, a too long note.
    for data, status in (({"number": "4", "reason": "excused"}, 409),
                         ({"number": "3", "reason": "excused"}, 409),
                         ({"number": "1", "reason": "maybe"}, 400),
                         ({"number": "1", "reason": "excused", "note": "x" * 501}, 400),
                         ({"number": "88", "reason": "excused"}, 404)):
        response = desk.post("/checkin/absence", data={**data, "session": official,
                                                       "csrf_token": desk.csrf})
        assert response.status_code == status, data
    assert len(_events("delegate.absence")) == 2
    assert db.session.scalar(select(func.count(Absence.id))) == 2

    # Cleared again; a delegate who arrives late is simply no longer absent.
    desk.post("/checkin/absence", data={"number": "2", "reason": "", "session": official,
                                        "csrf_token": desk.csrf})
    attendance_service.check_in(ill)
    absent = desk.get(f"/checkin/attendance.json?session={official}").get_json()["absent"]
    assert [(a["number"], a["reason"]) for a in absent] == [(2, "")]


def test_the_sheet_shows_the_session_its_arrivals_and_the_reasons(
        desk, congress, sessions, make_delegate, clock):
    first = make_delegate(1, "Nguyễn Văn Sớm")
    second = make_delegate(2, "Trần Thị Muộn")
    clock(_at(22, 14, 5))
    attendance_service.check_in(first)  # the preparatory session
    clock(_at(23, 7, 40))
    attendance_service.check_in(second)  # the official one
    absence_service.mark_absence(congress, 1, "excused", "Đi công tác", None,
                                 sessions["official"])

    def sheet(session_id) -> str:
        response = desk.get(f"/organiser/print/attendance-sheet.pdf?session={session_id}")
        assert response.status_code == 200
        return re.sub(r"\s+", " ", pdf_text(response.get_data()))

    official = sheet(sessions["official"].id)
    assert "Session: Phiên chính thức, 23/07/2025" in official
    assert "07:40" in official and "14:05" not in official
    assert "Excused: Đi công tác" in official
    assert "Official delegates present: 1 of 168" in official
    preparatory = sheet(sessions["preparatory"].id)
    assert "Session: Phiên trù bị, 22/07/2025" in preparatory
    assert "Thanh Xuân, 22 July 2025" in preparatory  # signed on the session's day
    assert "14:05" in preparatory and "07:40" not in preparatory
    assert "Đi công tác" not in preparatory
    assert desk.get("/organiser/print/attendance-sheet.pdf?session=x").status_code == 404


def test_the_attendance_page_shows_the_chosen_session(desk, congress, sessions, make_delegate,
                                                      clock):
    delegate = make_delegate(1)
    clock(_at(22, 14, 30))
    attendance_service.check_in(delegate)
    clock(_at(23, 9))
    page = desk.get("/checkin/attendance").get_data(as_text=True)
    assert "Attendance · <span id=\"att-session-name\">Phiên chính thức</span>" in page
    assert desk.get("/checkin/attendance.json").get_json()["present"] == 0
    chosen = desk.get(f"/checkin/attendance?session={sessions['preparatory'].id}")
    assert "Phiên trù bị</span>" in chosen.get_data(as_text=True)
    data = desk.get(f"/checkin/attendance.json?session={sessions['preparatory'].id}")
    assert data.get_json()["present"] == 1
    assert desk.get("/checkin/attendance?session=abc").status_code == 404


def test_a_session_with_check_ins_cannot_be_deleted(congress, sessions, make_delegate, clock):
    clock(_at(23, 9))
    attendance_service.check_in(make_delegate(1))
    with pytest.raises(InputRefused) as refused:
        agenda_service.delete_session(sessions["official"])
    assert refused.value.status == 409
    # Nobody came to the preparatory session; its reason for absence goes with it.
    absence_service.mark_absence(congress, 1, "excused", "", None, sessions["preparatory"])
    agenda_service.delete_session(sessions["preparatory"])
    assert db.session.scalar(select(func.count(Absence.id))) == 0
    assert db.session.get(CongressSession, sessions["official"].id) is not None


# The migration -------------------------------------------------------------------------


def test_the_migration_gives_old_check_ins_the_first_session_and_goes_back(
        app, congress, sessions, make_delegate):
    """Up: each congress-wide check-in lands in the congress's first session (by date and
    time), one of a congress without sessions stays congress-wide. Down: one per delegate."""
    delegate = make_delegate(1)
    lone = Congress(slug="le", title="Đại hội không phiên", organisation="Đảng bộ lẻ",
                    starts_on=date(2025, 7, 22), ends_on=date(2025, 7, 22))
    db.session.add(lone)
    db.session.commit()
    lone_delegate = add_delegate(lone, 1, "Võ Văn Lẻ")
    ids = {"delegate": delegate.id, "lone": lone.id, "lone_delegate": lone_delegate.id,
           "congress": congress.id, "first": sessions["preparatory"].id}
    db.session.remove()
    below = _revisionbelow_this_one(app)

    downgrade(revision=below)
    with db.engine.begin() as connection:
        for delegate_id, congress_id in ((ids["delegate"], ids["congress"]),
                                         (ids["lone_delegate"], ids["lone"])):
            connection.execute(text(
                "INSERT INTO checkins (delegate_id, congress_id, at, method) "
                "VALUES (:d, :c, :at, 'scan')"),
                {"d": delegate_id, "c": congress_id, "at": datetime(2025, 7, 22, 1, 0)})
    upgrade()

    rows = dict(db.session.execute(select(CheckIn.delegate_id, CheckIn.session_id)).all())
    assert rows == {ids["delegate"]: ids["first"], ids["lone_delegate"]: None}
    # A second session's check-in and a reason, which the older schema has no room for.
    db.session.add(CheckIn(delegate_id=ids["delegate"], congress_id=ids["congress"],
                           session_id=sessions_id(ids["congress"], "Phiên bế mạc"),
                           at=datetime(2025, 7, 23, 7, 0, tzinfo=UTC)))
    db.session.add(Absence(delegate_id=ids["lone_delegate"], congress_id=ids["lone"],
                           excused=True))
    db.session.commit()
    db.session.remove()

    downgrade(revision=below)
    with db.engine.connect() as connection:
        left = connection.execute(text("SELECT delegate_id, at FROM checkins "
                                       "ORDER BY delegate_id")).all()
    assert [row[0] for row in left] == sorted([ids["delegate"], ids["lone_delegate"]])
    assert all(str(row[1]).startswith("2025-07-22 01:00") for row in left)
    upgrade()
    assert db.session.scalar(select(func.count(CheckIn.id))) == 2


def _revisionbelow_this_one(app) -> str:
    """The revision the attendance migration follows (the lead may re-chain it)."""
    from alembic.script import ScriptDirectory
    from flask_migrate import Config

    config = Config(str(app.extensions["migrate"].directory) + "/alembic.ini")
    config.set_main_option("script_location", app.extensions["migrate"].directory)
    return ScriptDirectory.from_config(config).get_revision(MIGRATION).down_revision


def sessions_id(congress_id: int, name: str) -> int:
    return db.session.scalar(select(CongressSession.id).where(
        CongressSession.congress_id == congress_id, CongressSession.name == name))


def test_a_delegate_with_only_a_reason_for_absence_can_still_be_deleted(
        congress, sessions, make_delegate):
    """Entered by mistake and never checked in: the reason is no arrival, it goes too."""
    delegate = make_delegate(1)
    absence_service.mark_absence(congress, 1, "unexcused", "", None, sessions["official"])
    delegate_service.delete_delegate(delegate)
    assert db.session.scalar(select(func.count(Absence.id))) == 0


def test_the_attendance_page_speaks_vietnamese(app, congress, sessions, make_delegate, clock):
    add_user("bantochuc-vi", Role.EDITOR)
    browser = signed_in_client(app, "bantochuc-vi", lang=None)
    make_delegate(1, "Nguyễn Văn Ốm")
    clock(_at(23, 9))
    absence_service.mark_absence(congress, 1, "excused", "Ốm", None)
    page = browser.get("/checkin/attendance").get_data(as_text=True)
    for words in ("Lý do vắng mặt", "Vắng có lý do: Ốm", "Ghi đại biểu về sớm",
                  "Phiên đang diễn ra (theo giờ)"):
        assert words in page, words
    door = browser.get("/checkin/").get_data(as_text=True)
    assert "Đang điểm danh cho: Phiên chính thức" in door and "Theo giờ" in door
