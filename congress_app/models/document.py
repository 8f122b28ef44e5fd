"""Documents, addressed for life by a short code, and the uploaded versions of their file."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, and_, exists, inspect
from sqlalchemy.orm import Mapped, aliased, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow


class DocumentCategory(enum.StrEnum):
    """The kinds of congress documents, in the order a programme lists them."""

    PROGRAMME = "programme"
    WORKING_RULES = "working_rules"
    POLITICAL_REPORT = "political_report"
    REVIEW_REPORT = "review_report"
    COMMENTS_SUMMARY = "comments_summary"
    DISCUSSION_PAPER = "discussion_paper"
    DRAFT_RESOLUTION = "draft_resolution"
    # The higher level's drafts (the national and the city's) that the congress comments on.
    HIGHER_DRAFT = "higher_draft"
    PRESS_RELEASE = "press_release"
    OTHER = "other"


class Visibility(enum.StrEnum):
    """Who may see a document, and therefore learn that it exists."""

    PUBLIC = "public"
    DELEGATES = "delegates"
    ORGANISERS = "organisers"


class Document(db.Model):
    """A congress document; its code, and so its printed QR code, never changes."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    congress_id: Mapped[int] = mapped_column(ForeignKey("congresses.id"), index=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    category: Mapped[DocumentCategory] = mapped_column(
        db.Enum(DocumentCategory, native_enum=False, length=32,
                values_callable=lambda e: [m.value for m in e])
    )
    visibility: Mapped[Visibility] = mapped_column(
        db.Enum(Visibility, native_enum=False, length=16,
                values_callable=lambda e: [m.value for m in e]),
        default=Visibility.PUBLIC,
    )
    published: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped by each organiser's save (services), checked by SQLAlchemy on every UPDATE:
    # two organisers editing at once cannot silently overwrite each other.
    edit_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": edit_version, "version_id_generator": False}

    congress: Mapped[Congress] = relationship()  # noqa: F821
    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document",
        order_by="DocumentVersion.number",
        cascade="all, delete-orphan",
    )
    agenda_links: Mapped[list[AgendaItemDocument]] = relationship(  # noqa: F821
        back_populates="document", cascade="all, delete-orphan"
    )
    # The newest version alone, one row from the database (a list page asks it of every
    # document): read it through current_version, which prefers `versions` once loaded.
    _newest_version: Mapped[DocumentVersion | None] = relationship(
        primaryjoin=lambda: _newest_version_join(), viewonly=True, uselist=False,
    )

    @property
    def current_version(self) -> DocumentVersion | None:
        """The newest upload is the one every scan opens.

        Once `versions` is loaded (the programme loads it, an upload appends to it) its last
        is the newest, new rows not yet committed included; otherwise the one-row relation
        answers without loading every version.
        """
        state = inspect(self)
        if "versions" in state.dict or not state.persistent:
            return self.versions[-1] if self.versions else None
        return self._newest_version

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class DocumentVersion(db.Model):
    """One uploaded file of a document; older versions stay stored and listed."""

    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    number: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    original_filename: Mapped[str] = mapped_column(String(255))
    mime_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    pages: Mapped[int] = mapped_column(default=0)
    # Each page's extracted text, megabytes for a long document: loaded only when read
    # (the reader's text mode, search excerpts, the offline list, the archive).
    text: Mapped[str] = mapped_column(Text, default="", deferred=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(String(500), default="")

    document: Mapped[Document] = relationship(back_populates="versions")
    uploaded_by: Mapped[User | None] = relationship()  # noqa: F821


def _newest_version_join():
    """A document's version with no later version beside it: the newest."""
    later = aliased(DocumentVersion)
    return and_(
        DocumentVersion.document_id == Document.id,
        ~exists().where(later.document_id == DocumentVersion.document_id,
                        later.number > DocumentVersion.number),
    )
