"""Góp ý: the window in which delegates comment on a draft document, and their comments.

A comment is anchored to a paragraph (§ N) of the version the delegate read, with a copy of
that paragraph's text: when the draft gets a new version the comment can be moved to the
paragraph that matches best, and whoever triages still sees what was commented on.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow


def _enum(kind: type[enum.Enum], length: int = 16):
    return db.Enum(kind, native_enum=False, length=length,
                   values_callable=lambda e: [m.value for m in e])


class CommentScope(enum.StrEnum):
    """What a delegate may comment on: the document as a whole, or also each paragraph."""

    DOCUMENT = "document"
    PARAGRAPHS = "paragraphs"


class CommentAuthors(enum.StrEnum):
    """Who may comment in a window: official delegates on their own behalf, the discussion
    groups' secretaries entering their group's opinion, or both."""

    OFFICIAL_DELEGATES = "official_delegates"
    GROUP_SECRETARIES = "group_secretaries"
    DELEGATES_AND_GROUPS = "delegates_and_groups"

    @property
    def takes_own(self) -> bool:
        """Delegates may comment on their own behalf."""
        return self != CommentAuthors.GROUP_SECRETARIES

    @property
    def takes_groups(self) -> bool:
        """Group secretaries may enter their group's opinion."""
        return self != CommentAuthors.OFFICIAL_DELEGATES


class Stance(enum.StrEnum):
    """The three answers of the national consultation; disagreeing needs a reason."""

    AGREE = "agree"
    DISAGREE = "disagree"
    PARTLY = "partly"


class AnchorState(enum.StrEnum):
    """Where a comment stands after its draft got a new version: on the same words
    (current), on words that changed (changed), or left on the old version (not_found)."""

    CURRENT = "current"
    CHANGED = "changed"
    NOT_FOUND = "not_found"


class CommentWindow(db.Model):
    """When a document takes comments: one window per document, reopened in place.

    It closes by itself at closes_at (computed when asked, no timer) or earlier by hand
    (closed_at).
    """

    __tablename__ = "comment_windows"

    id: Mapped[int] = mapped_column(primary_key=True)
    congress_id: Mapped[int] = mapped_column(ForeignKey("congresses.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scope: Mapped[CommentScope] = mapped_column(_enum(CommentScope),
                                                default=CommentScope.PARAGRAPHS)
    authors: Mapped[CommentAuthors] = mapped_column(
        _enum(CommentAuthors, 32), default=CommentAuthors.OFFICIAL_DELEGATES)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Two organisers changing the window at once: the second is asked to reload.
    edit_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": edit_version, "version_id_generator": False}

    document: Mapped[Document] = relationship()  # noqa: F821
    opened_by: Mapped[User | None] = relationship()  # noqa: F821

    def is_open(self, now: datetime) -> bool:
        """Taking comments at `now`: opened, not yet at its closing time, not closed by hand."""
        return self.closed_at is None and self.opens_at <= now < self.closes_at

    def closed_since(self, now: datetime) -> datetime | None:
        """When the window closed (by hand or at its time), or None while it has not."""
        if self.closed_at is not None:
            return self.closed_at
        return self.closes_at if now >= self.closes_at else None


class Comment(db.Model):
    """One delegate's opinion on a draft, on one paragraph or on the whole document.

    `client_id` is made by the form (later: by the phone's offline queue): the same comment
    sent twice is recognised by it and kept once.
    """

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(36), unique=True)
    congress_id: Mapped[int] = mapped_column(ForeignKey("congresses.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("document_versions.id"))
    # § number in that version; None: the comment is on the whole document.
    paragraph: Mapped[int | None]
    paragraph_text: Mapped[str] = mapped_column(Text, default="")
    section: Mapped[str] = mapped_column(String(500), default="")
    # Set when a new version lands (services/comment_anchoring.py): "changed" and
    # "not_found" are what the secretariat must read against the new wording.
    anchor_state: Mapped[AnchorState] = mapped_column(
        _enum(AnchorState), default=AnchorState.CURRENT, server_default="current")
    # The version the comment was last matched against; None until a first replacement.
    anchored_to_id: Mapped[int | None] = mapped_column(ForeignKey("document_versions.id"))
    stance: Mapped[Stance] = mapped_column(_enum(Stance))
    text: Mapped[str] = mapped_column(Text, default="")
    proposed_wording: Mapped[str] = mapped_column(Text, default="")
    # None once the congress's personal data is purged (services/closing.py): who wrote a
    # comment served the triage; the comment and its counts stay.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("delegates.id"), index=True)
    # The author's discussion group when writing (a snapshot: the roster may change later,
    # the report counts the group the opinion was given in); "" for a delegate in none.
    discussion_group: Mapped[str] = mapped_column(String(100), default="", server_default="")
    # Set on a group's opinion, entered by its secretary: how many of the group's delegates
    # share it, out of how many the group had then. None on a delegate's own comment.
    group_share: Mapped[int | None]
    group_size: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped by each edit of the author's: an edit made from an older form is refused.
    edit_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": edit_version, "version_id_generator": False}

    document: Mapped[Document] = relationship()  # noqa: F821
    version: Mapped[DocumentVersion] = relationship(foreign_keys=[version_id])  # noqa: F821
    author: Mapped[Delegate | None] = relationship()  # noqa: F821

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def is_group_opinion(self) -> bool:
        return self.group_share is not None

    @property
    def weight(self) -> int:
        """How many delegates' opinions it counts as: its share count for a group's."""
        return self.group_share if self.group_share is not None else 1

    @property
    def paragraph_moved_on(self) -> bool:
        """The words it was written on changed, or are no longer in the newest version."""
        return self.anchor_state != AnchorState.CURRENT
