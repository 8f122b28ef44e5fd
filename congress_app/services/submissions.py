"""Forms that make something are sent once: a one-time token travels with each "new …"
form, is recorded before anything is made, and a second sending of the same form (Back and
Save again, a double tap) finds it instead of making a duplicate."""

from __future__ import annotations

import re
import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import FormSubmission
from . import audit
from .errors import InputRefused

TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")


def new_token() -> str:
    """A fresh token for a form being shown."""
    return secrets.token_urlsafe(24)


class AlreadySubmitted(Exception):
    """This form was sent before: `object_id` is what it made (None while still saving)."""

    def __init__(self, object_type: str, object_id: int | None) -> None:
        super().__init__(object_type, object_id)
        self.object_type = object_type
        self.object_id = object_id


def claim(token: str | None, object_type: str) -> bool:
    """Record the token in its own transaction before anything is made; the database's
    unique key decides between two sendings at once. False when the form carried no token
    (a page from before tokens), which is then saved unchecked."""
    if not token:
        return False
    if not TOKEN.fullmatch(token):
        raise InputRefused(_l("The form is damaged. Reload the page and try again."))
    try:
        with audit.edit_transaction():
            db.session.add(FormSubmission(token=token, object_type=object_type))
    except IntegrityError:
        seen = db.session.get(FormSubmission, token)
        raise AlreadySubmitted(seen.object_type, seen.object_id) from None
    return True


def made(token: str, obj) -> None:
    """What the form made, for a later sending of the same form to find."""
    with audit.edit_transaction():
        db.session.get(FormSubmission, token).object_id = obj.id


def release(token: str) -> None:
    """The form was refused: once corrected, the same form may be sent again."""
    db.session.rollback()
    row = db.session.get(FormSubmission, token)
    if row is not None:
        with audit.edit_transaction():
            db.session.delete(row)
