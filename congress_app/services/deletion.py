"""Deleting a whole congress from an instance (after the archive has been offered).

What goes: the congress and every row of it (sessions, agenda items and their document
links, documents and all their versions, delegates and check-ins, its audit events), the
accounts tied to it alone (they could serve nothing else; an account serving every congress
stays), and the stored files and page images no other congress uses. Printouts cached on
disk are cleared too: cards name delegates, and the cache can always be made again.
What stays: one audit event of the instance saying who deleted which congress, with counts.

A closed congress is the kept record of a congress: it is not deleted until an admin
reopens it (itself audited), so deleting it always takes two deliberate steps.
"""

from __future__ import annotations

import os
import shutil
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from ..extensions import db
from ..models import (
    Absence,
    AgendaItem,
    AgendaItemDocument,
    AuditEvent,
    CheckIn,
    Comment,
    CommentReportAdoption,
    CommentTriage,
    CommentWindow,
    Congress,
    CongressSession,
    Delegate,
    Document,
    DocumentVersion,
    User,
    Vote,
    VoteBallot,
    VoteCount,
)
from ..storage import FileStore
from . import audit
from .closing import is_closed
from .errors import InputRefused
from .page_images import pages_root

DELETE_ACTION = "congress.delete"
# Every table holding rows of a congress, in the order they are deleted (children first).
# tests/test_deleting.py checks that no other table refers to a congress or to these.
CONGRESS_TABLES = ("comment_triages", "comment_report_adoptions", "comments", "comment_windows",
                   "vote_counts", "vote_ballots", "votes", "agenda_item_documents", "agenda_items",
                   "absences", "checkins", "congress_sessions", "delegates", "document_versions",
                   "documents", "audit_events", "users", "congresses")
# Columns elsewhere that may name a deleted account; they keep their row and lose the name.
ACCOUNT_REFERENCES = ((AuditEvent, AuditEvent.user_id), (CheckIn, CheckIn.by_user_id),
                      (CheckIn, CheckIn.checked_out_by_user_id), (Absence, Absence.by_user_id),
                      (DocumentVersion, DocumentVersion.uploaded_by_id),
                      (CommentWindow, CommentWindow.opened_by_id),
                      (CommentTriage, CommentTriage.triaged_by_id),
                      (CommentReportAdoption, CommentReportAdoption.adopted_by_id))
_BULK = {"synchronize_session": False}


@dataclass
class DeletedCongress:
    """What a deletion removed, for the message and the instance's audit event."""

    slug: str
    title: str
    counts: dict[str, int] = field(default_factory=dict)
    accounts: list[str] = field(default_factory=list)
    files_removed: int = 0


def confirmation_matches(congress: Congress, confirmation: str | None) -> bool:
    """The admin typed the congress's code (slug) or its full title."""
    typed = unicodedata.normalize("NFC", (confirmation or "").strip())
    return bool(typed) and typed in (congress.slug, unicodedata.normalize("NFC", congress.title))


def tied_accounts(congress: Congress) -> list[User]:
    """The accounts that serve this congress only: they go with it."""
    return list(db.session.scalars(
        select(User).where(User.congress_id == congress.id).order_by(User.username)))


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def contents(congress: Congress) -> dict[str, int]:
    """How many rows of each kind the congress holds (what the confirmation page lists)."""
    sessions = select(CongressSession.id).where(CongressSession.congress_id == congress.id)
    documents = select(Document.id).where(Document.congress_id == congress.id)
    return {
        "sessions": _count(CongressSession, CongressSession.congress_id == congress.id),
        "agenda_items": _count(AgendaItem, AgendaItem.session_id.in_(sessions)),
        "documents": _count(Document, Document.congress_id == congress.id),
        "versions": _count(DocumentVersion, DocumentVersion.document_id.in_(documents)),
        "delegates": _count(Delegate, Delegate.congress_id == congress.id),
        "checkins": _count(CheckIn, CheckIn.congress_id == congress.id),
        "comments": _count(Comment, Comment.congress_id == congress.id),
        "audit_events": _count(AuditEvent, AuditEvent.congress_id == congress.id),
    }


