"""Delegates: the rules for their details, editing them by hand, their card credentials and
sign-in lookups.

A card carries a personal link token and a 6-digit PIN. Both are derived with HMAC from the
app's secret key, the delegate's id and their credential version, so a lost card can be
printed again without keeping any plaintext: the database stores only a sha256 of the token
and a keyed hash (HMAC) of the PIN. Reissuing bumps the version, and the old card stops working.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import unicodedata
from functools import partial

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from ..extensions import db
from ..models import (
    Absence,
    AuditEvent,
    Comment,
    Congress,
    Delegate,
    DelegateKind,
    User,
    VoteBallot,
)
from ..spreadsheet_cells import looks_like_formula
from . import audit
from .delegate_fields import FIELD_LABELS, clean_cell, fold
from .delegate_profile import ProfileRefused, parse_details
from .errors import InputRefused

TOKEN_BYTES = 20  # 160 bits → 32 base32 characters
PIN_DIGITS = 6


# What a delegate's details may hold ---------------------------------------------------

NUMBER_MAX = 99_999
# The longest text each column may hold (the model's column sizes).
FIELD_MAX = {"full_name": 200, "unit": 300, "discussion_group": 100, "seat": 20}
TEXT_FIELDS = tuple(FIELD_MAX)


def cell_problem(raw: str, name: str):
    """Why this cell's text may not be stored, or None."""
    # A roster cell is exported and opened again: formula-like text is never stored.
    if looks_like_formula(raw) or looks_like_formula(clean_cell(raw)):
        return _("%(field)s: a cell may not start with =, +, -, @ (spreadsheets run it as "
                 "a formula).", field=FIELD_LABELS[name])
    # Line breaks and tabs inside a cell become spaces; invisible characters are refused.
    if any(unicodedata.category(c) == "Cf" or (unicodedata.category(c) == "Cc"
                                                and not c.isspace()) for c in raw):
        return _("%(field)s: contains an invisible character. Retype the cell.",
                 field=FIELD_LABELS[name])
    if name in FIELD_MAX and len(clean_cell(raw)) > FIELD_MAX[name]:
        return _("%(field)s is too long (at most %(max)d characters).",
                 field=FIELD_LABELS[name], max=FIELD_MAX[name])
    return None


def search_text(full_name: str, unit: str) -> str:
    """What the roster search matches: folded name and unit."""
    return fold(f"{full_name} {unit}")


# Card credentials ----------------------------------------------------------------------


def _derive(purpose: str, delegate: Delegate) -> bytes:
    key = current_app.config["SECRET_KEY"].encode()
    message = f"congress_app card {purpose}:{delegate.id}:{delegate.credential_version}"
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def card_token(delegate: Delegate) -> str:
    """The token printed in the card's QR code: upper-case base32, so the URL fits QR
    alphanumeric mode and stays short."""
    return base64.b32encode(_derive("token", delegate)[:TOKEN_BYTES]).decode("ascii")


def card_pin(delegate: Delegate) -> str:
    """The 6-digit PIN printed on the card, for phones that cannot scan."""
    number = int.from_bytes(_derive("pin", delegate)[:8], "big") % 10**PIN_DIGITS
    return f"{number:0{PIN_DIGITS}d}"


def pin_digest(delegate: Delegate, pin: str) -> str:
    """A keyed hash of the PIN. Six digits are only a million values, so no slow hash
    would stop an offline search; the secret key does: without it the stored digests are
    useless. Online guessing is stopped by the rate limit on the sign-in form."""
    key = current_app.config["SECRET_KEY"].encode()
    message = f"congress_app pin:{delegate.id}:{pin}".encode()
    return "hmac-sha256:" + hmac.new(key, message, hashlib.sha256).hexdigest()


def token_digest(token: str) -> str:
    return hashlib.sha256(token.strip().upper().encode()).hexdigest()


def issue_credentials(delegate: Delegate) -> None:
    """Store the hashes of the current version's token and PIN (the caller commits).

    The delegate must have an id: flush first when it is new.
    """
    delegate.token_hash = token_digest(card_token(delegate))
    delegate.pin_hash = pin_digest(delegate, card_pin(delegate))


def reissue_credentials(delegate: Delegate, *, user: User | None = None) -> None:
    """Invalidate the printed card at once and make new credentials for a new card."""
    delegate.credential_version += 1
    issue_credentials(delegate)
    audit.commit(user, "delegate.reissue", delegate, number=delegate.number,
                 version=delegate.credential_version)


def delegate_by_token(token: str, congress: Congress | None = None) -> Delegate | None:
    """The active delegate whose current card carries this token, or None."""
    if not token or len(token) > 100:
        return None
    delegate = db.session.scalar(
        select(Delegate).where(Delegate.token_hash == token_digest(token))
    )
    if delegate is None or not delegate.active:
        return None
    if congress is not None and delegate.congress_id != congress.id:
        return None
    return delegate


def delegate_by_number(congress: Congress, number: int) -> Delegate | None:
    return db.session.scalar(
        select(Delegate).where(Delegate.congress_id == congress.id, Delegate.number == number)
    )


def check_pin(congress: Congress, number: int, pin: str) -> Delegate | None:
    """The active delegate with this number and PIN, or None."""
    delegate = delegate_by_number(congress, number)
    if delegate is None or not delegate.active or not delegate.pin_hash:
        return None
    if not (pin.isdigit() and len(pin) == PIN_DIGITS):
        return None
    return delegate if hmac.compare_digest(delegate.pin_hash, pin_digest(delegate, pin)) else None


# Editing by hand ---------------------------------------------------------------------


