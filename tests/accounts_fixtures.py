"""The accounts tests' admin signed in, second ward and the helpers that post forms and read
back accounts and audit events."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from congress_app.extensions import db
from congress_app.models import AuditEvent, Congress, User

from .conftest import ORGANISER, csrf_token_from, signed_in_client
from .routes import (
    blueprint_routes,
)

NEW_PASSWORD = "mật khẩu mới đủ dài"
ADMIN_RULES = [r for r in blueprint_routes("accounts") if r[0] != "accounts.own_password"]


def _post(client, path: str, data: dict | None = None, token_from: str = "/"):
    """POST a form with the session's CSRF token (read off a page with a form)."""
    html = client.get(token_from, follow_redirects=True).get_data(as_text=True)
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token_from(html)})


def _events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)))


def _reload(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def _new_account(**overrides) -> dict:
    return {"username": "thuky", "role": "editor", "congress": "", "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD, **overrides}


@pytest.fixture
def ward_b(app, congress) -> Congress:
    """A second congress on the instance, next to the `congress` fixture."""
    b = Congress(slug="binh-minh", title="Đại hội Đảng bộ phường Bình Minh",
                 organisation="Đảng bộ phường Bình Minh", starts_on=date(2025, 7, 24),
                 ends_on=date(2025, 7, 24))
    db.session.add(b)
    db.session.commit()
    return b


@pytest.fixture
def admin(app, client, organiser, congress):
    """The `organiser` admin (serving every congress), signed in, reading English."""
    return signed_in_client(app, ORGANISER[0], ORGANISER[1])
