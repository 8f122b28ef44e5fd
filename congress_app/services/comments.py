"""Góp ý: organisers open a document for comments, official delegates comment on it.

The congress is passed in by the caller (the page's), like every service: a document, a
window or a comment of another congress is refused as unknown. Windows close by themselves
at their closing time: whether one is open is computed from the clock whenever it is asked,
so nothing has to run at that time. Each change is committed with its audit event; a
delegate's change is recorded without an account, the delegate's number in its details.

A comment carries a client id (a UUID the form, later the phone's offline queue, makes):
the same comment sent twice is kept once, and the second sending answers with the first.
"""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..i18n import format_moment
from ..models import (
    Comment,
    CommentAuthors,
    CommentScope,
    CommentWindow,
    Congress,
    Delegate,
    DelegateKind,
    Document,
    Stance,
    User,
    utcnow,
)
from . import audit, comment_groups, paragraphs
from .closing import is_closed
from .errors import InputRefused, claim_edit

# What the form states and the service enforces, in characters (after trimming).
TEXT_MAX = 2000
WORDING_MAX = 2000


# Windows -----------------------------------------------------------------------------


def window_of(document: Document) -> CommentWindow | None:
    """The document's comment window, open or not; None if comments were never opened."""
    return db.session.scalar(select(CommentWindow).where(CommentWindow.document_id == document.id))


def is_open(window: CommentWindow | None, now: datetime | None = None) -> bool:
    """Whether the window takes comments now (None: no window, so no)."""
    if window is None:
        return False
    return window.is_open(now or utcnow()) and not is_closed(window.document.congress)


def open_window(congress: Congress, document: Document, *, opens_at: datetime | None,
                closes_at: datetime | None, scope: CommentScope | str,
                authors: CommentAuthors | str = CommentAuthors.OFFICIAL_DELEGATES,
                user: User | None = None, expected_version: int | None = None,
                now: datetime | None = None) -> CommentWindow:
    """Open (or reopen, or reschedule) comments on a document of this congress.

    `opens_at` None means now. A window scoped to paragraphs needs a text to number: a
    scanned document without one can take comments on the whole document only. `authors`:
    delegates on their own behalf, the groups' secretaries for their group, or both.
    """
    now = now or utcnow()
    _check_document(congress, document)
    try:
        scope = CommentScope(scope)
    except ValueError:
        raise InputRefused(_l("Choose what delegates may comment on."), field="scope") from None
    try:
        authors = CommentAuthors(authors)
    except ValueError:
        raise InputRefused(_l("Choose who may comment."), field="authors") from None
    opens_at = opens_at or now
    if closes_at is None:
        raise InputRefused(_l("Enter when comments close."), field="closes_at")
    if closes_at <= opens_at:
        raise InputRefused(_l("Comments must close after they open."), field="closes_at")
    if closes_at <= now:
        raise InputRefused(_l("The closing time has already passed: choose a later one."),
                           field="closes_at")
    version = document.current_version
    if version is None:
        raise InputRefused(_l("Upload the document's file before opening it for comments."))
    if scope == CommentScope.PARAGRAPHS and not paragraphs.paragraphs(version):
        raise InputRefused(_l("This document has no text whose paragraphs could be numbered "
                              "(a scanned file?): open it for comments on the whole "
                              "document."), field="scope")
    window = window_of(document)
    if window is None:
        window = CommentWindow(congress_id=congress.id, document_id=document.id)
        db.session.add(window)
    else:
        claim_edit(window, expected_version)
    window.opens_at, window.closes_at, window.scope = opens_at, closes_at, scope
    window.authors = authors
    window.closed_at = None
    window.opened_by_id = user.id if user is not None else None
    audit.commit(user, "comments.open", window, code=document.code, title=document.title,
                 opens_at=opens_at.isoformat(), closes_at=closes_at.isoformat(),
                 scope=scope.value, authors=authors.value)
    return window


def close_window(congress: Congress, window: CommentWindow, *, user: User | None = None,
                 now: datetime | None = None) -> None:
    """Close comments by hand, before their closing time; what was written stays."""
    now = now or utcnow()
    if window.congress_id != congress.id:
        raise InputRefused(_l("There is no such comment window."), 404)
    if window.closed_since(now) is not None:
        raise InputRefused(_l("Comments on this document are already closed."), 409)
    claim_edit(window, None)
    window.closed_at = now
    audit.commit(user, "comments.close", window, code=window.document.code,
                 title=window.document.title)


