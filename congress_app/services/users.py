"""Organiser accounts: creation, password checks, the admins' account management and the
demo account's published password.

Every change takes the acting account (`actor`; None for the server's own CLI, which may do
anything) and refuses what that account may not do: an admin tied to one congress only
manages that congress's accounts; no change may leave a congress, or the instance, without
an active admin.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Mapping
from functools import lru_cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import Congress, Delegate, Role, User
from ..qr import is_local_base_url
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


def _refuse_published(password: str) -> None:
    """The demo password is printed in the README: no account may choose it."""
    if password == demo_credentials()[1]:
        raise InputRefused(_l("This is the demo password published in the README: anyone "
                              "could sign in with it. Choose another."), field="password")


def _role(value: Role | str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InputRefused(_l("There is no role “%(role)s”: choose admin, editor or check-in.",
                              role=str(value)[:20]), field="role") from None


def _scope(congress: Congress | None) -> str:
    """How an account's congress tie reads in the audit trail and the CLI."""
    return congress.slug if congress is not None else "every congress"


def create_user(username: str, password: str, role: Role | str = Role.ADMIN,
                congress: Congress | None = None, *, by: User | None = None,
                one_time: bool = False) -> User:
    """Create an account; the password is stored only as a salted hash. With a congress, the
    account works for that congress only; without, for every congress of the instance.
    A one-time password must be replaced at the account's first sign-in."""
    username = unicodedata.normalize("NFC", username.strip())
    if not username or len(username) > 80:
        raise InputRefused(_l("The username must be 1 to 80 characters."), field="username")
    check_new_password(username, password)
    if username != demo_credentials()[0]:  # only the seeded demo account has that password
        _refuse_published(password)
    role = _role(role)
    def taken() -> InputRefused:
        return InputRefused(_l("The username %(name)s is taken.", name=username), 409,
                            "username")

    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise taken()
    user = User(username=username, role=role, must_change_password=one_time,
                congress_id=congress.id if congress is not None else None)
    user.set_password(password)
    db.session.add(user)
    # Taken meanwhile: another admin created the same username between the check and here.
    audit.commit(by, "user.create", user, refused=taken, username=username,
                 role=str(user.role), congress=congress.slug if congress is not None else "")
    return user


def change_password(user: User, password: str, *, by: User | None = None,
                    one_time: bool = False) -> None:
    """Set a new password; every session signed in with the old one ends (credential_stamp).
    A one-time password (set by an admin or the CLI) must be replaced at the next sign-in."""
    check_new_password(user.username, password)
    _refuse_published(password)
    user.set_password(password)
    user.end_sessions()
    user.must_change_password = one_time
    if one_time:
        audit.commit(by, "user.password_set", user, username=user.username, one_time=True)
    else:
        audit.commit(by, "user.password_changed", user, username=user.username)


def change_own_password(user: User, current: str, password: str) -> None:
    """An account replaces its own password, proving it knows the current one."""
    if not user.check_password(current or ""):
        raise InputRefused(_l("The current password is not right."), field="current")
    if password == current:
        raise InputRefused(_l("The new password must differ from the current one."),
                           field="password")
    change_password(user, password, by=user)


@functools.cache
def _dummy_hash(method: str) -> str:
    """A hash made the way real passwords are (the app's PASSWORD_HASH_METHOD)."""
    return generate_password_hash("no account has this password", method=method)


def _verify_without_an_account(password: str) -> None:
    """Spend on an unknown or inactive username the time a real password check takes, so
    the answer's delay does not tell which usernames exist."""
    check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)


def authenticate(username: str, password: str, address: str | None = None) -> User | None:
    """The active account with this username and password, else None (and an audit entry).
    The demo password is refused (InputRefused) while other computers can reach the app."""
    username = unicodedata.normalize("NFC", (username or "").strip())
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        _verify_without_an_account(password or "")
    elif user.check_password(password or ""):
        refuse_published_sign_in(user, password, address)
        audit.commit(user, "auth.login", user, address=address)
        return user
    audit.commit(None, "auth.login_failed", None, username=username[:80], address=address)
    return None


