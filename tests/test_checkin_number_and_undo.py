"""Check-in at the door by typing the card's number, with or without the page script, and
undoing a check-in the same day, audited, never for another congress or day."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from congress_app.extensions import db
from congress_app.models import AuditEvent, CheckIn, Congress, Delegate, DelegateKind, Role
from congress_app.services import attendance as attendance_service
from congress_app.services import delegates as delegate_service

from .checkin_desk import _checkins, _scan
from .conftest import add_user

# The number form -----------------------------------------------------------------------


def _number(client, staff, number, **extra):
    return client.post("/checkin/number", json={"number": number, **extra},
                       headers={"X-CSRFToken": staff.csrf})


def test_typing_the_number_checks_in_from_the_page_script(client, staff, make_delegate):
    make_delegate(42, "Lê Văn Cường", kind=DelegateKind.ALTERNATE)
    response = _number(client, staff, "42", confirm=True)
    assert response.status_code == 200
    data = response.get_json()
    assert data["status"] == "created" and data["delegate"]["full_name"] == "Lê Văn Cường"
    assert "Alternate delegate" in data["html"]
    assert db.session.scalar(select(CheckIn.method)) == "number"
    assert (data["present"], data["expected"]) == (0, 0)  # alternates are not in the quorum

    assert _number(client, staff, 43).status_code == 404
    assert _number(client, staff, 43, confirm=True).status_code == 404
    assert _number(client, staff, "4x").status_code == 400


def test_a_typed_number_first_asks_who_it_is_and_only_the_confirm_checks_in(
    client, staff, make_delegate
):
    make_delegate(42, "Lê Văn Cường", unit="Chi bộ Khu phố 4", group="Tổ 3")
    asked = _number(client, staff, 42)
    assert asked.status_code == 200
    data = asked.get_json()
    assert data["status"] == "confirm" and data["already"] is False
    assert data["delegate"]["full_name"] == "Lê Văn Cường" and "checkin_id" not in data
    html = data["html"]
    assert "Check in this delegate?" in html and "result-ask" in html
    assert "Lê Văn Cường" in html and "No. 42" in html and "Official delegate" in html
    assert "Chi bộ Khu phố 4" in html
    assert 'name="confirm" value="1"' in html and 'name="number" value="42"' in html
    assert ">Confirm</button>" in html and ">Cancel</a>" in html
    assert "style=" not in html and "<script" not in html  # the CSP allows neither
    assert _checkins() == 0 and data["present"] == 0

    for not_confirmed in ("yes", 1, "true", None):  # only a JSON true confirms
        assert _number(client, staff, 42, confirm=not_confirmed).get_json()["status"] == "confirm"
    assert _checkins() == 0

    done = _number(client, staff, 42, confirm=True).get_json()
    assert done["status"] == "created" and done["present"] == 1
    assert done["checkin_id"] == db.session.scalar(select(CheckIn.id))

    # Already checked in: said at once, nothing to confirm.
    again = _number(client, staff, 42).get_json()
    assert again["status"] == "already" and again["checked_in_at"] == done["checked_in_at"]
    assert "Check in this delegate?" not in again["html"]
    assert _checkins() == 1


def test_typing_the_number_works_without_javascript(client, staff, make_delegate):
    make_delegate(42, "Lê Văn Cường")
    make_delegate(43, "Phạm Thu Hà", active=False)

    asked = client.post("/checkin/number", data={"number": " 42 ", "csrf_token": staff.csrf})
    assert asked.status_code == 200
    html = asked.get_data(as_text=True)
    assert "Check in this delegate?" in html and "Lê Văn Cường" in html
    assert "Checked in at" not in html and _checkins() == 0
    question = html.split('class="result result-ask"')[1].split("</form>")[0]
    assert 'action="/checkin/number"' in question
    assert 'name="number" value="42"' in question and 'name="confirm" value="1"' in question
    assert 'name="csrf_token"' in question
    assert re.search(r'id="present-count">0<', html)

    page = client.post("/checkin/number",
                       data={"number": "42", "confirm": "1", "csrf_token": staff.csrf})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Lê Văn Cường" in html and "Checked in at" in html
    assert re.search(r'id="present-count">1<', html)

    again = client.post("/checkin/number", data={"number": "42", "csrf_token": staff.csrf})
    assert again.status_code == 200 and "Already checked in at" in again.get_data(as_text=True)

    refused = client.post("/checkin/number", data={"number": "43", "csrf_token": staff.csrf})
    assert refused.status_code == 404
    assert "Phạm Thu Hà (No. 43) is no longer on the roster. Send the delegate to the " \
        "organisers" in refused.get_data(as_text=True), refused.get_data(as_text=True)[-2500:]
    unknown = client.post("/checkin/number",
                          data={"number": "999", "confirm": "1", "csrf_token": staff.csrf})
    assert unknown.status_code == 404
    assert ("No delegate has number 999 in this congress. Check the number on the card."
            in unknown.get_data(as_text=True))

    bad = client.post("/checkin/number", data={"number": "abc", "csrf_token": staff.csrf})
    assert bad.status_code == 400
    assert "Enter the number printed on the card." in bad.get_data(as_text=True)
    assert _checkins() == 1


def test_a_typed_number_is_never_called_an_invalid_card(client, staff, make_delegate):
    make_delegate(43, "Phạm Thu Hà", active=False)
    unknown = _number(client, staff, 999).get_json()
    assert unknown["status"] == "invalid" and "delegate" not in unknown
    assert ("No delegate has number 999 in this congress. Check the number on the card."
            in unknown["html"])
    inactive = _number(client, staff, 43, confirm=True).get_json()
    assert "Phạm Thu Hà (No. 43) is no longer on the roster." in inactive["html"]
    for data in (unknown, inactive):
        assert "not valid" not in data["html"] and "result-bad" in data["html"]
    assert _checkins() == 0


def test_the_wording_is_vietnamese_by_default(client, staff, make_delegate):
    client.set_cookie("lang", "vi")
    make_delegate(42, "Lê Văn Cường")
    assert "Không có đại biểu nào mang số 999" in _number(client, staff, 999).get_json()["html"]
    html = _number(client, staff, 42).get_json()["html"]
    assert "Điểm danh đại biểu này?" in html and ">Xác nhận</button>" in html
    assert ">Hoàn tác</button>" in _number(client, staff, 42, confirm=True).get_json()["html"]


# Undo ----------------------------------------------------------------------------------


def _undo(client, staff, checkin_id, **kwargs):
    return client.post(f"/checkin/{checkin_id}/undo", json={},
                       headers={"X-CSRFToken": staff.csrf}, **kwargs)


def test_a_check_in_is_undone_the_same_day_with_an_audit_event(client, staff, make_delegate):
    delegate = make_delegate(12, "Trần Thị Bích Ngọc")
    done = _scan(client, staff, delegate_service.card_token(delegate)).get_json()
    assert done["present"] == 1
    undo_form = re.search(r'<form method="post" action="(/checkin/\d+/undo)"[^>]*data-undo>'
                          r'\s*<input type="hidden" name="csrf_token"', done["html"])
    assert undo_form and undo_form.group(1) == f"/checkin/{done['checkin_id']}/undo"
    assert ">Undo</button>" in done["html"]

    response = _undo(client, staff, done["checkin_id"])
    assert response.status_code == 200
    data = response.get_json()
    assert data["status"] == "undone" and data["present"] == 0
    assert "Check-in undone" in data["html"] and "Trần Thị Bích Ngọc" in data["html"]
    assert _checkins() == 0
    (event,) = db.session.scalars(select(AuditEvent)
                                  .where(AuditEvent.action == "delegate.checkin_undo")).all()
    assert (event.user_id, event.object_type, event.object_id) == (
        staff.user.id, "Delegate", delegate.id)
    assert event.at is not None
    detail = __import__("json").loads(event.detail)
    assert detail["number"] == 12 and detail["method"] == "scan"
    assert detail["checked_in_at"] == done["checked_in_at"]
    assert [a.number for a in attendance_service.attendance(
        db.session.get(Congress, delegate.congress_id)).absent] == [12]

    # Undone already: nothing left to undo. The delegate can check in again.
    assert _undo(client, staff, done["checkin_id"]).status_code == 404
    assert _scan(client, staff, delegate_service.card_token(delegate)).get_json()[
        "status"] == "created"


def test_undo_works_without_javascript(client, staff, make_delegate):
    make_delegate(42, "Lê Văn Cường")
    page = client.post("/checkin/number",
                       data={"number": "42", "confirm": "1", "csrf_token": staff.csrf})
    checkin_id = db.session.scalar(select(CheckIn.id))
    assert f'action="/checkin/{checkin_id}/undo"' in page.get_data(as_text=True)
    undone = client.post(f"/checkin/{checkin_id}/undo", data={"csrf_token": staff.csrf})
    assert undone.status_code == 200
    html = undone.get_data(as_text=True)
    assert "Check-in undone" in html and re.search(r'id="present-count">0<', html)
    assert _checkins() == 0
    assert client.post(f"/checkin/{checkin_id}/undo").status_code == 400  # no CSRF token


def test_a_check_in_of_an_earlier_day_cannot_be_undone_in_a_congress_without_sessions(
    client, staff, make_delegate, monkeypatch
):
    delegate = make_delegate(5)
    # Without sessions the attendance is congress-wide, and its day is what undo keeps to.
    for session in list(delegate.congress.sessions):
        db.session.delete(session)
    db.session.commit()
    # 23:30 in Hà Nội on 22 July (16:30 UTC) …
    monkeypatch.setattr(attendance_service, "utcnow",
                        lambda: datetime(2025, 7, 22, 16, 30, tzinfo=UTC))
    record, _created = attendance_service.check_in(delegate)
    # … is another day at 00:10 on 23 July (17:10 UTC), though under an hour later.
    monkeypatch.setattr(attendance_service, "utcnow",
                        lambda: datetime(2025, 7, 22, 17, 10, tzinfo=UTC))
    response = _undo(client, staff, record.id)
    assert response.status_code == 409
    data = response.get_json()
    assert data["message"] == ("This check-in was made on an earlier day and can no longer "
                               "be undone at the door.")
    assert _checkins() == 1
    assert not db.session.scalars(select(AuditEvent)
                                  .where(AuditEvent.action == "delegate.checkin_undo")).all()
    form = client.post(f"/checkin/{record.id}/undo", data={"csrf_token": staff.csrf})
    assert form.status_code == 409 and "earlier day" in form.get_data(as_text=True)

    # The same local day (23:59 in Hà Nội) still may.
    monkeypatch.setattr(attendance_service, "utcnow",
                        lambda: datetime(2025, 7, 22, 16, 59, tzinfo=UTC))
    assert _undo(client, staff, record.id).status_code == 200
    assert _checkins() == 0


def test_another_congresss_staff_cannot_undo_a_check_in(
    client, auth, make_delegate, congress
):
    other = Congress(slug="other", title="Đại hội khác", organisation="Đảng bộ khác",
                     starts_on=congress.starts_on, ends_on=congress.ends_on)
    db.session.add(other)
    db.session.commit()
    record, _created = attendance_service.check_in(make_delegate(3))
    user = add_user("door2", Role.CHECKIN)
    user.congress_id = other.id
    db.session.commit()
    auth.login("door2", "pass word")
    csrf = auth.csrf_token("/checkin/")
    response = client.post(f"/checkin/{record.id}/undo", json={},
                           headers={"X-CSRFToken": csrf})
    assert response.status_code == 404
    assert _checkins() == 1


def test_the_attendance_version_changes_when_an_undone_check_in_is_replaced(
    client, staff, make_delegate, congress
):
    """SQLite hands the undone (newest) row's id to the next check-in: count and highest id
    come back as before, yet a different delegate is present."""
    first, second_id = make_delegate(1), make_delegate(2).id
    record_id = attendance_service.check_in(first)[0].id
    before = attendance_service.attendance_version(congress)
    assert _undo(client, staff, record_id).status_code == 200
    db.session.expunge_all()  # the undone row was deleted by the request, not here
    new_id = attendance_service.check_in(db.session.get(Delegate, second_id))[0].id
    if db.engine.dialect.name == "sqlite":  # PostgreSQL's sequence never hands it out again
        assert new_id == record_id
    congress = db.session.get(Congress, congress.id)
    assert attendance_service.attendance_version(congress) != before
    assert [a.number for a in attendance_service.attendance(congress).absent] == [1]


def test_a_closed_congress_refuses_the_undo(client, staff, make_delegate, congress):
    record, _created = attendance_service.check_in(make_delegate(3))
    db.session.get(Congress, congress.id).closed_at = datetime(2025, 7, 23, tzinfo=UTC)
    db.session.commit()
    assert _undo(client, staff, record.id).status_code == 423
    assert _checkins() == 1
