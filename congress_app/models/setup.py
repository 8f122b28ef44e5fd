"""The one-time set-up link of an empty instance (no administrator yet)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class SetupToken(db.Model):
    """The secret of the set-up link printed on the console; only its sha256 is stored, and
    using it deletes the row, so the link works once (services/setup.py)."""

    __tablename__ = "setup_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
