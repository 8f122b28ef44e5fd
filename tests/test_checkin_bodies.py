"""Whatever is posted to the door phone's JSON routes, a body the app cannot use answers
400 with a message the page can show, and checks nobody in."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from congress_app.extensions import db
from congress_app.models import AuditEvent, CheckIn, Role
from congress_app.services import delegates as delegate_service

from .conftest import add_delegate, add_user

DEEP = 100_000


@pytest.fixture
def door(client, auth, congress):
    """A check-in account signed in (English), and delegate no. 7 with a card; .token is
    the card's token, .csrf a token for the page's script."""
    add_user("door", Role.CHECKIN)
    delegate = add_delegate(congress, 7, "Nguyễn Văn An", unit="Chi bộ Khu phố 1",
                            discussion_group="Tổ 1")
    client.set_cookie("lang", "en")
    auth.login("door", "pass word")
    auth.token = delegate_service.card_token(delegate)
    auth.csrf = auth.csrf_token("/checkin/")
    return auth


def _post(client, door, path: str, body: bytes, content_type: str = "application/json"):
    return client.post(path, data=body, content_type=content_type,
                       headers={"X-CSRFToken": door.csrf})


def _written() -> tuple[int, int]:
    db.session.expire_all()
    return (db.session.scalar(select(func.count(CheckIn.id))),
            db.session.scalar(select(func.count(AuditEvent.id))))


def _nested(value: bytes) -> bytes:
    """`value` inside 100,000 lists: far deeper than Python's JSON parser can recurse."""
    return b"[" * DEEP + value + b"]" * DEEP


# Bodies no door phone sends. Each names a valid token and number where it names one at
# all, so only the malformed part can be why it is refused.
MALFORMED = {
    "nested 100,000 deep": _nested(b"7"),
    "objects nested 100,000 deep": b'{"a":' * DEEP + b"7" + b"}" * DEEP,
    "the value nested 100,000 deep": b'{"token": ' + _nested(b'"TOKEN"') + b', "number": '
                                     + _nested(b"7") + b', "confirm": true}',
    "a list": b'["TOKEN", 7]',
    "a string": b'"TOKEN"',
    "a number": b"7",
    "null": b"null",
    "empty": b"",
    "not JSON": b"{token: TOKEN}",
    "invalid UTF-8": b'{"token": "TOKEN\xff\xfe", "number": "7\xff", "confirm": true}',
    "a lone surrogate": b'{"token": "\\ud800", "number": "\\udfff", "confirm": true}',
    "a huge string": b'{"token": "' + b"A" * 5_000_000 + b'", "number": "' + b"7" * 5_000_000
                     + b'", "confirm": true}',
    "a 5,000-digit number": b'{"token": 1' + b"0" * 5000 + b', "number": 7' + b"0" * 5000
                            + b', "confirm": true}',
    "numbers beyond floats": b'{"token": 1e999, "number": 1e999, "confirm": true}',
    "wrong types": b'{"token": ["TOKEN"], "number": [7], "confirm": true}',
    "booleans": b'{"token": true, "number": true, "confirm": true}',
    "objects": b'{"token": {"t": "TOKEN"}, "number": {"n": 7}, "confirm": true}',
}


@pytest.mark.parametrize("path", ["/checkin/scan", "/checkin/number"])
@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED)
def test_a_malformed_body_is_a_400_with_a_message_and_changes_nothing(client, door, path,
                                                                      body):
    before = _written()
    response = _post(client, door, path, body.replace(b"TOKEN", door.token.encode()))
    assert response.status_code == 400, response.get_data(as_text=True)[:500]
    answer = response.get_json()
    assert answer["status"] == "malformed" and answer["message"].strip()
    assert _written() == before


def test_the_message_is_in_the_staffs_language(client, door):
    client.set_cookie("lang", "vi")
    for path in ("/checkin/scan", "/checkin/number"):
        response = _post(client, door, path, _nested(b"7"))
        assert response.status_code == 400
        assert response.get_json()["message"] == (
            "Không đọc được yêu cầu này. Vui lòng tải lại trang và thử lại.")


def test_the_same_routes_still_check_in_after_malformed_bodies(client, door):
    """The refusals leave the app as it was: the next well-formed post works."""
    for body in MALFORMED.values():
        _post(client, door, "/checkin/scan", body)
    response = _post(client, door, "/checkin/number", b'{"number": 7, "confirm": false}')
    assert response.status_code == 200 and response.get_json()["status"] == "confirm"
    response = _post(client, door, "/checkin/scan", b'{"token": "%s"}' % door.token.encode())
    assert response.status_code == 200 and response.get_json()["status"] == "created"
    assert _written()[0] == 1
