"""The congress, its sessions (phiên) and the agenda items of each session."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow


class Congress(db.Model):
    """One congress: what the home page, the programme and every printout are headed with."""

    __tablename__ = "congresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    organisation: Mapped[str] = mapped_column(String(300))
    parent_organisation: Mapped[str] = mapped_column(String(300), default="")
    ordinal: Mapped[str] = mapped_column(String(40), default="")
    term: Mapped[str] = mapped_column(String(40), default="")
    venue: Mapped[str] = mapped_column(String(300), default="")
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    motto: Mapped[str] = mapped_column(String(300), default="")
    delegates_expected: Mapped[int] = mapped_column(default=0)
    members_represented: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Set when an admin closes the congress: the organiser side becomes read-only.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Shown on the instance's root page; an unlisted congress is reached by its URL only.
    listed: Mapped[bool] = mapped_column(default=True, server_default=true())
    # A phone set to English reads a Vietnamese congress in Vietnamese unless the organisers
    # turn this on (an international guests' congress, say); ?lang= always wins.
    follow_browser_language: Mapped[bool] = mapped_column(default=False,
                                                          server_default=false())
    # Góp ý: "My comments" also shows a delegate their discussion group's comments, read-only.
    delegates_see_group_comments: Mapped[bool] = mapped_column(default=False,
                                                               server_default=false())

    # Biểu quyết: a vote passes with more than half of the delegates present, of those
    # convened, or of the votes cast (models.vote.PassingRule); copied onto each vote opened.
    vote_rule: Mapped[str] = mapped_column(String(16), default="present",
                                           server_default="present")

    sessions: Mapped[list[CongressSession]] = relationship(
        back_populates="congress",
        order_by="CongressSession.position",
        cascade="all, delete-orphan",
    )


class CongressSession(db.Model):
    """A sitting of the congress (preparatory, official …) on one day."""

    __tablename__ = "congress_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    congress_id: Mapped[int] = mapped_column(ForeignKey("congresses.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    date: Mapped[date]
    starts_at: Mapped[time]
    ends_at: Mapped[time | None]
    position: Mapped[int] = mapped_column(default=0)
    # Bumped by each organiser's save (services), checked by SQLAlchemy on every UPDATE:
    # two organisers editing at once cannot silently overwrite each other.
    edit_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": edit_version, "version_id_generator": False}

    congress: Mapped[Congress] = relationship(back_populates="sessions")
    items: Mapped[list[AgendaItem]] = relationship(
        back_populates="session",
        order_by="AgendaItem.position",
        cascade="all, delete-orphan",
    )


class AgendaItem(db.Model):
    """One line of the programme, with the documents a delegate needs for it."""

    __tablename__ = "agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("congress_sessions.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    starts_at: Mapped[time | None]
    title: Mapped[str] = mapped_column(String(500))
    presenter: Mapped[str] = mapped_column(String(300), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    on_stage: Mapped[bool] = mapped_column(default=False)
    # Bumped by each organiser's save (services), checked by SQLAlchemy on every UPDATE:
    # two organisers editing at once cannot silently overwrite each other.
    edit_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": edit_version, "version_id_generator": False}

    session: Mapped[CongressSession] = relationship(back_populates="items")
    document_links: Mapped[list[AgendaItemDocument]] = relationship(
        back_populates="item",
        order_by="AgendaItemDocument.position",
        cascade="all, delete-orphan",
    )


class AgendaItemDocument(db.Model):
    """The ordered link between an agenda item and a document."""

    __tablename__ = "agenda_item_documents"
    __table_args__ = (UniqueConstraint("item_id", "document_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("agenda_items.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)

    item: Mapped[AgendaItem] = relationship(back_populates="document_links")
    document: Mapped[Document] = relationship(back_populates="agenda_links")  # noqa: F821
