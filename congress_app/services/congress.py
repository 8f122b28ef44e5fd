"""Congresses: finding them, setting one up and editing its details, and its programme as
a delegate sees it, with what is on stage."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (
    AgendaItem,
    AgendaItemDocument,
    Congress,
    CongressSession,
    Document,
    User,
)
from . import audit
from .agenda import clean_count, clean_text
from .errors import InputRefused
from .visibility import can_view, viewer_of


def first_congress() -> Congress | None:
    """The oldest congress: what a single-congress instance serves."""
    return db.session.scalar(select(Congress).order_by(Congress.id).limit(1))


def by_id(congress_id: int) -> Congress | None:
    return db.session.get(Congress, congress_id)


def by_slug(slug: str) -> Congress | None:
    return db.session.scalar(select(Congress).where(Congress.slug == slug))


def congress_count() -> int:
    """How many congresses the instance holds."""
    return db.session.scalar(select(func.count(Congress.id))) or 0


def all_congresses() -> list[Congress]:
    return list(db.session.scalars(select(Congress).order_by(Congress.starts_on.desc(),
                                                             Congress.id)))


def listed_congresses() -> list[Congress]:
    """The congresses the root page lists, the latest first."""
    return list(db.session.scalars(
        select(Congress).where(Congress.listed.is_(True))
        .order_by(Congress.starts_on.desc(), Congress.id)
    ))


# Setting a congress up and editing its details -------------------------------------


def _clean_congress(
    *,
    title: str,
    organisation: str,
    parent_organisation: str = "",
    ordinal: str = "",
    term: str = "",
    venue: str = "",
    starts_on: date | None,
    ends_on: date | None,
    motto: str = "",
    delegates_expected: int | None = 0,
    members_represented: int | None = 0,
    follow_browser_language: bool | None = None,
    delegates_see_group_comments: bool | None = None,
) -> dict:
    """The checked details of a congress, or InputRefused naming the field.

    `follow_browser_language` and `delegates_see_group_comments` None leave the setting as it
    is (callers that do not show it).
    """
    values = {
        "title": clean_text(title, "title", 300, _l("Enter the title of the congress.")),
        "organisation": clean_text(
            organisation, "organisation", 300, _l("Enter the organisation holding the congress.")
        ),
        "parent_organisation": clean_text(parent_organisation, "parent_organisation", 300),
        "ordinal": clean_text(ordinal, "ordinal", 40),
        "term": clean_text(term, "term", 40),
        "venue": clean_text(venue, "venue", 300),
        "motto": clean_text(motto, "motto", 300),
        "delegates_expected": clean_count(delegates_expected, "delegates_expected"),
        "members_represented": clean_count(members_represented, "members_represented"),
    }
    if starts_on is None:
        raise InputRefused(_l("Enter the first day of the congress."), field="starts_on")
    if ends_on is None:
        raise InputRefused(_l("Enter the last day of the congress."), field="ends_on")
    if ends_on < starts_on:
        raise InputRefused(
            _l("The last day cannot be before the first day."), field="ends_on"
        )
    values.update(starts_on=starts_on, ends_on=ends_on)
    if follow_browser_language is not None:
        values["follow_browser_language"] = bool(follow_browser_language)
    if delegates_see_group_comments is not None:
        values["delegates_see_group_comments"] = bool(delegates_see_group_comments)
    return values


def congress_slug(organisation: str, starts_on: date) -> str:
    """An ASCII slug such as "dang-bo-phuong-thanh-xuan-2025", unique among congresses."""
    plain = unicodedata.normalize("NFKD", organisation.replace("đ", "d").replace("Đ", "D"))
    words = "".join(c if c.isalnum() else " " for c in plain if not unicodedata.combining(c))
    base = "-".join(words.lower().split())[:60].strip("-") or "congress"
    base = f"{base}-{starts_on.year}"
    slug, n = base, 1
    while db.session.scalar(select(Congress.id).where(Congress.slug == slug)) is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug


def create_congress(*, user: User | None = None, **details) -> Congress:
    """Set up the congress on a fresh instance, from the same form that edits it later."""
    values = _clean_congress(**details)
    congress = Congress(slug=congress_slug(values["organisation"], values["starts_on"]),
                        **values)
    db.session.add(congress)
    db.session.flush()
    audit.commit(user, "congress.create", congress, slug=congress.slug)
    return congress


def update_congress(congress: Congress, *, user: User | None = None, **details) -> None:
    """Change what every page and printout is headed with."""
    values = _clean_congress(**details)
    for session in congress.sessions:
        if not values["starts_on"] <= session.date <= values["ends_on"]:
            raise InputRefused(
                _l("The session “%(name)s” is on %(date)s, outside these dates. "
                   "Change or delete that session first.",
                   name=session.name, date=session.date.strftime("%d/%m/%Y")),
                field="starts_on",
            )
    changed = {k: v for k, v in values.items() if getattr(congress, k) != v}
    for key, value in values.items():
        setattr(congress, key, value)
    audit.commit(user, "congress.update", congress, changed=sorted(changed))


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
    viewer = viewer_of(user)
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
                     if can_view(link.document, viewer)],
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
