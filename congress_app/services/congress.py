"""The congress and its programme as a delegate sees them, and what is on stage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import g, has_request_context
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (
    AgendaItem,
    AgendaItemDocument,
    Congress,
    CongressSession,
    Document,
)
from .documents import can_view


def first_congress() -> Congress | None:
    """The oldest congress: what a single-congress instance serves."""
    return db.session.scalar(select(Congress).order_by(Congress.id).limit(1))


def by_id(congress_id: int) -> Congress | None:
    return db.session.get(Congress, congress_id)


def by_slug(slug: str) -> Congress | None:
    return db.session.scalar(select(Congress).where(Congress.slug == slug))


def congress_count() -> int:
    """How many congresses the instance holds (once per request)."""
    if has_request_context() and "congress_count" in g:
        return g.congress_count
    count = db.session.scalar(select(func.count(Congress.id))) or 0
    if has_request_context():
        g.congress_count = count
    return count


def all_congresses() -> list[Congress]:
    return list(db.session.scalars(select(Congress).order_by(Congress.starts_on.desc(),
                                                             Congress.id)))


def listed_congresses() -> list[Congress]:
    """The congresses the root page lists, the latest first."""
    return list(db.session.scalars(
        select(Congress).where(Congress.listed.is_(True))
        .order_by(Congress.starts_on.desc(), Congress.id)
    ))


@dataclass(frozen=True)
class ProgrammeItem:
    item: AgendaItem
    documents: list[Document]


@dataclass(frozen=True)
class ProgrammeSession:
    session: CongressSession
    items: list[ProgrammeItem]


def programme(congress: Congress, user) -> list[ProgrammeSession]:
    """Sessions and items in order, each item with the documents this visitor may see."""
    sessions = db.session.scalars(
        select(CongressSession)
        .where(CongressSession.congress_id == congress.id)
        .order_by(CongressSession.position, CongressSession.date, CongressSession.starts_at)
        .options(
            selectinload(CongressSession.items)
            .selectinload(AgendaItem.document_links)
            .selectinload(AgendaItemDocument.document)
            .selectinload(Document.versions)
        )
    ).all()
    return [
        ProgrammeSession(
            session,
            [
                ProgrammeItem(
                    item,
                    [link.document for link in item.document_links
                     if can_view(link.document, user)],
                )
                for item in session.items
            ],
        )
        for session in sessions
    ]


def _start(session: CongressSession, item: AgendaItem) -> datetime:
    return datetime.combine(session.date, item.starts_at or session.starts_at)


@dataclass(frozen=True)
class StageState:
    """What is on stage now and what comes next; either may be None."""

    current: AgendaItem | None
    next: AgendaItem | None


def on_stage(congress: Congress, now: datetime, tz: str = "Asia/Ho_Chi_Minh") -> StageState:
    """Read the stage from the organiser's flag, or else from the clock and the agenda.

    By the clock, the current item is the last one that has started in a session that is
    still running (until its end time, or the next session's start, or the end of the day).
    """
    ordered = [
        (session, item)
        for session in sorted(congress.sessions, key=lambda s: (s.position, s.date, s.starts_at))
        for item in session.items
    ]
    if not ordered:
        return StageState(None, None)
    flagged = [i for i, (_, item) in enumerate(ordered) if item.on_stage]
    if flagged:
        i = flagged[0]
        return StageState(ordered[i][1], ordered[i + 1][1] if i + 1 < len(ordered) else None)

    local_now = now.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    current_index = None
    for i, (session, item) in enumerate(ordered):
        if _start(session, item) <= local_now:
            current_index = i
        else:
            break
    if current_index is None:
        return StageState(None, ordered[0][1])
    session, item = ordered[current_index]
    session_end = (
        datetime.combine(session.date, session.ends_at)
        if session.ends_at
        else datetime.combine(session.date, time(23, 59, 59))
    )
    following = ordered[current_index + 1][1] if current_index + 1 < len(ordered) else None
    if local_now >= session_end:
        return StageState(None, following)
    return StageState(item, following)


def item_start(item: AgendaItem) -> datetime:
    """Local start of an item, for display next to 'next up'."""
    return _start(item.session, item)


def congress_days(congress: Congress) -> list:
    """Every date the congress sits, in order."""
    days, day = [], congress.starts_on
    while day <= congress.ends_on:
        days.append(day)
        day += timedelta(days=1)
    return days
