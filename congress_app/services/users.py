"""Organiser accounts: creation and password checks."""

from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import Role, User
from . import audit
from .errors import InputRefused

PASSWORD_MIN = 8


def create_user(username: str, password: str, role: Role | str = Role.ADMIN) -> User:
    """Create an account; the password is stored only as a salted hash."""
    username = unicodedata.normalize("NFC", username.strip())
    if not username or len(username) > 80:
        raise InputRefused(_l("The username must be 1 to 80 characters."), field="username")
    if len(password) < PASSWORD_MIN:
        raise InputRefused(
            _l("The password must be at least %(min)d characters.", min=PASSWORD_MIN),
            field="password",
        )
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise InputRefused(_l("The username %(name)s is taken.", name=username), 409, "username")
    user = User(username=username, role=Role(role))
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record(None, "user.create", user, username=username, role=str(user.role))
    db.session.commit()
    return user


def authenticate(username: str, password: str) -> User | None:
    """The active account with this username and password, else None (and an audit entry)."""
    username = unicodedata.normalize("NFC", (username or "").strip())
    user = db.session.scalar(select(User).where(User.username == username))
    if user is not None and user.active and user.check_password(password or ""):
        audit.record(user, "auth.login", user)
        db.session.commit()
        return user
    audit.record(None, "auth.login_failed", None, username=username[:80])
    db.session.commit()
    return None