def sign_out(account: User | Delegate) -> None:
    """Sign-out ends every session of the account or card, not only this browser's: a copy
    of its cookies taken earlier no longer signs anyone in."""
    with audit.edit_transaction():
        account.end_sessions()


def record_paused_login(username: str, address: str | None) -> None:
    """A sign-in refused by the rate limit: its password was never checked, but it is logged."""
    username = unicodedata.normalize("NFC", (username or "").strip())
    audit.commit(None, "auth.login_paused", None, username=username[:80], address=address)


# The demo account ---------------------------------------------------------------------


# The demo admin `flask seed-demo` creates, and the password the README publishes.
DEMO_ORGANISER = ("bantochuc", "daihoi2025-thanhxuan")


def demo_credentials() -> tuple[str, str]:
    return DEMO_ORGANISER


@lru_cache(maxsize=64)
def _is_published_hash(password_hash: str) -> bool:
    # A hash check costs tens of milliseconds; each new password has a new hash (fresh salt),
    # so the answer for one hash never changes.
    return check_password_hash(password_hash, demo_credentials()[1])


def has_published_password(user: User) -> bool:
    """Whether the account's password is still the demo password of the README."""
    return _is_published_hash(user.password_hash)


def demo_account_exposed() -> User | None:
    """The demo admin while it is active and its password is still the published one."""
    user = db.session.scalar(select(User).where(User.username == demo_credentials()[0]))
    if user is not None and user.active and has_published_password(user):
        return user
    return None


def is_loopback_host(host: str) -> bool:
    """An address only this computer can connect to (0.0.0.0 means every network)."""
    host = host.strip().strip("[]").lower()
    return host in {"localhost", "::1"} or host.startswith("127.")


def served_beyond_this_computer(config: Mapping | None = None) -> bool:
    """Whether other computers can reach the app: it listens on more than loopback, or its
    public address (what QR codes encode) is not this computer."""
    config = config if config is not None else current_app.config
    return (not is_loopback_host(config.get("HOST") or "127.0.0.1")
            or not is_local_base_url(config.get("PUBLIC_BASE_URL") or ""))


def demo_sign_in_works(config: Mapping | None = None) -> bool:
    """What `flask serve` may print: the demo credentials while they would be accepted."""
    return demo_account_exposed() is not None and not served_beyond_this_computer(config)


def refuse_published_sign_in(user: User, password: str, address: str | None = None) -> None:
    """Refuse the published demo password when the app is reachable from the hall network or
    the internet; on this computer alone it still works, so a new one can be set."""
    if password != demo_credentials()[1] or not served_beyond_this_computer():
        return
    audit.commit(None, "auth.login_refused_demo", user, username=user.username,
                 address=address)
    raise InputRefused(_l(
        "This is the demo password published in the README, and this app can be reached from "
        "other computers, so it is refused. Set a new password on the server with “flask "
        "set-password %(username)s”, or start the app for this computer only (without HOST "
        "and PUBLIC_BASE_URL), sign in there and change it under Organise › Accounts.",
        username=user.username), 403)


# Managing accounts --------------------------------------------------------------------


def visible_accounts(actor: User | None) -> list[User]:
    """The accounts an admin sees: every one for an admin of every congress, else those that
    serve its congress (its own and those serving every congress)."""
    query = select(User).order_by(User.username)
    if actor is not None and actor.congress_id is not None:
        query = query.where(or_(User.congress_id == actor.congress_id,
                                User.congress_id.is_(None)))
    return list(db.session.scalars(query))


def may_see(actor: User | None, target: User) -> bool:
    return actor is None or actor.congress_id is None or target.congress_id in (
        None, actor.congress_id)