@dataclass(frozen=True)
class WindowState:
    """What a page says about a document's comments: the window, and where it stands."""

    window: CommentWindow | None
    open: bool
    upcoming: bool
    closed_at: datetime | None
    count: int

    @property
    def by_paragraph(self) -> bool:
        return self.open and self.window.scope == CommentScope.PARAGRAPHS


def state(document: Document, now: datetime | None = None, *,
          counted: bool = True) -> WindowState:
    """The document's comment window as of now, with the number of comments received
    (0 unless `counted`: a delegate's page never shows it)."""
    now = now or utcnow()
    window = window_of(document)
    if window is None:
        return WindowState(None, False, False, None, 0)
    open_now = is_open(window, now)
    closed_at = window.closed_since(now)
    if closed_at is None and is_closed(document.congress):
        closed_at = document.congress.closed_at
    return WindowState(window, open_now, closed_at is None and now < window.opens_at,
                       closed_at, count(document) if counted else 0)


def states(congress: Congress, now: datetime | None = None) -> dict[int, WindowState]:
    """Each document's window state with its count, by document id, for the congress's
    documents that ever took comments (two queries, for the documents list)."""
    now = now or utcnow()
    windows = db.session.scalars(select(CommentWindow).where(
        CommentWindow.congress_id == congress.id)).all()
    counts = dict(db.session.execute(
        select(Comment.document_id, func.count(Comment.id))
        .where(Comment.congress_id == congress.id, Comment.withdrawn_at.is_(None))
        .group_by(Comment.document_id)).all())
    closed = is_closed(congress)
    found = {}
    for window in windows:
        closed_at = window.closed_since(now) or (congress.closed_at if closed else None)
        found[window.document_id] = WindowState(
            window, window.is_open(now) and not closed,
            closed_at is None and now < window.opens_at, closed_at,
            counts.get(window.document_id, 0))
    return found


def changes_with_time(document: Document, now: datetime | None = None) -> bool:
    """Whether the document's window will open or close later by the clock alone: a page
    showing it must not be kept rendered (a cached page would outlive the change)."""
    window = window_of(document)
    return window is not None and window.closed_at is None and (now or utcnow()) < window.closes_at


# Writing -----------------------------------------------------------------------------


def _check_document(congress: Congress, document: Document) -> None:
    if document.congress_id != congress.id or document.is_deleted:
        raise InputRefused(_l("There is no such document."), 404)


def open_window_or_423(document: Document, now: datetime | None = None) -> CommentWindow:
    """The document's open window; else 423 naming when it closed (or that it never opened)."""
    now = now or utcnow()
    window = window_of(document)
    if window is not None and is_open(window, now):
        return window
    if window is not None and now < window.opens_at and window.closed_at is None:
        raise InputRefused(_l("Comments on this document open at %(moment)s.",
                              moment=format_moment(window.opens_at)), 423)
    if window is None:
        raise InputRefused(_l("This document is not open for comments."), 423)
    closed = window.closed_since(now) or document.congress.closed_at or now
    raise InputRefused(_l("Comments on this document closed at %(moment)s; nothing was "
                          "saved.", moment=format_moment(closed)), 423)


def check_author(congress: Congress, delegate: Delegate | None) -> Delegate:
    """The signed-in delegate, if an active official delegate of this congress; else 403."""
    if (delegate is None or not getattr(delegate, "is_delegate", False)
            or delegate.congress_id != congress.id or not delegate.active):
        raise InputRefused(_l("Only the delegates of this congress can comment. Sign in with "
                              "your delegate card."), 403)
    if delegate.kind != DelegateKind.OFFICIAL:
        raise InputRefused(_l("Only official delegates can comment on the draft documents."),
                           403)
    return delegate


def _clean(raw: str | None, field: str, limit: int) -> str:
    text = unicodedata.normalize("NFC", (raw or "").replace("\r\n", "\n").strip())
    if len(text) > limit:
        raise InputRefused(_l("This is too long: at most %(max)d characters (you wrote "
                              "%(length)d).", max=limit, length=len(text)), field=field)
    return text


