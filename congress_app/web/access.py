"""Who may open an organiser-side page, and which rows it may load: decided here only.

Indico's lesson: a check every view repeats is a check some view forgets. Each organiser-side
view names the accounts it admits with one decorator below, and loads every row its URL
names with own_or_404, so another congress's ids answer 404 (the row does not exist for
this page) whatever the view itself does. A page never tells one congress's staff that
another congress's session, document, delegate or account exists.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required

from ..extensions import db
from ..models import (
    AgendaItem,
    CheckIn,
    Comment,
    Congress,
    CongressSession,
    Delegate,
    Document,
    Role,
    User,
    Vote,
)
from ..services import users as user_service
from ..services.errors import InputRefused
from .tenancy import get_congress

Row = TypeVar("Row")

# Every account of the organisers' side; the door phones need no more than this.
STAFF_ROLES = frozenset({Role.CHECKIN, Role.EDITOR, Role.ADMIN})


# Role decorators -----------------------------------------------------------------------


def _admitting(view, may_enter: Callable[[User], bool]):
    """Anonymous visitors go to sign-in; a delegate, or an account `may_enter` refuses,
    gets 403."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if getattr(current_user, "is_delegate", True) or not may_enter(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def staff_required(view):
    """Any organiser-side account: admins, editors and check-in staff (the door phones, and
    one's own password). A phone signed in as a delegate is refused."""
    return _admitting(view, lambda user: user.role in STAFF_ROLES)


def organiser_required(view):
    """Accounts that prepare the congress: admins and editors."""
    return _admitting(view, lambda user: user.can_edit)


def admin_required(view):
    """Admins only: accounts, the audit log, the archive, closing the congress."""
    return _admitting(view, lambda user: user.role == Role.ADMIN)


def every_congress_required(view):
    """Organisers serving every congress: accounts tied to one never see the others, not
    even their names."""
    return _admitting(view, lambda user: user.can_edit and user.serves_every_congress)


# The congress-scoped loader ------------------------------------------------------------

# How a row of one congress names it.
_CONGRESS_OF: dict[type, Callable[[Any], int]] = {
    CongressSession: lambda session: session.congress_id,
    AgendaItem: lambda item: item.session.congress_id,
    Document: lambda document: document.congress_id,
    Delegate: lambda delegate: delegate.congress_id,
    CheckIn: lambda checkin: checkin.congress_id,
    Comment: lambda comment: comment.congress_id,
    Vote: lambda vote: vote.congress_id,
}


def own_or_404(model: type[Row], row_id: int, *, missing=None) -> Row:
    """The row of `model` with this id, if it is this page's to show; else 404.

    A congress's row (session, item, document, delegate, check-in) is ours when it belongs
    to the congress of this request and the account serves that congress. A congress is ours
    when the account serves it (an all-congress account picks among them). An account is
    ours when the signed-in admin may see it (services.users.may_see: its own congress's
    accounts and those serving every congress).

    `missing`, when given, is the message of the 404 (an InputRefused, which a JSON view
    turns into its own answer) instead of the plain 404 page.
    """
    row = db.session.get(model, row_id)
    if row is None or not _ours(row):
        if missing is not None:
            raise InputRefused(missing, 404)
        abort(404)
    return row


def _ours(row) -> bool:
    user = current_user._get_current_object()
    if not getattr(user, "is_authenticated", False) or getattr(user, "is_delegate", True):
        return False
    if isinstance(row, Congress):
        return user.serves(row.id)
    if isinstance(row, User):
        return user_service.may_see(user, row)
    congress = get_congress()
    return (congress is not None and user.serves(congress.id)
            and _CONGRESS_OF[type(row)](row) == congress.id)
