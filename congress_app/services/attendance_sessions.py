"""Which session the door records for: chosen by the clock, or by the staff on the phone.

A check-in belongs to a session (phiên) of the congress. The clock's choice is the session
whose day and time window contain now, in the congress's time zone; between sessions the
next one of the day, else the last one that started (before the congress: the first). A
congress without sessions has one attendance for the whole congress: the choice is None.
"""

from __future__ import annotations

import enum
from datetime import datetime, time
from typing import Literal
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import Congress, CongressSession
from ..models.base import utcnow


class _ByClock(enum.Enum):
    CLOCK = "clock"


# Passed for `session` where the caller has no choice of its own: the clock decides.
CLOCK = _ByClock.CLOCK
SessionChoice = CongressSession | None | Literal[_ByClock.CLOCK]


def sessions_of(congress: Congress) -> list[CongressSession]:
    """The congress's sessions in the order they sit."""
    return list(db.session.scalars(
        select(CongressSession).where(CongressSession.congress_id == congress.id)
        .order_by(CongressSession.date, CongressSession.starts_at, CongressSession.position,
                  CongressSession.id)))


def _zone(timezone: str | None) -> ZoneInfo:
    return ZoneInfo(timezone or current_app.config["CONGRESS_TIMEZONE"])


def current_session(congress: Congress, now: datetime | None = None,
                    timezone: str | None = None) -> CongressSession | None:
    """The session the clock says is on now (see the module docstring); None without any."""
    ordered = sessions_of(congress)
    if not ordered:
        return None
    local = (now or utcnow()).astimezone(_zone(timezone)).replace(tzinfo=None)
    today = [s for s in ordered if s.date == local.date()]
    starts = [datetime.combine(s.date, s.starts_at) for s in today]
    for i, session in enumerate(today):
        if session.ends_at is not None:
            end = datetime.combine(session.date, session.ends_at)
        elif i + 1 < len(today):
            end = starts[i + 1]
        else:
            end = datetime.combine(session.date, time.max)
        if starts[i] <= local < end:
            return session
    for start, session in zip(starts, today, strict=True):
        if start > local:
            return session
    started = [s for s in ordered if datetime.combine(s.date, s.starts_at) <= local]
    return started[-1] if started else ordered[0]


def resolve(congress: Congress, session: SessionChoice) -> CongressSession | None:
    """The session meant by a caller's choice: CLOCK asks current_session()."""
    return current_session(congress) if session is CLOCK else session


def session_of_congress(congress: Congress, session_id: int | None) -> CongressSession | None:
    """The congress's session with this id, else None (another congress's id included)."""
    if session_id is None:
        return None
    return db.session.scalar(select(CongressSession).where(
        CongressSession.id == session_id, CongressSession.congress_id == congress.id))
