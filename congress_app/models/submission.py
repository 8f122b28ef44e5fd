"""One row per creating form that was sent: the browser's Back and a second press of Save
send the same form again, and this is how the second one is recognised."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class FormSubmission(db.Model):
    """The one-time token of a "new …" form and what it made (object_id None while saving)."""

    __tablename__ = "form_submissions"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    object_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[int | None]
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
