"""Check-in at the door: staff scan a delegate card or type its number; the attendance
screen counts official delegates against the roster and answers 304 while nothing changed.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, make_url, select

from congress_app import create_app
from congress_app.extensions import db
from congress_app.models import AuditEvent, CheckIn, Congress, Delegate, DelegateKind, Role
from congress_app.services import attendance as attendance_service
from congress_app.services import delegates as delegate_service

from .conftest import add_delegate, add_user, csrf_token_from
from .threads import join_all

IGNORED_METHODS = {"HEAD", "OPTIONS"}
UNKNOWN_TOKEN = "A" * attendance_service.TOKEN_LENGTH


def _checkin_rules() -> list[tuple[str, str, str]]:
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return sorted(
        (rule.endpoint, rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("checkin.")
        for method in rule.methods - IGNORED_METHODS
    )


RULES = _checkin_rules()


@pytest.fixture
def make_delegate(congress, monkeypatch):
    """make_delegate(number, name, unit=…, group=…, kind=…, active=…) with card credentials."""

    def make(number: int, full_name: str = "Nguyễn Văn An", unit: str = "Chi bộ Khu phố 1",
             group: str = "Tổ 1", kind: DelegateKind = DelegateKind.OFFICIAL,
             active: bool = True, of: Congress | None = None) -> Delegate:
        return add_delegate(of or congress, number, full_name, unit=unit,
                            discussion_group=group, kind=kind, active=active)

    return make


@pytest.fixture
def staff(sign_in_as, congress):
    """A check-in account signed in, reading English; .csrf is a token for scripts."""
    auth = sign_in_as(Role.CHECKIN, "door")
    auth.csrf = auth.csrf_token("/checkin/")
    return auth


def _scan(client, staff, token, **kwargs):
    return client.post("/checkin/scan", json={"token": token},
                       headers={"X-CSRFToken": staff.csrf}, **kwargs)


def _checkins() -> int:
    return db.session.scalar(select(func.count(CheckIn.id)))


def _local_time(at: datetime) -> str:
    return at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%H:%M")


# Access --------------------------------------------------------------------------------


def test_the_checkin_blueprint_has_its_pages():
    assert {endpoint for endpoint, _, _ in RULES} == {
        "checkin.scan", "checkin.scan_token", "checkin.check_in_number",
        "checkin.attendance", "checkin.attendance_json", "checkin.undo",
    }


def _valid_request(endpoint: str, token: str) -> dict:
    """What a staff phone would send to each route, so an allowed account gets a 200."""
    return {
        "checkin.scan_token": {"json": {"token": token}},
        "checkin.check_in_number": {"json": {"number": 7}},
        "checkin.undo": {"json": {}},
    }.get(endpoint, {})


@pytest.mark.parametrize("who", ["anonymous", "delegate", Role.CHECKIN, Role.EDITOR, Role.ADMIN])
def test_only_staff_accounts_may_use_the_checkin_pages(client, auth, make_delegate, who):
    delegate = make_delegate(7)
    token = delegate_service.card_token(delegate)
    # A check-in made today, for the undo route to remove.
    undo_id = attendance_service.check_in(make_delegate(8))[0].id
    if who == "delegate":
        with client.session_transaction() as session:
            session["_user_id"] = delegate.get_id()
            session["_fresh"] = True
        csrf = csrf_token_from(client.get("/").get_data(as_text=True))  # the sign-out form
    elif who == "anonymous":
        csrf = csrf_token_from(client.get("/login").get_data(as_text=True))
    else:
        add_user("someone", who)
        auth.login("someone", "pass word")
        csrf = auth.csrf_token("/")

    wrong = []
    for endpoint, rule, method in RULES:
        path = rule.replace("<int:checkin_id>", str(undo_id))
        response = client.open(path, method=method, headers={"X-CSRFToken": csrf},
                               **_valid_request(endpoint, token))
        location = urlsplit(response.headers.get("Location", ""))
        if who == "anonymous":
            ok = (response.status_code == 302 and location.path == "/login"
                  and parse_qs(location.query).get("next") == [path])
        elif who == "delegate":
            ok = response.status_code == 403
        else:
            ok = response.status_code == 200
        if not ok:
            wrong.append(f"{method} {rule}: {response.status_code} {location.geturl()}")
    assert not wrong, "\n".join(wrong)
    if who in ("anonymous", "delegate"):
        assert _checkins() == 1  # only the one made above, not undone


# Scanning ------------------------------------------------------------------------------


@pytest.mark.parametrize("case", [str.upper, str.lower])
def test_scanning_a_card_checks_the_delegate_in(client, staff, make_delegate, case):
    delegate = make_delegate(12, "Trần Thị Bích Ngọc", unit="Chi bộ Trường THCS Thanh Xuân")
    response = _scan(client, staff, case(delegate_service.card_token(delegate)))

    assert response.status_code == 200
    data = response.get_json()
    assert data["status"] == "created" and data["already"] is False
    assert data["delegate"] == {"number": 12, "full_name": "Trần Thị Bích Ngọc",
                                "unit": "Chi bộ Trường THCS Thanh Xuân",
                                "discussion_group": "Tổ 1", "kind": "official"}
    assert (data["present"], data["expected"]) == (1, 1)
    record = db.session.scalar(select(CheckIn))
    assert (record.delegate_id, record.by_user_id, record.method) == (
        delegate.id, staff.user.id, "scan")
    assert data["checked_in_at"] == record.at.isoformat()
    html = data["html"]
    assert "result-ok" in html and "Trần Thị Bích Ngọc" in html
    assert f"Checked in at {_local_time(record.at)}" in html
    assert "No. 12" in html and "Official delegate" in html


def test_a_second_scan_says_already_checked_in_with_the_first_time(
    client, staff, make_delegate
):
    delegate = make_delegate(5)
    db.session.add(CheckIn(delegate_id=delegate.id, congress_id=delegate.congress_id,
                           at=datetime(2025, 7, 23, 0, 42, tzinfo=UTC)))
    db.session.commit()

    response = _scan(client, staff, delegate_service.card_token(delegate))

    assert response.status_code == 200
    data = response.get_json()
    assert data["status"] == "already" and data["already"] is True
    assert data["checked_in_at"] == "2025-07-23T00:42:00+00:00"
    # 07:42 in Hà Nội, on an earlier day than today, so the date is shown too.
    assert "Already checked in at 23 Jul 2025, 07:42" in data["html"]
    assert "result-again" in data["html"]
    assert _checkins() == 1


def test_a_second_scan_the_same_day_shows_only_the_time(client, staff, make_delegate):
    delegate = make_delegate(5)
    first = _scan(client, staff, delegate_service.card_token(delegate)).get_json()
    second = _scan(client, staff, delegate_service.card_token(delegate)).get_json()
    assert second["already"] and second["checked_in_at"] == first["checked_in_at"]
    at = datetime.fromisoformat(first["checked_in_at"])
    assert f"Already checked in at {_local_time(at)}<" in second["html"]
    assert _checkins() == 1


def _revoked(delegate):
    token = delegate_service.card_token(delegate)
    delegate_service.reissue_credentials(delegate)
    return token


def _deactivated(delegate):
    delegate.active = False
    db.session.commit()
    return delegate_service.card_token(delegate)


@pytest.mark.parametrize("card", ["unknown", "revoked", "deactivated", "other congress"])
def test_an_invalid_card_is_refused_and_nothing_is_written(
    client, staff, make_delegate, congress, card
):
    delegate = make_delegate(3)
    if card == "unknown":
        token = UNKNOWN_TOKEN
    elif card == "revoked":
        token = _revoked(delegate)
    elif card == "deactivated":
        token = _deactivated(delegate)
    else:
        other = Congress(slug="other", title="Đại hội khác", organisation="Đảng bộ khác",
                         starts_on=congress.starts_on, ends_on=congress.ends_on)
        db.session.add(other)
        db.session.commit()
        token = delegate_service.card_token(make_delegate(3, of=other))
    events_before = db.session.scalar(select(func.count(AuditEvent.id)))

    response = _scan(client, staff, token)

    assert response.status_code == 404
    data = response.get_json()
    assert data["status"] == "invalid" and "delegate" not in data
    assert "result-bad" in data["html"]
    assert "This card is not valid. Send the delegate to the organisers' desk." in data["html"]
    assert _checkins() == 0
    assert db.session.scalar(select(func.count(AuditEvent.id))) == events_before


def test_a_reissued_card_checks_in_with_its_new_token(client, staff, make_delegate):
    delegate = make_delegate(3)
    _revoked(delegate)
    response = _scan(client, staff, delegate_service.card_token(delegate))
    assert response.status_code == 200 and response.get_json()["status"] == "created"


@pytest.mark.parametrize("body", [
    b"token=ABC", b"{not json", b"[]", b'{"token": 5}', b'{"token": null}', b"{}",
    b'{"token": "ABCDEFGH"}', b'{"token": "' + b"1" * 32 + b'"}',
    b'{"token": "HTTP://HOST:5000/K/' + b"A" * 32 + b'"}',
], ids=lambda b: b.decode()[:24])
def test_a_malformed_scan_is_a_400_and_changes_nothing(client, staff, make_delegate, body):
    make_delegate(1)
    response = client.post("/checkin/scan", data=body, content_type="application/json",
                           headers={"X-CSRFToken": staff.csrf})
    assert response.status_code == 400
    assert response.get_json()["status"] == "malformed"
    assert _checkins() == 0


def test_a_scan_without_the_csrf_token_is_refused(client, staff, make_delegate):
    delegate = make_delegate(1)
    token = delegate_service.card_token(delegate)
    assert client.post("/checkin/scan", json={"token": token}).status_code == 400
    assert client.post("/checkin/scan", json={"token": token},
                       headers={"X-CSRFToken": "forged"}).status_code == 400
    assert client.post("/checkin/number", data={"number": "1"}).status_code == 400
    assert _checkins() == 0


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


def test_a_check_in_of_an_earlier_day_cannot_be_undone(
    client, staff, make_delegate, monkeypatch
):
    delegate = make_delegate(5)
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


def test_the_scan_page_has_the_camera_the_count_and_the_number_form(
    client, staff, make_delegate
):
    make_delegate(1)
    make_delegate(2, unit="Chi bộ 2")
    html = client.get("/checkin/").get_data(as_text=True)
    # Counted against the 168 the congress convened, as on the attendance page and sheet.
    assert re.search(r'id="present-count">0</strong> / <span id="expected-count">168<', html)
    assert 'name="csrf-token"' in html
    assert "vendor/qr-scanner/qr-scanner.umd.min.js" in html and "js/checkin.js" in html
    assert 'aria-live="polite"' in html and 'inputmode="numeric"' in html
    assert '"not_a_card": "This QR code is not a delegate card."' in html


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
    assert len(small) == len(large) <= 5
    assert all("GROUP BY" in s for s in large if "count(" in s)
    assert len(_statements(app, lambda: attendance_service.attendance_version(congress))) == 1


# Two phones at once --------------------------------------------------------------------


def test_two_phones_scanning_one_card_at_the_same_moment_make_one_check_in(
    app, make_delegate
):
    """Two threads, each with its own app context and session on the same database (an
    SQLite file or PostgreSQL); both pass the "already checked in?" read before either
    inserts, so the unique constraint decides."""
    assert make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database not in (None, "", ":memory:")
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
