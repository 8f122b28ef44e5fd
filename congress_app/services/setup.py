"""Starting an empty instance: the one-time set-up link and the first administrator.

An instance started without the demo has no account, and nobody should need a command to
make one. `flask serve` prints a link with a random token instead; whoever can read the
console of the computer running the app opens it and creates the first administrator. Only
the token's sha256 is stored; each start replaces the previous token, using it deletes it,
and no token is issued or accepted once an active administrator exists.
"""

from __future__ import annotations

import hashlib
import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from ..extensions import db
from ..models import Role, SetupToken, User
from . import audit
from . import users as user_service
from .errors import InputRefused

SETUP_ACTION = "instance.setup"
INVALID_LINK = _l("This set-up link is not valid or has already been used. While the site has "
                  "no administrator, the console of the computer running the app shows a new "
                  "link each time the app starts.")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def needs_setup() -> bool:
    """No active administrator: nobody could sign in and set the instance up."""
    return db.session.scalar(
        select(User.id).where(User.role == Role.ADMIN, User.active.is_(True)).limit(1)
    ) is None


def issue_token() -> str | None:
    """A new set-up token (the previous one stops working), or None once an admin exists."""
    with audit.edit_transaction():
        db.session.execute(delete(SetupToken))
        if not needs_setup():
            return None
        token = secrets.token_urlsafe(32)
        db.session.add(SetupToken(token_hash=_digest(token)))
    return token


def token_is_valid(token: str) -> bool:
    """Whether this token may still create the first administrator."""
    if not token or len(token) > 100:
        return False
    return needs_setup() and db.session.scalar(
        select(SetupToken.id).where(SetupToken.token_hash == _digest(token))) is not None


def create_first_admin(token: str, username: str, password: str) -> User:
    """Use the token (once) to create an administrator serving every congress.

    The token's row is deleted in the same transaction that adds the account, so two people
    sending the form at once cannot both succeed; a refused password keeps the token.
    """
    if not token_is_valid(token):
        raise InputRefused(INVALID_LINK, 404)
    with audit.edit_transaction():
        used = db.session.execute(delete(SetupToken).where(
            SetupToken.token_hash == _digest(token))).rowcount
        if used != 1:
            raise InputRefused(INVALID_LINK, 404)
        user = user_service.create_user(username, password, Role.ADMIN)  # commits both
    audit.commit(user, SETUP_ACTION, user, username=user.username)
    return user


def console_lines(local_base: str, public_base: str) -> list[str]:
    """What `flask serve` prints on an instance without an administrator: the set-up link
    (a fresh one each start), at this computer's address and, if different, the public one."""
    token = issue_token()
    if token is None:
        return []
    path = f"/setup/{token}"
    lines = ["  No administrator yet. Open this one-time link to create the first one:",
             f"    {local_base.rstrip('/')}{path}"]
    if public_base.rstrip("/") != local_base.rstrip("/"):
        lines.append(f"    (from another computer: {public_base.rstrip('/')}{path})")
    return lines
