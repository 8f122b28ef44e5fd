"""The attendance screen counts official delegates against the roster, in the database, and
answers 304 while nothing changed; two phones scanning at once make one check-in."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import event, func, make_url, select

from congress_app.extensions import db
from congress_app.models import AuditEvent, Congress, Delegate, DelegateKind
from congress_app.services import attendance as attendance_service
from congress_app.services import delegates as delegate_service

from .checkin_desk import _checkins, _scan
from .threads import join_all

# Attendance ----------------------------------------------------------------------------


@pytest.fixture
def roster(make_delegate):
    """Two units, two groups, with an alternate, a guest and a deactivated delegate."""
    people = {
        1: make_delegate(1, "Nguyễn Văn An", unit="Chi bộ 1", group="Tổ 1"),
        2: make_delegate(2, "Trần Thị Bình", unit="Chi bộ 1", group="Tổ 2"),
        3: make_delegate(3, "Lê Văn Cường", unit="Chi bộ 1", group="Tổ 1"),
        4: make_delegate(4, "Phạm Thị Dung", unit="Chi bộ 2", group="Tổ 2"),
        5: make_delegate(5, "Hoàng Văn Em", unit="", group=""),
        6: make_delegate(6, "Vũ Thị Giang", unit="Chi bộ 2", kind=DelegateKind.ALTERNATE),
        7: make_delegate(7, "Đỗ Văn Hải", unit="Chi bộ 2", kind=DelegateKind.GUEST),
        8: make_delegate(8, "Bùi Văn Khánh", unit="Chi bộ 2", active=False),
    }
    for number in (1, 3, 4, 6, 7):
        attendance_service.check_in(people[number])
    return people


def test_attendance_counts_official_delegates_per_unit_and_group(congress, roster):
    a = attendance_service.attendance(congress)
    assert (a.present, a.expected, a.congress_expected) == (3, 5, 168)
    assert [(t.name, t.present, t.expected) for t in a.by_unit] == [
        ("Chi bộ 1", 2, 3), ("Chi bộ 2", 1, 1), ("", 0, 1)]
    assert [(t.name, t.present, t.expected) for t in a.by_group] == [
        ("Tổ 1", 2, 2), ("Tổ 2", 1, 2), ("", 0, 1)]
    assert [(d.number, d.full_name, d.unit, d.discussion_group) for d in a.absent] == [
        (2, "Trần Thị Bình", "Chi bộ 1", "Tổ 2"), (5, "Hoàng Văn Em", "", "")]
    assert a.others_present == {DelegateKind.ALTERNATE: 1, DelegateKind.GUEST: 1}
    assert attendance_service.head_count(congress) == (3, 5)


def test_the_attendance_page_shows_the_tables_and_the_absentees(client, staff, roster):
    html = client.get("/checkin/attendance").get_data(as_text=True)
    assert re.search(r'data-field="present">3</strong>', html)
    assert re.search(r'data-field="expected">5<', html)
    assert re.search(r'data-field="congress_expected">168<', html)  # differs: shown
    assert re.search(r"<td>Chi bộ 1</td><td class=\"num\">2</td><td class=\"num\">3</td>", html)
    assert "<td>(no unit)</td>" in html and "<td>(no group)</td>" in html
    absent = html.split('data-list="absent"')[1]
    assert "Trần Thị Bình" in absent and "Hoàng Văn Em" in absent
    assert "Nguyễn Văn An" not in absent and "Bùi Văn Khánh" not in absent
    assert re.search(r'data-field="alternate">1<', html)
    assert re.search(r'data-field="guest">1<', html)
    assert "js/attendance.js" in html


def test_attendance_json_answers_304_until_something_changes(
    client, staff, congress, roster
):
    first = client.get("/checkin/attendance.json")
    assert first.status_code == 200
    assert first.get_json()["present"] == 3
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache, private"

    unchanged = client.get("/checkin/attendance.json", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.data == b""
    assert unchanged.headers["ETag"] == etag
    page_etag = re.search(r'data-etag="([^"]+)"', client.get("/checkin/attendance")
                          .get_data(as_text=True)).group(1)
    assert page_etag.replace("&#34;", '"') == etag

    _scan(client, staff, delegate_service.card_token(roster[2]))
    changed = client.get("/checkin/attendance.json", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.get_json()["present"] == 4
    assert [a["number"] for a in changed.get_json()["absent"]] == [5]
    etag = changed.headers["ETag"]

    db.session.get(Delegate, roster[5].id).active = False  # a roster edit
    db.session.commit()
    edited = client.get("/checkin/attendance.json", headers={"If-None-Match": etag})
    assert edited.status_code == 200 and edited.get_json()["expected"] == 4
    etag = edited.headers["ETag"]

    db.session.get(Congress, congress.id).delegates_expected = 150
    db.session.commit()
    resized = client.get("/checkin/attendance.json", headers={"If-None-Match": etag})
    assert resized.status_code == 200 and resized.get_json()["congress_expected"] == 150


def _statements(app, call) -> list[str]:
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        call()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return seen


def test_attendance_is_counted_in_the_database_not_row_by_row(app, congress, make_delegate):
    for number in range(1, 6):
        make_delegate(number, unit=f"Chi bộ {number % 2}")
    small = _statements(app, lambda: attendance_service.attendance(congress))
    for number in range(6, 61):
        attendance_service.check_in(make_delegate(number, unit=f"Chi bộ {number % 3}"))
    large = _statements(app, lambda: attendance_service.attendance(congress))
    # The congress, the clock's session, two tallies, the others, the absent and the leavers.
    assert len(small) == len(large) <= 6
    assert all("GROUP BY" in s for s in large if "count(" in s)
    # The clock's session, then the digest.
    assert len(_statements(app, lambda: attendance_service.attendance_version(congress))) == 2


# Two phones at once --------------------------------------------------------------------


@pytest.mark.parametrize("with_sessions", [True, False], ids=["session", "congress-wide"])
def test_two_phones_scanning_one_card_at_the_same_moment_make_one_check_in(
    app, congress, make_delegate, with_sessions
):
    """Two threads, each with its own app context and session on the same database (an
    SQLite file or PostgreSQL); both pass the "already checked in?" read before either
    inserts, so the unique constraint decides: (delegate, session), or for a congress
    without sessions the partial index on the congress-wide check-in."""
    assert make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database not in (None, "", ":memory:")
    if not with_sessions:
        for session in list(congress.sessions):
            db.session.delete(session)
        db.session.commit()
    delegate_id = make_delegate(9).id
    both_read = threading.Barrier(2, timeout=10)
    results: list[tuple[int, bool]] = []
    errors: list[BaseException] = []

    def hold_the_insert(conn, cursor, statement, *args):
        if statement.startswith("INSERT INTO checkins"):
            both_read.wait()

    def door_phone():
        try:
            with app.app_context():
                delegate = db.session.get(Delegate, delegate_id)
                record, created = attendance_service.check_in(delegate, method="scan")
                results.append((record.id, created))
                db.session.remove()
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    event.listen(db.engine, "before_cursor_execute", hold_the_insert)
    try:
        phones = [threading.Thread(target=door_phone) for _ in range(2)]
        for phone in phones:
            phone.start()
        join_all(phones, 30)
    finally:
        event.remove(db.engine, "before_cursor_execute", hold_the_insert)

    assert not errors, errors
    assert sorted(created for _, created in results) == [False, True]
    assert results[0][0] == results[1][0]
    db.session.expire_all()
    assert _checkins() == 1
    assert db.session.scalar(select(func.count(AuditEvent.id))
                             .where(AuditEvent.action == "delegate.checkin")) == 1


def test_present_now_is_the_official_delegates_checked_in(roster):
    """What votes and the credentials report count against: never alternates, guests or a
    deactivated delegate, whatever was scanned."""
    present = attendance_service.present_now(roster[1].congress)
    assert present == {roster[n].id for n in (1, 3, 4)}
