"""The organiser's side of the programme: sessions, agenda items and their documents.

Every function checks all of its input before it changes anything, records an audit
event and commits; bad input raises InputRefused naming the form field it belongs to.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from ..extensions import db
from ..models import (
    Absence,
    AgendaItem,
    AgendaItemDocument,
    CheckIn,
    Congress,
    CongressSession,
    Document,
    User,
)
from . import audit
from . import documents as document_service
from .errors import InputRefused, claim_edit

UP, DOWN = "up", "down"
DIRECTIONS = (UP, DOWN)
NOTES_MAX = 5000
COUNT_MAX = 100_000_000


def clean_text(raw: str | None, field: str, max_len: int, required=None) -> str:
    """NFC and trimmed; `required` is the message to give when it is empty."""
    text = unicodedata.normalize("NFC", (raw or "").strip())
    if required is not None and not text:
        raise InputRefused(required, field=field)
    if len(text) > max_len:
        raise InputRefused(
            _l("This is too long (at most %(max)d characters).", max=max_len), field=field
        )
    return text


def clean_count(value: int | None, field: str) -> int:
    """A head count: empty means 0; never negative."""
    if value is None:
        return 0
    if not 0 <= value <= COUNT_MAX:
        raise InputRefused(_l("Enter a whole number of 0 or more."), field=field)
    return value


def _hm(t: time) -> str:
    """A time as the programme prints it: 07:30."""
    return t.strftime("%H:%M")


def _move(siblings: list, obj, direction: str) -> bool:
    """Swap obj with its neighbour in `siblings` (already in order); False at either end."""
    if direction not in DIRECTIONS:
        raise InputRefused(_l("Choose whether to move up or down."))
    for index, sibling in enumerate(siblings, start=1):
        sibling.position = index  # renumber, so equal or missing positions cannot stick
    i = siblings.index(obj)
    j = i - 1 if direction == UP else i + 1
    if not 0 <= j < len(siblings):
        return False
    siblings[i].position, siblings[j].position = siblings[j].position, siblings[i].position
    return True


def _commit_move(moved: bool, user: User | None, action: str, obj, **detail) -> bool:
    """Keep a move that happened; a move past either end changes (and records) nothing."""
    if moved:
        audit.commit(user, action, obj, **detail)
    else:
        db.session.rollback()
    return moved


def _next_position(column, *where) -> int:
    """One past the highest position among the rows `where` selects."""
    return (db.session.scalar(select(func.max(column)).where(*where)) or 0) + 1


# Sessions ----------------------------------------------------------------------------


def _clean_session(
    congress: Congress,
    name: str,
    day: date | None,
    starts_at: time | None,
    ends_at: time | None,
    items: list[AgendaItem],
) -> dict:
    """The checked values of a session, or InputRefused; `items` must fit its times."""
    name = clean_text(name, "name", 200, _l("Enter the name of the session."))
    if day is None:
        raise InputRefused(_l("Enter the date of the session."), field="date")
    if not congress.starts_on <= day <= congress.ends_on:
        raise InputRefused(
            _l("The session must take place during the congress (%(first)s – %(last)s).",
               first=congress.starts_on.strftime("%d/%m/%Y"),
               last=congress.ends_on.strftime("%d/%m/%Y")),
            field="date",
        )
    if starts_at is None:
        raise InputRefused(_l("Enter the time the session starts."), field="starts_at")
    if ends_at is not None and ends_at <= starts_at:
        raise InputRefused(_l("The session must end after it starts."), field="ends_at")
    for item in items:
        if item.starts_at is None:
            continue
        if item.starts_at < starts_at or (ends_at is not None and item.starts_at > ends_at):
            raise InputRefused(
                _l("The item “%(title)s” starts at %(time)s, outside these times. "
                   "Change that item first.", title=item.title, time=_hm(item.starts_at)),
                field="starts_at" if item.starts_at < starts_at else "ends_at",
            )
    return {"name": name, "date": day, "starts_at": starts_at, "ends_at": ends_at}


def create_session(
    congress: Congress,
    *,
    name: str,
    date: date | None,
    starts_at: time | None,
    ends_at: time | None = None,
    user: User | None = None,
) -> CongressSession:
    """Add a session at the end of the programme."""
    values = _clean_session(congress, name, date, starts_at, ends_at, [])
    session = CongressSession(
        congress_id=congress.id,
        position=_next_position(
            CongressSession.position, CongressSession.congress_id == congress.id
        ),
        **values,
    )
    db.session.add(session)
    audit.commit(user, "session.create", session, name=session.name)
    return session


def update_session(
    session: CongressSession,
    *,
    name: str,
    date: date | None,
    starts_at: time | None,
    ends_at: time | None = None,
    user: User | None = None,
    expected_version: int | None = None,
) -> None:
    """Rename or reschedule a session; its items must still fit inside its times.

    `expected_version` is the edit_version the form was loaded at (see claim_edit).
    """
    claim_edit(session, expected_version)
    values = _clean_session(session.congress, name, date, starts_at, ends_at, session.items)
    for key, value in values.items():
        setattr(session, key, value)
    audit.commit(user, "session.update", session, name=session.name)


def move_session(session: CongressSession, direction: str, *, user: User | None = None) -> bool:
    """Move a session one place up or down the programme; False if it is already at the end."""
    siblings = sorted(session.congress.sessions, key=lambda s: (s.position, s.id))
    return _commit_move(_move(siblings, session, direction), user, "session.move", session,
                        direction=direction)


def _refuse_if_voted_on(item_ids: list[int]) -> None:
    """A vote is part of the congress's record (the minutes quote it): the items it was
    taken on stay; annulled votes too, with their reason."""
    from ..models import Vote

    if item_ids and db.session.scalar(select(Vote.id).where(Vote.item_id.in_(item_ids))
                                      .limit(1)) is not None:
        raise InputRefused(_l("This agenda item has votes, which belong to the congress's "
                              "record: it cannot be deleted. Rename it instead."), 409)


def delete_session(session: CongressSession, *, user: User | None = None) -> None:
    """Delete a session with its items; the documents they linked to stay. A session with
    check-ins is refused (409): its attendance is part of the congress's record."""
    _refuse_if_voted_on([item.id for item in session.items])
    if db.session.scalar(select(CheckIn.id).where(CheckIn.session_id == session.id).limit(1)):
        raise InputRefused(_l("Delegates have checked in to this session, so it cannot be "
                              "deleted: its attendance is part of the congress's record."), 409)
    with audit.edit_transaction():
        audit.record(user, "session.delete", session, name=session.name,
                     items=[item.title for item in session.items])
        # Reasons for absence from a session nobody attended go with it.
        db.session.execute(delete(Absence).where(Absence.session_id == session.id))
        db.session.delete(session)


