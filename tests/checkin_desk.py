"""The check-in desk the check-in tests share: staff signed in, delegates with cards, and the
scan and count helpers."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from congress_app import create_app
from congress_app.extensions import db
from congress_app.models import CheckIn, Congress, Delegate, DelegateKind, Role
from congress_app.services import attendance as attendance_service

from .conftest import add_delegate

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
