"""Reasons for absence the organisers enter per session: có lý do (excused, with an optional
note) or không có lý do (unexcused). Whether someone is absent is read from the check-ins;
the reason is shown next to them on the attendance page and the sheet.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import Absence, CheckIn, Congress, CongressSession, DelegateKind, User
from ..models.base import utcnow
from . import audit
from . import delegates as delegate_service
from .attendance_sessions import CLOCK, SessionChoice, resolve
from .errors import InputRefused

REASONS = ("excused", "unexcused")
NOTE_MAX = 500


def _same_session(column, session: CongressSession | None):
    return column == session.id if session is not None else column.is_(None)


def mark_absence(congress: Congress, number: int, reason: str, note: str,
                 user: User | None, session: SessionChoice = CLOCK) -> Absence | None:
    """Set (or with reason "" clear) why an official delegate is absent from the session,
    audited. Refused, nothing changed: an unknown number, an alternate or guest, a delegate
    off the roster, one checked in to the session, a reason or note we do not know."""
    if reason not in (*REASONS, ""):
        raise InputRefused(_l("Choose whether the absence is excused or not."), field="reason")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise InputRefused(_l("The note can be at most %(max)d characters long.",
                              max=NOTE_MAX), field="note")
    chosen = resolve(congress, session)
    delegate = delegate_service.delegate_by_number(congress, number)
    if delegate is None:
        raise InputRefused(_l("Nobody on the roster has number %(number)d.", number=number),
                           404, field="number")
    if not delegate.active or delegate.kind != DelegateKind.OFFICIAL:
        raise InputRefused(_l("Reasons for absence are kept for active official delegates "
                              "only."), 409, field="number")
    if db.session.scalar(select(CheckIn.id).where(
            CheckIn.delegate_id == delegate.id, _same_session(CheckIn.session_id, chosen))):
        raise InputRefused(_l("%(name)s is checked in to this session, not absent.",
                              name=delegate.full_name), 409, field="number")
    row = db.session.scalar(select(Absence).where(
        Absence.delegate_id == delegate.id, _same_session(Absence.session_id, chosen)))
    # Two organisers entering the same absentee at once: the second is told to reload.
    with audit.edit_transaction(lambda: InputRefused(
            _l("Someone entered this absence at the same time. Reload the page."), 409)):
        if reason == "":
            if row is not None:
                db.session.delete(row)
            row = None
        else:
            if row is None:
                row = Absence(congress_id=congress.id, delegate_id=delegate.id,
                              session_id=chosen.id if chosen is not None else None)
                db.session.add(row)
            row.excused = reason == "excused"
            row.note = note if row.excused else ""
            row.by_user_id = user.id if user is not None else None
            row.at = utcnow()
        db.session.flush()
        audit.record(user, "delegate.absence", delegate, number=delegate.number,
                     reason=reason, note=note if reason == "excused" else "",
                     session=chosen.id if chosen is not None else None)
    return row