def may_change(actor: User | None, target: User) -> bool:
    """An admin tied to a congress changes only that congress's accounts, never one that
    serves every congress (that would reach the other congresses)."""
    return actor is None or actor.congress_id is None or target.congress_id == actor.congress_id


def _check_change(actor: User | None, target: User) -> None:
    if not may_change(actor, target):
        raise InputRefused(_l("There is no such account."), 404)


def _check_tie(actor: User | None, congress: Congress | None) -> None:
    """An admin tied to a congress makes and keeps accounts for that congress only."""
    if actor is not None and actor.congress_id is not None and (
            congress is None or congress.id != actor.congress_id):
        raise InputRefused(_l("You can only tie accounts to the congress you serve."),
                           field="congress")


def _keep_an_admin(target: User, *, role: Role, congress_id: int | None, active: bool) -> None:
    """Refuse a change that leaves a congress (or, for an admin of every congress, the
    instance) without an active admin: nobody could manage its accounts any more."""
    if not (target.active and target.role == Role.ADMIN):
        return
    still_admin = active and role == Role.ADMIN
    others = db.session.scalars(
        select(User).where(User.role == Role.ADMIN, User.active.is_(True), User.id != target.id)
        .with_for_update()  # two admins demoting each other at once: one waits
    ).all()
    if target.congress_id is None:
        if (still_admin and congress_id is None) or any(o.congress_id is None for o in others):
            return
        raise InputRefused(_l(
            "%(name)s is the last active admin serving every congress: make another account an "
            "admin of every congress first.", name=target.username), 409)
    if still_admin and congress_id in (None, target.congress_id):
        return
    if any(o.congress_id in (None, target.congress_id) for o in others):
        return
    raise InputRefused(_l(
        "%(name)s is the last active admin of this congress: make another account an admin "
        "first.", name=target.username), 409)


def create_account(actor: User | None, username: str, password: str, role: Role | str,
                   congress: Congress | None, *, one_time: bool = True) -> User:
    """An admin adds an account; the password it chose must be replaced at first sign-in."""
    _check_tie(actor, congress)
    return create_user(username, password, role, congress, by=actor, one_time=one_time)


def update_account(actor: User | None, target: User, role: Role | str,
                   congress: Congress | None) -> bool:
    """Change an account's role or congress tie; False when nothing changed."""
    _check_change(actor, target)
    _check_tie(actor, congress)
    role = _role(role)
    congress_id = congress.id if congress is not None else None
    changes = {}
    if role != target.role:
        changes["role"] = f"{target.role} → {role}"
    if congress_id != target.congress_id:
        changes["congress"] = f"{_scope(target.congress)} → {_scope(congress)}"
    if not changes:
        return False
    _keep_an_admin(target, role=role, congress_id=congress_id, active=target.active)
    target.role = role
    target.congress_id = congress_id
    target.congress = congress
    audit.commit(actor, "user.update", target, username=target.username, **changes)
    return True


def set_active(actor: User | None, target: User, active: bool) -> bool:
    """Deactivate (every session ends, sign-in is refused) or reactivate an account; False
    when it already was so."""
    _check_change(actor, target)
    if target.active == active:
        return False
    if not active:
        _keep_an_admin(target, role=target.role, congress_id=target.congress_id, active=False)
    target.active = active
    # Reactivating must not bring back cookies from before the deactivation either.
    target.end_sessions()
    audit.commit(actor, "user.reactivate" if active else "user.deactivate", target,
                 username=target.username)
    return True


def set_one_time_password(actor: User | None, target: User, password: str) -> None:
    """An admin gives an account a password to pass on; it must be changed at next sign-in."""
    _check_change(actor, target)
    change_password(target, password, by=actor, one_time=True)


def by_username(username: str) -> User | None:
    username = unicodedata.normalize("NFC", (username or "").strip())
    return db.session.scalar(select(User).where(User.username == username))
