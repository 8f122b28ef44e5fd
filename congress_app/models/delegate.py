"""Delegates of a congress, and their check-ins at the door (one per session)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow


class DelegateKind(enum.StrEnum):
    """Official delegates count towards the quorum; alternates and guests do not."""

    OFFICIAL = "official"
    ALTERNATE = "alternate"
    GUEST = "guest"


class Sex(enum.StrEnum):
    """As the roster states it; the credentials report counts the women."""

    MALE = "male"
    FEMALE = "female"


class EducationLevel(enum.StrEnum):
    """The highest professional qualification (trình độ chuyên môn) a roster lists."""

    DOCTORATE = "doctorate"
    MASTER = "master"
    UNIVERSITY = "university"
    COLLEGE = "college"
    VOCATIONAL = "vocational"
    GENERAL = "general"


class TheoryLevel(enum.StrEnum):
    """Political-theory training (trình độ lý luận chính trị): cao cấp, trung cấp, sơ cấp."""

    ADVANCED = "advanced"
    INTERMEDIATE = "intermediate"
    ELEMENTARY = "elementary"
    NONE = "none"


def _short_enum(kind: type[enum.StrEnum], length: int = 16):
    """An optional enum column stored as its value (no native enum: migrations stay plain)."""
    return db.Enum(kind, native_enum=False, length=length, create_constraint=False,
                   values_callable=lambda e: [m.value for m in e])


class Delegate(db.Model):
    """A delegate (đại biểu), who signs in on a phone with the personal QR code on a card.

    Only hashes of the card token and PIN are stored; reissuing bumps credential_version,
    which changes both, so an old card stops working at once.
    """

    __tablename__ = "delegates"
    __table_args__ = (UniqueConstraint("congress_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    congress_id: Mapped[int] = mapped_column(ForeignKey("congresses.id"), index=True)
    number: Mapped[int]
    full_name: Mapped[str] = mapped_column(String(200))
    # Lower-case, without diacritics: "nguyen van" finds "Nguyễn Văn".
    search_name: Mapped[str] = mapped_column(String(600), default="", index=True)
    unit: Mapped[str] = mapped_column(String(300), default="")
    discussion_group: Mapped[str] = mapped_column(String(100), default="")
    # The secretary of their discussion group enters the group's opinion on the drafts.
    group_secretary: Mapped[bool] = mapped_column(default=False, server_default=false())
    seat: Mapped[str] = mapped_column(String(20), default="")
    kind: Mapped[DelegateKind] = mapped_column(
        db.Enum(DelegateKind, native_enum=False, length=16,
                values_callable=lambda e: [m.value for m in e]),
        default=DelegateKind.OFFICIAL,
    )
    active: Mapped[bool] = mapped_column(default=True)
    # What the credentials committee reports on (services/credentials.py); all optional:
    # an empty value is counted as "no data", never guessed. A purge of personal data
    # clears them (services/closing.py).
    sex: Mapped[Sex | None] = mapped_column(_short_enum(Sex, 8))
    birth_year: Mapped[int | None]
    ethnicity: Mapped[str] = mapped_column(String(50), default="", server_default="")
    education: Mapped[EducationLevel | None] = mapped_column(_short_enum(EducationLevel))
    theory_level: Mapped[TheoryLevel | None] = mapped_column(_short_enum(TheoryLevel))
    party_joined_year: Mapped[int | None]
    position: Mapped[str] = mapped_column(String(200), default="", server_default="")
    credential_version: Mapped[int] = mapped_column(default=1)
    # Part of every session id: raising it ends every phone's session (end_sessions).
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    pin_hash: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    congress: Mapped[Congress] = relationship()  # noqa: F821
    checkins: Mapped[list[CheckIn]] = relationship(back_populates="delegate",
                                                   order_by="CheckIn.at")

    @property
    def checkin(self) -> CheckIn | None:
        """The latest arrival in any session: the roster's "checked in" tag, and what keeps
        a delegate from being deleted (an arrival is part of the attendance record)."""
        return self.checkins[-1] if self.checkins else None

    # flask-login: delegates and organiser accounts share one session mechanism.
    is_authenticated = True
    is_anonymous = False
    is_delegate = True
    can_edit = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        # The credential version is part of the session id: reissuing a card also signs
        # out every phone that signed in with the old one; so does a new session version.
        return f"d:{self.id}:{self.credential_version}:{self.session_version}"

    def end_sessions(self) -> None:
        """End every session of this card signed in so far, on every phone, including copies
        of its cookies: sign-out, deactivation and reactivation call it; the caller commits."""
        self.session_version = (self.session_version or 1) + 1


class CheckIn(db.Model):
    """A delegate's arrival in one session (or, for a congress without sessions, in the
    congress): one row per delegate and session, so a double scan cannot count twice.

    A delegate who leaves early keeps the row with checked_out_at set: the sheet still
    shows the arrival, and "present now" leaves them out.
    """

    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("delegate_id", "session_id", name="uq_checkins_delegate_session"),
        # NULLs are distinct in a UNIQUE constraint: the congress-wide check-in (no
        # sessions) gets its own partial index, one per delegate as before.
        Index("uq_checkins_delegate_congress_wide", "delegate_id", unique=True,
              sqlite_where=text("session_id IS NULL"),
              postgresql_where=text("session_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    delegate_id: Mapped[int] = mapped_column(ForeignKey("delegates.id"), index=True)
    congress_id: Mapped[int] = mapped_column(ForeignKey("congresses.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("congress_sessions.id"),
                                                   index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    method: Mapped[str] = mapped_column(String(20), default="scan")
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_out_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    delegate: Mapped[Delegate] = relationship(back_populates="checkins")
    session: Mapped[CongressSession | None] = relationship()  # noqa: F821
    by_user: Mapped[User | None] = relationship(foreign_keys=[by_user_id])  # noqa: F821