# Agenda items ------------------------------------------------------------------------


def _clean_item(
    session: CongressSession | None,
    title: str,
    starts_at: time | None,
    presenter: str,
    notes: str,
) -> dict:
    """The checked values of an agenda item, or InputRefused."""
    if session is None:
        raise InputRefused(_l("Choose the session this item belongs to."), field="session")
    title = clean_text(title, "title", 500, _l("Enter the title of the agenda item."))
    if starts_at is not None:
        if starts_at < session.starts_at:
            raise InputRefused(
                _l("The item cannot start before its session starts (%(time)s).",
                   time=_hm(session.starts_at)),
                field="starts_at",
            )
        if session.ends_at is not None and starts_at > session.ends_at:
            raise InputRefused(
                _l("The item cannot start after its session ends (%(time)s).",
                   time=_hm(session.ends_at)),
                field="starts_at",
            )
    return {
        "title": title,
        "starts_at": starts_at,
        "presenter": clean_text(presenter, "presenter", 300),
        "notes": clean_text(notes, "notes", NOTES_MAX),
    }


def create_item(
    session: CongressSession | None,
    *,
    title: str,
    starts_at: time | None = None,
    presenter: str = "",
    notes: str = "",
    user: User | None = None,
) -> AgendaItem:
    """Add an item at the end of a session."""
    values = _clean_item(session, title, starts_at, presenter, notes)
    item = AgendaItem(
        session_id=session.id,
        position=_next_position(AgendaItem.position, AgendaItem.session_id == session.id),
        **values,
    )
    db.session.add(item)
    audit.commit(user, "item.create", item, title=item.title)
    return item