@dataclass(frozen=True)
class Opinion:
    """What a delegate wrote, checked: the stance, the reason or text, a proposed wording."""

    stance: Stance
    text: str
    proposed_wording: str


def check_opinion(stance: str | None, text: str | None, proposed_wording: str | None,
                  paragraph: int | None) -> Opinion:
    """The opinion as it will be stored, or InputRefused naming the field at fault."""
    try:
        chosen = Stance(stance or "")
    except ValueError:
        raise InputRefused(_l("Choose Agree, Disagree or Partly agree."),
                           field="stance") from None
    text = _clean(text, "text", TEXT_MAX)
    wording = _clean(proposed_wording, "proposed_wording", WORDING_MAX)
    if chosen == Stance.DISAGREE and not text:
        raise InputRefused(_l("Say why you disagree: the reason is required."), field="text")
    if chosen == Stance.PARTLY and not (text or wording):
        raise InputRefused(_l("Say which part you agree with, or propose a wording."),
                           field="text")
    if wording and paragraph is None:
        raise InputRefused(_l("A proposed wording belongs to a paragraph: comment on the "
                              "paragraph to propose one."), field="proposed_wording")
    return Opinion(chosen, text, wording)


def check_anchor(window: CommentWindow, document: Document,
                 paragraph: int) -> paragraphs.Paragraph:
    """§ `paragraph` of the current version, in a window that takes paragraph comments."""
    if window.scope != CommentScope.PARAGRAPHS:
        raise InputRefused(_l("This document takes comments on the whole document only."), 400)
    version = document.current_version
    anchor = paragraphs.paragraph(version, paragraph) if version is not None else None
    if anchor is None:
        raise InputRefused(_l("There is no § %(n)d in the current version of this document.",
                              n=paragraph), 404)
    return anchor


def _client_id(raw: str | None) -> str:
    try:
        return str(uuid.UUID(str(raw or "").strip()))
    except ValueError:
        raise InputRefused(_l("This form is incomplete; reload the page and write the comment "
                              "again.")) from None


def _same(comment: Comment, author: Delegate, document: Document, paragraph: int | None,
          opinion: Opinion, group: comment_groups.GroupShare | None) -> bool:
    return (comment.author_id == author.id and comment.document_id == document.id
            and comment.paragraph == paragraph and comment.stance == opinion.stance
            and comment.text == opinion.text
            and comment.proposed_wording == opinion.proposed_wording
            and comment.group_share == (group.share if group else None))


def _sent_before(client_id: str, author: Delegate, document: Document, paragraph: int | None,
                 opinion: Opinion, group: comment_groups.GroupShare | None = None
                 ) -> Comment | None:
    """The comment this client id made already (the same one sent again), or None; the id
    with other content is a 409: a client id names one comment only."""
    earlier = db.session.scalar(select(Comment).where(Comment.client_id == client_id))
    if earlier is None:
        return None
    if not _same(earlier, author, document, paragraph, opinion, group):
        raise InputRefused(_l("This comment was already sent with other content; nothing was "
                              "changed. Open “My comments” to edit it."), 409)
    return earlier


def write_comment(congress: Congress, document: Document, author: Delegate | None, *,
                  client_id: str | None, paragraph: int | None, stance: str | None,
                  text: str | None = "", proposed_wording: str | None = "",
                  as_group: bool = False, group_share: str | int | None = None,
                  now: datetime | None = None) -> tuple[Comment, bool]:
    """Save a delegate's comment on § `paragraph` of the current version (None: the whole
    document); returns it and whether it is new (False: the same comment sent again).

    `as_group`: a secretary enters their discussion group's opinion, shared by
    `group_share` of its delegates (services/comment_groups)."""
    now = now or utcnow()
    _check_document(congress, document)
    author = check_author(congress, author)
    client_id = _client_id(client_id)
    opinion = check_opinion(stance, text, proposed_wording, paragraph)
    group = comment_groups.check_group_opinion(congress, author, as_group, group_share)
    earlier = _sent_before(client_id, author, document, paragraph, opinion, group)
    if earlier is not None:
        return earlier, False
    window = open_window_or_423(document, now)
    comment_groups.check_window_authors(window, author, as_group)
    version = document.current_version
    anchor = check_anchor(window, document, paragraph) if paragraph is not None else None
    comment = Comment(
        client_id=client_id, congress_id=congress.id, document_id=document.id,
        version_id=version.id, paragraph=paragraph,
        paragraph_text=anchor.text if anchor else "", section=anchor.section[:500] if anchor
        else "", stance=opinion.stance, text=opinion.text,
        proposed_wording=opinion.proposed_wording, author_id=author.id, created_at=now,
        updated_at=now, discussion_group=author.discussion_group[:100],
        group_share=group.share if group else None, group_size=group.size if group else None,
    )
    db.session.add(comment)
    shared = {"group": group.group, "share": group.share, "size": group.size} if group else {}
    try:
        audit.commit(None, "comment.create", comment, delegate=author.number,
                     code=document.code, paragraph=paragraph, stance=opinion.stance.value,
                     **shared,
                     refused=lambda: InputRefused(_l("This comment was already sent."), 409))
    except InputRefused as refused:
        # The same id, sent twice at once: the other request saved it first.
        if refused.status != 409:
            raise
        earlier = _sent_before(client_id, author, document, paragraph, opinion, group)
        if earlier is None:
            raise
        return earlier, False
    return comment, True


