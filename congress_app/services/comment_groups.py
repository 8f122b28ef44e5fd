"""Góp ý by discussion group (tổ): the secretary enters the group's opinion, with how many of
the group's delegates share it, and every comment keeps the group it was written in.

A group is the roster's `discussion_group` text ("Tổ 3"); its delegate count is the number
of active official delegates with that text, counted when the opinion is entered and kept
with it (group_size), so a later roster change does not rewrite "12/15" in the report.

Counting, everywhere (triage, the compiled report and its exports): a delegate's own
comment counts 1; a group's opinion counts as its share count. A delegate whose group's
opinion counts them and who also comments on their own is counted in both: the secretary
states the share, nothing guesses the overlap. Without group opinions every count is the
number of comments, as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import (
    Comment,
    CommentAuthors,
    CommentWindow,
    Congress,
    Delegate,
    DelegateKind,
    Document,
)
from ..numbers import whole_number
from . import visibility
from .errors import InputRefused


@dataclass(frozen=True)
class GroupShare:
    """A group's opinion as it will be stored: the group, its share count and its size."""

    group: str
    share: int
    size: int


def group_size(congress: Congress, group: str) -> int:
    """How many active official delegates the congress's discussion group has now."""
    if not group:
        return 0
    return db.session.scalar(select(func.count(Delegate.id)).where(
        Delegate.congress_id == congress.id, Delegate.discussion_group == group,
        Delegate.active.is_(True), Delegate.kind == DelegateKind.OFFICIAL)) or 0


def is_secretary(delegate: Delegate | None) -> bool:
    """A delegate who may enter a group's opinion: marked secretary, and in a group."""
    return bool(delegate is not None and getattr(delegate, "group_secretary", False)
                and delegate.discussion_group)


def check_share(congress: Congress, group: str, raw: str | int | None) -> GroupShare:
    """The share count as typed, from 1 to the group's delegate count, or InputRefused."""
    size = group_size(congress, group)
    share = raw if isinstance(raw, int) else whole_number(str(raw or ""))
    if share is None or not 1 <= share <= size:
        raise InputRefused(_l("Enter how many of the %(size)d delegates of %(group)s share this "
                              "opinion: a whole number from 1 to %(size)d.", size=size,
                              group=group), field="group_share")
    return GroupShare(group, share, size)


def check_group_opinion(congress: Congress, author: Delegate, as_group: bool,
                        share: str | int | None) -> GroupShare | None:
    """What a comment sent "as the group's opinion" stores (None: the author's own)."""
    if not as_group:
        return None
    if not is_secretary(author):
        raise InputRefused(_l("Only the secretary of a discussion group can enter the group's "
                              "opinion."), 403)
    return check_share(congress, author.discussion_group, share)


def check_window_authors(window: CommentWindow, author: Delegate, as_group: bool) -> None:
    """Refuse what this window does not take: own comments, or groups' opinions."""
    authors = window.authors or CommentAuthors.OFFICIAL_DELEGATES
    if as_group and not authors.takes_groups:
        raise InputRefused(_l("This document takes the delegates' own comments only, not the "
                              "groups' opinions."), 403)
    if not as_group and not authors.takes_own:
        if is_secretary(author):
            raise InputRefused(_l("On this document the discussion groups' secretaries enter "
                                  "their group's opinion: choose “Group opinion”."),
                               field="kind")
        raise InputRefused(_l("On this document only the discussion groups' secretaries comment, "
                              "entering their group's opinion."), 403)


def check_may_write(window: CommentWindow, author: Delegate) -> None:
    """Before anything is typed: refuse a delegate who could send nothing in this window."""
    authors = window.authors or CommentAuthors.OFFICIAL_DELEGATES
    if not authors.takes_own and not is_secretary(author):
        check_window_authors(window, author, as_group=False)


def group_comments(congress: Congress, delegate: Delegate) -> list[Comment]:
    """The live comments of the delegate's own discussion group written by others, newest
    first, when the congress lets delegates see them; else none. A delegate in no group
    sees none (an empty group is no group)."""
    group = delegate.discussion_group
    if not (congress.delegates_see_group_comments and group
            and delegate.congress_id == congress.id):
        return []
    found = db.session.scalars(
        select(Comment).join(Document, Comment.document_id == Document.id)
        .options(joinedload(Comment.document), joinedload(Comment.author))
        .where(Comment.congress_id == congress.id, Comment.discussion_group == group,
               Comment.author_id != delegate.id, Comment.withdrawn_at.is_(None),
               Document.deleted_at.is_(None))
        .order_by(Comment.created_at.desc(), Comment.id.desc()))
    return [c for c in found if visibility.can_view(c.document, delegate)]


_NUMBER = re.compile(r"(\d+)")


def sort_key(group: str) -> tuple:
    """"Tổ 2" before "Tổ 10"; the comments of no group ("") last."""
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p.casefold())
                  for p in _NUMBER.split(group) if p)
    return (group == "", parts)


def opinion_label(group: str, share: int, size: int) -> str:
    """A group's opinion as printed: "Ý kiến của Tổ 3 (12/15 đại biểu)"."""
    return str(_l("%(group)s's opinion (%(share)d/%(size)d delegates)", group=group,
                  share=share, size=size))


def delegates_label(group: str, count: int) -> str:
    """Delegates' own comments of one group as printed: "Tổ 1: 2 đại biểu"."""
    name = group or str(_l("no discussion group"))
    return ngettext("%(group)s: %(num)d delegate", "%(group)s: %(num)d delegates", count,
                    group=name)


def group_name(group: str) -> str:
    """A group's name as a table prints it; "(no discussion group)" for none."""
    return group or str(_l("(no discussion group)"))


def comment_label(comment: Comment) -> str:
    """One comment's group as a list shows it: the group's opinion with its share, or the
    author's group ("" for none)."""
    if comment.is_group_opinion:
        return opinion_label(comment.discussion_group, comment.group_share,
                             comment.group_size or comment.group_share)
    return comment.discussion_group


def members_label(members: list[Comment], *, own: bool = True) -> str:
    """Who an opinion (a comment and the duplicates merged into it) stands for, by group:
    "Ý kiến của Tổ 3 (12/15 đại biểu); Tổ 1: 2 đại biểu"; "" when none has a group.
    Without `own`, the groups' opinions only (what the printed report adds to a count)."""
    if not any(m.discussion_group for m in members):
        return ""
    parts, delegates = [], {}
    for member in members:
        if member.is_group_opinion:
            parts.append(opinion_label(member.discussion_group, member.group_share,
                                       member.group_size or member.group_share))
        elif own:
            delegates[member.discussion_group] = delegates.get(member.discussion_group, 0) + 1
    parts += [delegates_label(g, n)
              for g, n in sorted(delegates.items(), key=lambda i: sort_key(i[0]))]
    return "; ".join(parts)


def members_data(members: list[Comment]) -> list[dict]:
    """The same as data, for the JSON export: each group's opinion with its share and size,
    then the delegates' own comments counted by group ("" for no group)."""
    found, delegates = [], {}
    for member in members:
        if member.is_group_opinion:
            found.append({"group": member.discussion_group, "group_opinion": True,
                          "delegates": member.group_share,
                          "group_size": member.group_size or member.group_share})
        else:
            delegates[member.discussion_group] = delegates.get(member.discussion_group, 0) + 1
    return found + [{"group": g, "group_opinion": False, "delegates": n, "group_size": None}
                    for g, n in sorted(delegates.items(), key=lambda i: sort_key(i[0]))]
