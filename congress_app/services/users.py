"""Organiser accounts: creation and password checks."""

from __future__ import annotations

import functools
import unicodedata

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import Congress, Delegate, Role, User
from . import audit
from .errors import InputRefused

PASSWORD_MIN = 12
# The sign-in form accepts at most this many characters: a longer password could never be used.
PASSWORD_MAX = 200


def check_new_password(username: str, password: str) -> None:
    """Refuse a password that is short or is the username: both are the first guesses."""
    if len(password) < PASSWORD_MIN:
        raise InputRefused(
            _l("The password must be at least %(min)d characters.", min=PASSWORD_MIN),
            field="password",
        )
    if len(password) > PASSWORD_MAX:
        raise InputRefused(
            _l("The password is too long (at most %(max)d characters).", max=PASSWORD_MAX),
            field="password",
        )
    if unicodedata.normalize("NFC", password.strip()).casefold() == username.casefold():
        raise InputRefused(_l("The password must not be the username."), field="password")


def create_user(username: str, password: str, role: Role | str = Role.ADMIN,
                congress: Congress | None = None) -> User:
    """Create an account; the password is stored only as a salted hash. With a congress, the
    account works for that congress only; without, for every congress of the instance."""
    username = unicodedata.normalize("NFC", username.strip())
    if not username or len(username) > 80:
        raise InputRefused(_l("The username must be 1 to 80 characters."), field="username")
    check_new_password(username, password)
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise InputRefused(_l("The username %(name)s is taken.", name=username), 409, "username")
    user = User(username=username, role=Role(role),
                congress_id=congress.id if congress is not None else None)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record(None, "user.create", user, username=username, role=str(user.role),
                 congress=congress.slug if congress is not None else "")
    db.session.commit()
    return user


def change_password(user: User, password: str, *, by: User | None = None) -> None:
    """Set a new password; every session signed in with the old one ends (credential_stamp)."""
    check_new_password(user.username, password)
    user.set_password(password)
    user.end_sessions()
    audit.record(by, "user.password_changed", user, username=user.username)
    db.session.commit()


@functools.cache
def _dummy_hash() -> str:
    """A hash made the way real passwords are (generate_password_hash's default method)."""
    return generate_password_hash("no account has this password")


def _verify_without_an_account(password: str) -> None:
    """Spend on an unknown or inactive username the time a real password check takes, so
    the answer's delay does not tell which usernames exist."""
    check_password_hash(_dummy_hash(), password)


def authenticate(username: str, password: str, address: str | None = None) -> User | None:
    """The active account with this username and password, else None (and an audit entry)."""
    username = unicodedata.normalize("NFC", (username or "").strip())
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        _verify_without_an_account(password or "")
    elif user.check_password(password or ""):
        audit.record(user, "auth.login", user, address=address)
        db.session.commit()
        return user
    audit.record(None, "auth.login_failed", None, username=username[:80], address=address)
    db.session.commit()
    return None


def sign_out(account: User | Delegate) -> None:
    """Sign-out ends every session of the account or card, not only this browser's: a copy
    of its cookies taken earlier no longer signs anyone in."""
    account.end_sessions()
    db.session.commit()


def record_paused_login(username: str, address: str | None) -> None:
    """A sign-in refused by the rate limit: its password was never checked, but it is logged."""
    username = unicodedata.normalize("NFC", (username or "").strip())
    audit.record(None, "auth.login_paused", None, username=username[:80], address=address)
    db.session.commit()