def own_comment(congress: Congress, author: Delegate | None, comment_id: int) -> Comment:
    """One of this delegate's own comments, or 404: nobody else's is ever shown to them."""
    comment = db.session.get(Comment, comment_id)
    if (comment is None or author is None or not getattr(author, "is_delegate", False)
            or comment.congress_id != congress.id or comment.author_id != author.id):
        raise InputRefused(_l("There is no such comment among yours."), 404)
    return comment


def changeable(comment: Comment, now: datetime | None = None) -> None:
    """Refuse a change to a withdrawn comment, or once its window has closed (423)."""
    if comment.is_withdrawn:
        raise InputRefused(_l("This comment has been withdrawn; write a new one instead."), 409)
    open_window_or_423(comment.document, now)


def edit_comment(congress: Congress, author: Delegate | None, comment: Comment, *,
                 stance: str | None, text: str | None, proposed_wording: str | None = "",
                 group_share: str | int | None = None, expected_version: int | None = None,
                 now: datetime | None = None) -> None:
    """Change one's own comment while the window is open; the paragraph stays the same, and
    a group's opinion stays its group's (its share count can change)."""
    now = now or utcnow()
    comment = own_comment(congress, author, comment.id)
    changeable(comment, now)
    opinion = check_opinion(stance, text, proposed_wording, comment.paragraph)
    group = (comment_groups.check_share(congress, comment.discussion_group, group_share)
             if comment.is_group_opinion else None)
    claim_edit(comment, expected_version)
    comment.stance, comment.text = opinion.stance, opinion.text
    comment.proposed_wording, comment.updated_at = opinion.proposed_wording, now
    shared = {}
    if group is not None:
        comment.group_share, comment.group_size = group.share, group.size
        shared = {"group": group.group, "share": group.share, "size": group.size}
    audit.commit(None, "comment.update", comment, delegate=author.number,
                 code=comment.document.code, paragraph=comment.paragraph,
                 stance=opinion.stance.value, **shared)


def withdraw_comment(congress: Congress, author: Delegate | None, comment: Comment, *,
                     now: datetime | None = None) -> None:
    """Withdraw one's own comment while the window is open: it is no longer counted."""
    now = now or utcnow()
    comment = own_comment(congress, author, comment.id)
    changeable(comment, now)
    claim_edit(comment, None)
    comment.withdrawn_at = now
    audit.commit(None, "comment.withdraw", comment, delegate=author.number,
                 code=comment.document.code, paragraph=comment.paragraph)


# Reading -----------------------------------------------------------------------------


def my_comments(congress: Congress, author: Delegate) -> list[Comment]:
    """A delegate's own comments, newest first, withdrawn ones included (marked so)."""
    return list(db.session.scalars(
        select(Comment).options(joinedload(Comment.document))
        .where(Comment.congress_id == congress.id, Comment.author_id == author.id)
        .order_by(Comment.created_at.desc(), Comment.id.desc())))


def count(document: Document) -> int:
    """How many comments the document has received, withdrawn ones not counted."""
    return db.session.scalar(select(func.count(Comment.id)).where(
        Comment.document_id == document.id, Comment.withdrawn_at.is_(None))) or 0
