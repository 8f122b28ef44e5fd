"""Check-in at the door by scanning: only staff may use the pages, a delegate card checks its
delegate in once, and invalid, malformed or unprotected scans change nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from congress_app.extensions import db
from congress_app.models import AuditEvent, CheckIn, Congress, Role
from congress_app.services import attendance as attendance_service
from congress_app.services import delegates as delegate_service

from .checkin_desk import (
    RULES,
    UNKNOWN_TOKEN,
    _checkins,
    _local_time,
    _scan,
)
from .conftest import add_user, csrf_token_from

# Access --------------------------------------------------------------------------------


def test_the_checkin_blueprint_has_its_pages():
    assert {endpoint for endpoint, _, _ in RULES} == {
        "checkin.scan", "checkin.scan_token", "checkin.check_in_number",
        "checkin.attendance", "checkin.attendance_json", "checkin.undo",
        "checkin.choose_session", "checkin.check_out", "checkin.absence",
    }


# Organisers (admins, editors) check out and enter reasons; the door account only scans.
ORGANISER_ONLY = {"checkin.check_out", "checkin.absence"}
# Plain form posts that go back to their page once done.
REDIRECTS = {"checkin.choose_session", "checkin.check_out", "checkin.absence"}


def _valid_request(endpoint: str, token: str) -> dict:
    """What a staff phone would send to each route, so an allowed account gets a 200."""
    return {
        "checkin.scan_token": {"json": {"token": token}},
        "checkin.check_in_number": {"json": {"number": 7}},
        "checkin.undo": {"json": {}},
        "checkin.choose_session": {"data": {"session": ""}},
        "checkin.check_out": {"data": {"number": "8"}},  # checked in below
        "checkin.absence": {"data": {"number": "9", "reason": "excused"}},
    }.get(endpoint, {})


@pytest.mark.parametrize("who", ["anonymous", "delegate", Role.CHECKIN, Role.EDITOR, Role.ADMIN])
def test_only_staff_accounts_may_use_the_checkin_pages(client, auth, make_delegate, who):
    delegate = make_delegate(7)
    token = delegate_service.card_token(delegate)
    # A check-in made today, for the undo route to remove.
    undo_id = attendance_service.check_in(make_delegate(8))[0].id
    make_delegate(9)  # absent, for the organisers' reason
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
        elif who == "delegate" or (who == Role.CHECKIN and endpoint in ORGANISER_ONLY):
            ok = response.status_code == 403
        else:
            ok = response.status_code == (303 if endpoint in ORGANISER_ONLY else
                                          302 if endpoint in REDIRECTS else 200)
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
                           session_id=delegate.congress.sessions[0].id,
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