def delete_congress(congress: Congress, confirmation: str | None, *, user: User | None,
                    store: FileStore) -> DeletedCongress:
    """Delete the congress with everything of it, in one transaction, then its unshared files.

    `confirmation` is what the admin typed: the congress's slug or title. Refused (nothing
    changed) when it does not match, or while the congress is closed.
    """
    if is_closed(congress):
        raise InputRefused(_l("The congress is closed. Reopen it first if it really is to be "
                              "deleted; nothing was deleted."), 423)
    if user is not None and user.congress_id == congress.id:
        raise InputRefused(_l("Only an administrator serving every congress can delete one: "
                              "the accounts tied to it, yours included, go with it."), 403)
    if not confirmation_matches(congress, confirmation):
        raise InputRefused(_l("Type the congress code or its full title exactly as shown to "
                              "confirm; nothing was deleted."), 400, "confirmation")
    congress_id = congress.id
    result = DeletedCongress(congress.slug, congress.title, contents(congress))
    sessions = select(CongressSession.id).where(CongressSession.congress_id == congress_id)
    items = select(AgendaItem.id).where(AgendaItem.session_id.in_(sessions))
    votes = select(Vote.id).where(Vote.congress_id == congress_id)
    documents = select(Document.id).where(Document.congress_id == congress_id)
    versions = DocumentVersion.document_id.in_(documents)
    files = set(db.session.scalars(select(DocumentVersion.sha256).where(versions)))
    accounts = tied_accounts(congress)
    result.accounts = [account.username for account in accounts]
    account_ids = [account.id for account in accounts]
    with audit.edit_transaction():
        for statement in (
            delete(CommentTriage).where(CommentTriage.congress_id == congress_id),
            delete(CommentReportAdoption).where(
                CommentReportAdoption.congress_id == congress_id),
            delete(Comment).where(Comment.congress_id == congress_id),
            delete(CommentWindow).where(CommentWindow.congress_id == congress_id),
            delete(VoteCount).where(VoteCount.vote_id.in_(votes)),
            delete(VoteBallot).where(VoteBallot.vote_id.in_(votes)),
            delete(Vote).where(Vote.congress_id == congress_id),
            delete(AgendaItemDocument).where(AgendaItemDocument.item_id.in_(items)
                                             | AgendaItemDocument.document_id.in_(documents)),
            delete(AgendaItem).where(AgendaItem.session_id.in_(sessions)),
            delete(Absence).where(Absence.congress_id == congress_id),
            delete(CheckIn).where(CheckIn.congress_id == congress_id),
            delete(CongressSession).where(CongressSession.congress_id == congress_id),
            delete(Delegate).where(Delegate.congress_id == congress_id),
            delete(DocumentVersion).where(versions),
            delete(Document).where(Document.congress_id == congress_id),
            delete(AuditEvent).where(AuditEvent.congress_id == congress_id),
        ):
            db.session.execute(statement, execution_options=_BULK)
        if account_ids:
            for model, column in ACCOUNT_REFERENCES:
                db.session.execute(update(model).where(column.in_(account_ids))
                                   .values({column.key: None}), execution_options=_BULK)
            db.session.execute(delete(User).where(User.id.in_(account_ids)),
                               execution_options=_BULK)
        db.session.execute(delete(Congress).where(Congress.id == congress_id),
                           execution_options=_BULK)
        # The instance's event names the congress in its details, not by id: SQLite hands
        # the id of a deleted last row out again, and the log would then name the new one.
        audit.record(user, DELETE_ACTION, None, slug=result.slug, title=result.title,
                     congress_id=congress_id, accounts_deleted=result.accounts, **result.counts)
    db.session.expire_all()
    result.files_removed = remove_unused_files(store, files)
    shutil.rmtree(Path(current_app.config["CACHE_DIR"]) / "pdf", ignore_errors=True)
    return result


def remove_unused_files(store: FileStore, candidates: set[str]) -> int:
    """Delete the stored files (and page images) of these sha256s that no version names.

    A file another congress also uploaded stays. The file is first moved aside and the
    database asked again, so an upload of the same bytes that lands meanwhile gets it back.
    """
    removed = 0
    for sha256 in sorted(candidates):
        if _in_use(sha256):
            continue
        path = store.path_for(sha256)
        aside = store.root / "tmp" / f"deleted-{sha256}"
        aside.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(path, aside)
        except FileNotFoundError:
            continue
        if _in_use(sha256) and not path.exists():
            os.replace(aside, path)
            continue
        aside.unlink(missing_ok=True)
        shutil.rmtree(pages_root() / sha256, ignore_errors=True)
        removed += 1
    return removed


def _in_use(sha256: str) -> bool:
    db.session.rollback()  # a fresh snapshot: see versions committed meanwhile
    return db.session.scalar(
        select(DocumentVersion.id).where(DocumentVersion.sha256 == sha256).limit(1)) is not None