def update_item(
    item: AgendaItem,
    *,
    session: CongressSession | None,
    title: str,
    starts_at: time | None = None,
    presenter: str = "",
    notes: str = "",
    user: User | None = None,
    expected_version: int | None = None,
) -> None:
    """Change an item; moving it to another session puts it at the end of that session.

    `expected_version` is the edit_version the form was loaded at (see claim_edit).
    """
    claim_edit(item, expected_version)
    if session is not None and session.congress_id != item.session.congress_id:
        session = None
    values = _clean_item(session, title, starts_at, presenter, notes)
    if session.id != item.session_id:
        values["position"] = _next_position(
            AgendaItem.position, AgendaItem.session_id == session.id
        )
        item.session = session
    for key, value in values.items():
        setattr(item, key, value)
    audit.commit(user, "item.update", item, title=item.title)


def move_item(item: AgendaItem, direction: str, *, user: User | None = None) -> bool:
    """Move an item one place up or down within its session."""
    siblings = sorted(item.session.items, key=lambda i: (i.position, i.id))
    return _commit_move(_move(siblings, item, direction), user, "item.move", item,
                        direction=direction)


def delete_item(item: AgendaItem, *, user: User | None = None) -> None:
    """Delete an agenda item; the documents it linked to stay."""
    _refuse_if_voted_on([item.id])
    with audit.edit_transaction():
        audit.record(user, "item.delete", item, title=item.title)
        item.session.items.remove(item)


# Documents linked to an item ---------------------------------------------------------


def linkable_documents(item: AgendaItem) -> list[Document]:
    """The congress's documents (not deleted) that this item does not link to yet."""
    linked = {link.document_id for link in item.document_links}
    documents = document_service.congress_documents(item.session.congress)
    return [d for d in documents if d.id not in linked]


def link_document(
    item: AgendaItem, document: Document | None, *, user: User | None = None
) -> AgendaItemDocument:
    """Add a document at the end of the item's list."""
    if (
        document is None
        or document.is_deleted
        or document.congress_id != item.session.congress_id
    ):
        raise InputRefused(_l("Choose a document of this congress."), field="document")
    if any(link.document_id == document.id for link in item.document_links):
        raise InputRefused(
            _l("“%(title)s” is already linked to this item.", title=document.title),
            409,
            "document",
        )
    link = AgendaItemDocument(
        document=document,
        position=max((link.position for link in item.document_links), default=0) + 1,
    )
    item.document_links.append(link)
    audit.commit(user, "item.link_document", item, document=document.code)
    return link


def _link_for(item: AgendaItem, document: Document) -> AgendaItemDocument:
    """The link between this item and this document, or 404 if there is none."""
    for link in item.document_links:
        if link.document_id == document.id:
            return link
    raise InputRefused(_l("This document is not linked to this item."), 404, "document")


def unlink_document(item: AgendaItem, document: Document, *, user: User | None = None) -> None:
    """Remove a document from the item; the document itself stays."""
    link = _link_for(item, document)
    item.document_links.remove(link)
    audit.commit(user, "item.unlink_document", item, document=document.code)


def move_document(
    item: AgendaItem, document: Document, direction: str, *, user: User | None = None
) -> bool:
    """Move a linked document one place up or down in the item's list."""
    link = _link_for(item, document)
    siblings = sorted(item.document_links, key=lambda lk: (lk.position, lk.id))
    return _commit_move(_move(siblings, link, direction), user, "item.move_document", item,
                        document=document.code, direction=direction)


# The dashboard -----------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    """What the dashboard counts."""

    sessions: int
    items: int
    documents: int
    unpublished: int
    not_public: int
    deleted: int


def counts(congress: Congress) -> Counts:
    """How much of the congress is prepared, for the organiser's dashboard."""
    documents = db.session.execute(
        select(Document.deleted_at, Document.published, Document.visibility).where(
            Document.congress_id == congress.id
        )
    ).all()
    live = [d for d in documents if d.deleted_at is None]
    return Counts(
        sessions=len(congress.sessions),
        items=sum(len(s.items) for s in congress.sessions),
        documents=len(live),
        unpublished=sum(1 for d in live if not d.published),
        not_public=sum(1 for d in live if d.visibility != "public"),
        deleted=len(documents) - len(live),
    )
