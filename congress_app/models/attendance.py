"""Why an official delegate is absent from a session, as the organisers entered it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow


class Absence(db.Model):
    """An absentee's reason (có lý do, with an optional note, or không có lý do) for one
    session, or for the congress when it has no sessions; one per delegate and session.

    Only the reason is stored: whether the delegate is absent is always read from the
    check-ins, so a late arrival simply stops being listed as absent.
    """

    __tablename__ = "absences"
    __table_args__ = (
        UniqueConstraint("delegate_id", "session_id", name="uq_absences_delegate_session"),
        Index("uq_absences_delegate_congress_wide", "delegate_id", unique=True,
              sqlite_where=text("session_id IS NULL"),
              postgresql_where=text("session_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    congress_id: Mapped[int] = mapped_column(ForeignKey("congresses.id"), index=True)
    delegate_id: Mapped[int] = mapped_column(ForeignKey("delegates.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("congress_sessions.id"),
                                                   index=True)
    excused: Mapped[bool]
    note: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    delegate: Mapped[Delegate] = relationship()  # noqa: F821
    session: Mapped[CongressSession | None] = relationship()  # noqa: F821
