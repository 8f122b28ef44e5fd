"""What is on stage: the organisers put an item there, move along the programme, or let
the clock decide again.

At most one item of a congress carries the on_stage flag. Every change clears all the
congress's flags and sets one in the same transaction, so two organisers tapping at the
same moment leave one item on stage (SQLite serialises the two writes).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ..extensions import db
from ..models import AgendaItem, Congress, CongressSession, Document, User
from . import audit
from . import comments as comments_service
from .errors import InputRefused
from .visibility import PUBLIC, can_view

NEXT, PREVIOUS = "next", "previous"


class StageMovedOn(InputRefused):
    """A Next or Previous pressed on a page that showed an item no longer on stage: another
    controller moved first, and stepping again would skip an item."""

    def __init__(self, current: AgendaItem | None) -> None:
        if current is None:
            message = _l("Someone else has already changed the stage: nothing is on stage "
                         "now. Nothing was moved; check the stage and press again if needed.")
        else:
            message = _l("Someone else has already moved on to “%(title)s”. Nothing was "
                         "moved; check the stage and press again if needed.",
                         title=current.title)
        super().__init__(message, 409)
        self.current = current


def programme_order(congress: Congress) -> list[AgendaItem]:
    """Every item of the congress in the order the programme prints them."""
    return list(
        db.session.scalars(
            select(AgendaItem)
            .join(CongressSession)
            .where(CongressSession.congress_id == congress.id)
            .order_by(
                CongressSession.position,
                CongressSession.date,
                CongressSession.starts_at,
                CongressSession.id,
                AgendaItem.position,
                AgendaItem.id,
            )
        )
    )


def flagged_ids(congress: Congress) -> list[int]:
    """Ids of the items the organisers put on stage (one, or none)."""
    return list(
        db.session.scalars(
            select(AgendaItem.id)
            .join(CongressSession)
            .where(CongressSession.congress_id == congress.id, AgendaItem.on_stage.is_(True))
            .order_by(AgendaItem.id)
        )
    )


def set_on_stage(congress: Congress, item: AgendaItem | None, user: User | None) -> None:
    """Put `item` on stage, or with None let the clock decide again; one transaction."""
    if item is not None and item.session.congress_id != congress.id:
        raise InputRefused(_l("This agenda item does not exist."), 404)
    congress_sessions = select(CongressSession.id).where(
        CongressSession.congress_id == congress.id
    )
    # Writing first: the transaction takes SQLite's write lock before it reads anything,
    # so a concurrent change waits for this one instead of interleaving with it.
    db.session.execute(
        update(AgendaItem)
        .where(AgendaItem.session_id.in_(congress_sessions))
        .values(on_stage=False),
        execution_options={"synchronize_session": False},
    )
    if item is not None:
        db.session.execute(
            update(AgendaItem).where(AgendaItem.id == item.id).values(on_stage=True),
            execution_options={"synchronize_session": False},
        )
        audit.commit(user, "stage.set", item, title=item.title)
    else:
        audit.commit(user, "stage.clear", congress)


def step(
    congress: Congress, direction: str, user: User | None, current: AgendaItem | None,
    seen_id: int | None | str = "",
) -> AgendaItem | None:
    """Move to the next or previous item from `current` (what is on stage now, by the flag
    or the clock); None, and nothing changes, past either end of the programme.

    `seen_id` is the item the controller's page showed on stage (None: nothing); when it is
    no longer `current`, StageMovedOn is raised and nothing moves. "" skips the check."""
    if direction not in (NEXT, PREVIOUS):
        raise InputRefused(_l("Choose the next or the previous item."))
    if seen_id != "" and seen_id != (current.id if current else None):
        raise StageMovedOn(current)
    items = programme_order(congress)
    if not items:
        return None
    if current is None or current not in items:
        # Before the congress starts, "next" is the first item; "previous" has nowhere to go.
        target = items[0] if direction == NEXT else None
    else:
        i = items.index(current) + (1 if direction == NEXT else -1)
        target = items[i] if 0 <= i < len(items) else None
    if target is None:
        return None
    set_on_stage(congress, target, user)
    return target


def public_documents(item: AgendaItem) -> list[Document]:
    """The item's documents anyone may open, signed in or not: what a public screen shows."""
    return [link.document for link in item.document_links if can_view(link.document, PUBLIC)]


def taking_comments(congress: Congress, now: datetime, *,
                    public_only: bool = True) -> list[tuple[Document, int]]:
    """The documents whose comment window is open now, each with the comments received
    (withdrawn ones not counted), in the documents list's order.

    `public_only`: the projector and /stage.json are the same for everyone, so they name
    only documents anyone may open; the organisers' dashboard lists them all."""
    states = comments_service.states(congress, now)
    open_ids = [document_id for document_id, state in states.items() if state.open]
    if not open_ids:
        return []
    documents = db.session.scalars(
        select(Document).where(Document.id.in_(open_ids), Document.deleted_at.is_(None))
        .order_by(Document.position, Document.id))
    return [(d, states[d.id].count) for d in documents
            if not public_only or can_view(d, PUBLIC)]


def live_version(congress: Congress, now: datetime, language: str = "") -> str:
    """A cheap tag for the stage as phones see it: the flagged item, the minute (the clock
    moves the stage too) and the live comment counts, so polling phones cost a few small
    queries while nothing moves, and a new comment changes the tag."""
    flags = ",".join(str(i) for i in flagged_ids(congress))
    minute = now.strftime("%Y-%m-%dT%H:%M")
    counts = ",".join(f"{d.id}:{n}" for d, n in taking_comments(congress, now))
    return hashlib.sha256(
        f"{congress.id}|{flags}|{minute}|{language}|{counts}".encode()).hexdigest()[:20]
