"""Votes (biểu quyết) of the congress: the question, the method, the rule and the ballots.

A secret phone vote is stored in two tables that share nothing but the vote: `vote_ballots`
says that a delegate voted (vote_id, delegate_id, no choice, no time), `vote_counts` holds
one counter row per choice (vote_id, choice, count), incremented in the same transaction as
the ballot row is inserted. The counters carry no delegate, no time and no insertion order,
so neither the rows nor their ids can be lined up with the ballots afterwards: only someone
watching the counters live, delegate by delegate, could, and that is the database itself.
A named vote keeps the choice on the ballot (it may be changed until the vote closes).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow


def _enum(cls, length: int = 16):
    return db.Enum(cls, native_enum=False, length=length,
                   values_callable=lambda e: [m.value for m in e])


class VoteMethod(enum.StrEnum):
    """Giơ thẻ (the secretariat types the counts) or on the delegates' phones."""

    HANDS = "hands"
    PHONES = "phones"


class PassingRule(enum.StrEnum):
    """A vote passes with more than half of: the delegates present, those convened, or the
    votes cast (For + Against + Abstain)."""

    PRESENT = "present"
    CONVENED = "convened"
    CAST = "cast"


class VoteState(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    ANNULLED = "annulled"


class Choice(enum.StrEnum):
    """Tán thành / Không tán thành / Không biểu quyết."""

    FOR = "for"
    AGAINST = "against"
    ABSTAIN = "abstain"


class Vote(db.Model):
    """One vote on an agenda item. The rule is copied from the congress when it opens and
    the base (present, convened) is taken when it closes, so a result never changes after."""

    __tablename__ = "votes"

    id: Mapped[int] = mapped_column(primary_key=True)
    congress_id: Mapped[int] = mapped_column(ForeignKey("congresses.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("agenda_items.id"), index=True)
    question: Mapped[str] = mapped_column(String(500))
    method: Mapped[VoteMethod] = mapped_column(_enum(VoteMethod))
    secret: Mapped[bool] = mapped_column(default=False, server_default=false())
    rule: Mapped[PassingRule | None] = mapped_column(_enum(PassingRule))
    state: Mapped[VoteState] = mapped_column(_enum(VoteState), default=VoteState.DRAFT)
    annul_reason: Mapped[str] = mapped_column(Text, default="")
    # The counts of a closed vote (typed for show of hands, tallied for phones).
    for_count: Mapped[int | None]
    against_count: Mapped[int | None]
    abstain_count: Mapped[int | None]
    # Why the typed sum differs from those present, confirmed by the secretariat.
    mismatch_reason: Mapped[str] = mapped_column(Text, default="")
    present_count: Mapped[int | None]
    convened_count: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    annulled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    item: Mapped[AgendaItem] = relationship()  # noqa: F821


class VoteBallot(db.Model):
    """That a delegate voted, once per vote (the database says so); the choice only for a
    named vote. The client id makes a double tap of the same button one ballot."""

    __tablename__ = "vote_ballots"
    __table_args__ = (UniqueConstraint("vote_id", "delegate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id"), index=True)
    delegate_id: Mapped[int] = mapped_column(ForeignKey("delegates.id"), index=True)
    choice: Mapped[Choice | None] = mapped_column(_enum(Choice))
    client_id: Mapped[str] = mapped_column(String(40), default="")


class VoteCount(db.Model):
    """A secret vote's counter for one choice: no delegate, no time, no order."""

    __tablename__ = "vote_counts"
    __table_args__ = (CheckConstraint("count >= 0", name="vote_count_not_negative"),)

    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id"), primary_key=True)
    choice: Mapped[Choice] = mapped_column(_enum(Choice), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