def _clean_delegate(congress: Congress, delegate: Delegate | None, *, number, full_name,
                    unit, discussion_group, seat, kind, group_secretary=False,
                    **details) -> dict:
    """The checked values of a delegate, or InputRefused naming the field. A group's
    secretary needs a group: they enter its opinion on the drafts (services/comment_groups).
    `details` are the optional ones of the credentials report (services/delegate_profile):
    only those given are checked and changed."""

    if number is None:
        raise InputRefused(_("Enter the delegate's number (STT)."), field="number")
    if not 1 <= number <= NUMBER_MAX:
        raise InputRefused(_("The number must be from 1 to %(max)d.", max=NUMBER_MAX),
                           field="number")
    values: dict = {"number": number}
    for name, raw in (("full_name", full_name), ("unit", unit),
                      ("discussion_group", discussion_group), ("seat", seat)):
        raw = raw or ""
        problem = cell_problem(raw, name)
        if problem is not None:
            raise InputRefused(problem, field=name)
        values[name] = clean_cell(raw)
    if not values["full_name"]:
        raise InputRefused(_("Enter the delegate's full name."), field="full_name")
    values["group_secretary"] = bool(group_secretary)
    if values["group_secretary"] and not values["discussion_group"]:
        raise InputRefused(_("Enter the discussion group this delegate is the secretary of."),
                           field="discussion_group")
    try:
        values["kind"] = DelegateKind(kind or DelegateKind.OFFICIAL)
    except ValueError:
        raise InputRefused(_("Choose one of the options in the list."), field="kind") from None
    taken = delegate_by_number(congress, number)
    if taken is not None and taken is not delegate:
        raise InputRefused(
            _("Number %(number)d is already taken by %(name)s. Each delegate needs their "
              "own number.", number=number, name=taken.full_name),
            409, "number",
        )
    try:
        values.update(parse_details(details))
    except ProfileRefused as refused:
        raise InputRefused(refused.message, field=refused.field) from None
    values["search_name"] = search_text(values["full_name"], values["unit"])
    return values


def _number_taken(number: int) -> InputRefused:
    return InputRefused(
        _("Number %(number)d is already taken by another delegate.", number=number),
        409, "number",
    )


def _commit(user: User | None, action: str, delegate: Delegate, **detail) -> None:
    """Flush, issue credentials to a new delegate, audit, commit; undo all on failure."""
    number = delegate.number
    with audit.edit_transaction(partial(_number_taken, number)):
        db.session.flush()
        if delegate.token_hash is None:
            issue_credentials(delegate)
        audit.record(user, action, delegate, number=number, **detail)


def create_delegate(congress: Congress, *, user: User | None = None, **details) -> Delegate:
    """Add one delegate by hand, with card credentials."""
    values = _clean_delegate(congress, None, **details)
    delegate = Delegate(congress_id=congress.id, **values)
    db.session.add(delegate)
    _commit(user, "delegate.create", delegate, name=delegate.full_name)
    return delegate


def update_delegate(delegate: Delegate, *, user: User | None = None, **details) -> None:
    """Change a delegate's details; the printed card keeps working."""
    values = _clean_delegate(delegate.congress, delegate, **details)
    changed = sorted(k for k, v in values.items()
                     if k != "search_name" and getattr(delegate, k) != v)
    for key, value in values.items():
        setattr(delegate, key, value)
    _commit(user, "delegate.update", delegate, changed=changed)


def set_active(delegate: Delegate, active: bool, *, user: User | None = None) -> None:
    """Deactivate (the card and PIN stop working) or reactivate a delegate; no row is deleted."""
    if delegate.active == active:
        return
    delegate.active = active
    delegate.end_sessions()  # a phone signed in before the deactivation stays signed out
    _commit(user, "delegate.reactivate" if active else "delegate.deactivate", delegate)


def checked_in_message(delegate: Delegate):
    return _l("%(name)s has been checked in, so the delegate cannot be deleted: the arrival "
              "is part of the attendance record. Deactivate the delegate instead.",
              name=delegate.full_name)


def delete_delegate(delegate: Delegate, *, user: User | None = None) -> None:
    """Remove a delegate entered by mistake. One who has been checked in stays: the arrival
    is part of the congress's attendance record (deactivate such a delegate instead)."""
    refused = InputRefused(checked_in_message(delegate), 409)
    if delegate.checkin is not None:
        raise refused
    if db.session.scalar(select(Comment.id).where(Comment.author_id == delegate.id).limit(1)):
        raise InputRefused(_l("%(name)s has written comments on the draft documents, so the "
                              "delegate cannot be deleted: the comments are part of the "
                              "congress's record. Deactivate the delegate instead.",
                              name=delegate.full_name), 409)
    if db.session.scalar(select(VoteBallot.id).where(VoteBallot.delegate_id == delegate.id)
                         .limit(1)):
        raise InputRefused(_l("%(name)s has voted in the congress, so the delegate cannot be "
                              "deleted: the vote is part of the congress's record. Deactivate "
                              "the delegate instead.", name=delegate.full_name), 409)
    # An IntegrityError: checked in at the door between the test above and the delete.
    with audit.edit_transaction(lambda: refused):
        # Earlier events of the delegate lose the row they named (SQLite may hand its id to
        # the next delegate added); their details keep the number, this one the name too.
        db.session.execute(
            update(AuditEvent)
            .where(AuditEvent.object_type == "Delegate", AuditEvent.object_id == delegate.id)
            .values(object_type="", object_id=None),
            execution_options={"synchronize_session": False})
        audit.record(user, "delegate.delete", None, number=delegate.number,
                     name=delegate.full_name).congress_id = delegate.congress_id
        # Reasons for absence entered for a delegate added by mistake go with them.
        db.session.execute(delete(Absence).where(Absence.delegate_id == delegate.id),
                           execution_options={"synchronize_session": False})
        db.session.delete(delegate)
