"""Organiser-side accounts and the audit trail of what they did."""

from __future__ import annotations

import enum
import hashlib
from datetime import datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .base import UTCDateTime, utcnow


class Role(enum.StrEnum):
    """What an account may do: admins and editors run the congress; check-in staff only count."""

    ADMIN = "admin"
    EDITOR = "editor"
    CHECKIN = "checkin"


class User(UserMixin, db.Model):
    """An organiser, editor or check-in account; passwords are only ever stored hashed."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(
        db.Enum(Role, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    active: Mapped[bool] = mapped_column(default=True)
    # Part of every session id: raising it ends every session signed in so far (end_sessions).
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None: the account serves every congress on the instance (and may add congresses);
    # otherwise it sees and changes nothing of any other congress.
    congress_id: Mapped[int | None] = mapped_column(ForeignKey("congresses.id"), index=True)
    congress = relationship("Congress")
    # A password an admin set (or the CLI with --one-time): the next sign-in must replace it.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(
            password, method=current_app.config["PASSWORD_HASH_METHOD"])

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    is_delegate = False

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive accounts
        return self.active

    @property
    def credential_stamp(self) -> str:
        """Changes with every new password hash (each has a fresh salt), with no extra column."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    def get_id(self) -> str:
        # The stamp is part of the session id: a new password signs out every other session;
        # so is the session version, which sign-out and (de)activation raise.
        return f"u:{self.id}:{self.credential_stamp}:{self.session_version}"

    def end_sessions(self) -> None:
        """End every session of this account signed in so far, on any device, including
        copies of its cookies and remember-me cookies: their ids name the old version.
        Sign-out, deactivation, reactivation and a new password call it; the caller commits."""
        self.session_version = (self.session_version or 1) + 1

    @property
    def can_edit(self) -> bool:
        return self.role in (Role.ADMIN, Role.EDITOR)

    @property
    def serves_every_congress(self) -> bool:
        return self.congress_id is None

    def serves(self, congress_id: int | None) -> bool:
        """Whether this account works for that congress."""
        return self.congress_id is None or self.congress_id == congress_id


class AuditEvent(db.Model):
    """Who did what to which object, and when."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The congress the action concerned (None: the instance, e.g. a failed login).
    congress_id: Mapped[int | None] = mapped_column(ForeignKey("congresses.id"), index=True)
    action: Mapped[str] = mapped_column(String(50))
    object_type: Mapped[str] = mapped_column(String(50), default="")
    object_id: Mapped[int | None]
    detail: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User | None] = relationship()
