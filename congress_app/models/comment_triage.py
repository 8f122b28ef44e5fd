"""The secretariat's side of góp ý: how each comment is answered in the compiled report, and
which document the congress adopted that report as.

Kept apart from the delegates' Comment rows on purpose: the author's edits and the
secretaries' triage each have their own edit_version, so a secretary classifying a comment
never makes the author's open form stale, nor the other way round.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow


class Classification(enum.StrEnum):
    """The four answers a compiled report gives an opinion (tiếp thu, giải trình …)."""

    ACCEPTED = "accepted"
    EXPLAINED = "explained"
    NOT_ACCEPTED = "not_accepted"
    ALREADY_IN_DRAFT = "already_in_draft"


class CommentTriage(db.Model):
    """One comment as the secretariat answered it: a classification and a response, or a
    duplicate of another comment (then counted, and answered, with that original)."""

    __tablename__ = "comment_triages"

    id: Mapped[int] = mapped_column(primary_key=True)
    congress_id: Mapped[int] = mapped_column(ForeignKey("congresses.id"), index=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id"), unique=True)
    classification: Mapped[Classification | None] = mapped_column(
        db.Enum(Classification, native_enum=False, length=24,
                values_callable=lambda e: [m.value for m in e]))
    response: Mapped[str] = mapped_column(Text, default="")
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"), index=True)
    triaged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Two secretaries answering the same comment: the second, from an older page, reloads.
    edit_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": edit_version, "version_id_generator": False}

    comment: Mapped[Comment] = relationship(foreign_keys=[comment_id])  # noqa: F821
    duplicate_of: Mapped[Comment | None] = relationship(  # noqa: F821
        foreign_keys=[duplicate_of_id])


class CommentReportAdoption(db.Model):
    """The document a congress adopted its compiled report as: compiling again replaces that
    document's file (a new version, the same code and printed QR code)."""

    __tablename__ = "comment_report_adoptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    congress_id: Mapped[int] = mapped_column(ForeignKey("congresses.id"), unique=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    adopted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    adopted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    document: Mapped[Document] = relationship()  # noqa: F821
