"""Góp ý, the secretariat's side: every comment of the congress answered for the report.

A secretary classifies a comment (tiếp thu, giải trình, không tiếp thu, đã có trong dự thảo)
with a response, or marks it a duplicate of another comment on the same document: it is
then counted with that original and answered by the original's classification. Duplicates
always point at an original that is itself no duplicate, so a group is one level deep.

Withdrawn comments are not triaged: they are listed apart and counted nowhere. Each triage
row has its own edit_version: a change made from a page loaded before someone else's change
to the same comment is refused (EditConflict), like every organiser edit. The congress is
passed in by the caller; a comment of another congress is unknown here.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import (
    Classification,
    Comment,
    CommentTriage,
    Congress,
    Document,
    Stance,
    User,
)
from . import audit, comment_groups
from .errors import EditConflict, InputRefused, claim_edit

RESPONSE_MAX = 2000
# A response is required where the report must say why (explained, not accepted).
NEEDS_RESPONSE = frozenset({Classification.EXPLAINED, Classification.NOT_ACCEPTED})
# The filter's states of a comment.
STATES = ("unclassified", "classified")
# Entries on one page of the triage: 2,000 comments on one page took seconds and megabytes.
PER_PAGE = 50


# Reading -------------------------------------------------------------------------------


def congress_comments(congress: Congress) -> list[Comment]:
    """Every comment of the congress on a document not deleted, in the documents' order,
    then by paragraph (the whole document first), then as written."""
    return list(db.session.scalars(
        select(Comment).join(Document, Comment.document_id == Document.id)
        .options(joinedload(Comment.document), joinedload(Comment.author))
        .where(Comment.congress_id == congress.id, Document.deleted_at.is_(None))
        .order_by(Document.position, Document.id, Comment.paragraph.is_not(None),
                  Comment.paragraph, Comment.id)))


def triages(congress: Congress) -> dict[int, CommentTriage]:
    """The congress's triage rows by the id of the comment they answer."""
    return {t.comment_id: t for t in db.session.scalars(
        select(CommentTriage).where(CommentTriage.congress_id == congress.id))}


@dataclass
class Entry:
    """A live comment as the triage page shows it: its answer, and the comments merged into
    it (or the original it is merged into)."""

    comment: Comment
    triage: CommentTriage | None
    original: Comment | None = None
    duplicates: list[Comment] = field(default_factory=list)
    original_triage: CommentTriage | None = None
    # The duplicates' own entries, for the forms the page shows on each.
    duplicate_entries: list[Entry] = field(default_factory=list)

    @property
    def version(self) -> int:
        """What the page's forms send back: 0 while the comment was never triaged."""
        return self.triage.edit_version if self.triage is not None else 0

    @property
    def answer(self) -> CommentTriage | None:
        """The triage that answers it: the original's for a duplicate."""
        return self.original_triage if self.original is not None else self.triage

    @property
    def classification(self) -> Classification | None:
        answer = self.answer
        return answer.classification if answer is not None else None

    @property
    def response(self) -> str:
        answer = self.answer
        return answer.response if answer is not None else ""

    @property
    def count(self) -> int:
        """How many delegates' opinions this one stands for: each comment merged into it
        counts 1, a group's opinion its share count (services/comment_groups)."""
        return sum(c.weight for c in [self.comment, *self.duplicates])


@dataclass(frozen=True)
class Counts:
    """Every live comment of the congress counted by stance and by answer (a duplicate by its
    original's), whatever the page shows: the figures at the top of the triage page."""

    stances: dict[Stance, int]
    classifications: dict[Classification | None, int]

    @property
    def total(self) -> int:
        return sum(self.stances.values())


@dataclass
class Board:
    """The triage page: one page of the shown entries (originals, each with its duplicates),
    the withdrawn comments apart, and the counts of every live comment."""

    entries: list[Entry]
    withdrawn: list[Comment]
    stance_counts: dict[Stance, int]
    classification_counts: dict[Classification | None, int]
    total: int
    documents: list[Document]
    sections: list[str]
    # The discussion groups comments were written in, for the filter ("" not listed).
    groups: list[str] = field(default_factory=list)
    # Entries the filter matched on every page, and where this page starts (1-based).
    matched: int = 0
    page: int = 1
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.matched // self.per_page))

    @property
    def first(self) -> int:
        """The number of the page's first entry among the matched (0 when none matched)."""
        return (self.page - 1) * self.per_page + 1 if self.entries else 0

    @property
    def last(self) -> int:
        return self.first + len(self.entries) - 1 if self.entries else 0


def entries(congress: Congress) -> tuple[list[Entry], list[Comment]]:
    """Every live comment's entry (duplicates inside their original's) and the withdrawn."""
    rows = triages(congress)
    comments = congress_comments(congress)
    live = {c.id: c for c in comments if not c.is_withdrawn}
    by_id: dict[int, Entry] = {}
    for comment in live.values():
        by_id[comment.id] = Entry(comment, rows.get(comment.id))
    originals = []
    for entry in by_id.values():
        triage = entry.triage
        original_id = triage.duplicate_of_id if triage is not None else None
        if original_id in by_id:  # an original withdrawn since frees its duplicates
            entry.original = live[original_id]
            entry.original_triage = rows.get(original_id)
            by_id[original_id].duplicates.append(entry.comment)
            by_id[original_id].duplicate_entries.append(entry)
        else:
            originals.append(entry)
    return originals, [c for c in comments if c.is_withdrawn]


def _shown(entry: Entry, *, document_id: int | None, section: str, stance: str,
           state: str, moved_on: bool, group: str = "") -> bool:
    comment = entry.comment
    return ((document_id is None or comment.document_id == document_id)
            and (not group or any(c.discussion_group == group
                                  for c in [comment, *entry.duplicates]))
            and (not moved_on or comment.paragraph_moved_on)
            and (not section or comment.section == section)
            and (not stance or comment.stance.value == stance)
            and (state != "unclassified" or entry.classification is None)
            and (state != "classified" or entry.classification is not None))


def counts(congress: Congress) -> Counts:
    """The live comments counted as board() counts them, from two narrow queries (no rows
    loaded as objects): cheap enough for the page's poll every few seconds."""
    live = dict(db.session.execute(
        select(Comment.id, Comment.stance).join(Document, Comment.document_id == Document.id)
        .where(Comment.congress_id == congress.id, Document.deleted_at.is_(None),
               Comment.withdrawn_at.is_(None))).tuples().all())
    answers = {comment_id: (classification, original_id)
               for comment_id, classification, original_id in db.session.execute(
                   select(CommentTriage.comment_id, CommentTriage.classification,
                          CommentTriage.duplicate_of_id)
                   .where(CommentTriage.congress_id == congress.id)).tuples()}
    stances: Counter = Counter()
    classes: Counter = Counter()
    for comment_id, stance in live.items():
        classification, original_id = answers.get(comment_id, (None, None))
        if original_id in live:  # answered by its original (a withdrawn one frees it)
            classification = answers.get(original_id, (None, None))[0]
        stances[stance] += 1
        classes[classification] += 1
    return Counts({s: stances[s] for s in Stance},
                  {**{c: classes[c] for c in Classification}, None: classes[None]})


def board(congress: Congress, *, document_id: int | None = None, section: str = "",
          stance: str = "", state: str = "", moved_on: bool = False, group: str = "",
          page: int = 1, per_page: int = PER_PAGE) -> Board:
    """One page of the triage (past the last page: the last), filtered by document,
    section, stance, state, discussion group (an opinion with a comment of that group in
    it) and (moved_on) a paragraph changed or not found in a new version; the counts at the
    top are of every live comment, whatever the filter."""
    originals, withdrawn = entries(congress)
    documents, sections = [], []
    for entry in originals:
        if entry.comment.document not in documents:
            documents.append(entry.comment.document)
        if entry.comment.section and entry.comment.section not in sections \
                and (document_id is None or entry.comment.document_id == document_id):
            sections.append(entry.comment.section)
    shown = [e for e in originals if _shown(e, document_id=document_id, section=section,
                                            stance=stance, state=state,
                                            moved_on=moved_on, group=group)]
    groups = sorted({c.discussion_group for e in originals for c in [e.comment, *e.duplicates]
                     if c.discussion_group}, key=comment_groups.sort_key)
    page = min(max(page, 1), max(1, -(-len(shown) // per_page)))
    tally = counts(congress)
    return Board(shown[(page - 1) * per_page:page * per_page], withdrawn, tally.stances,
                 tally.classifications, tally.total, documents, sections, groups,
                 matched=len(shown), page=page, per_page=per_page)


def word_diff(paragraph: str, proposed: str) -> list[tuple[str, str]]:
    """The proposed wording against the paragraph, word by word: ("same" | "del" | "ins",
    words) runs in reading order (deleted words before the words put in their place)."""
    old, new = paragraph.split(), proposed.split()
    runs: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            runs.append(("same", " ".join(old[a1:a2])))
            continue
        if a2 > a1:
            runs.append(("del", " ".join(old[a1:a2])))
        if b2 > b1:
            runs.append(("ins", " ".join(new[b1:b2])))
    return runs


# Changing ------------------------------------------------------------------------------


def _own(congress: Congress, comment: Comment | None) -> Comment:
    if comment is None or comment.congress_id != congress.id:
        raise InputRefused(_l("There is no such comment."), 404)
    return comment


def _triage_to_change(congress: Congress, comment: Comment, expected_version: int | None,
                      user: User | None) -> CommentTriage:
    """The comment's triage row, claimed for this change (made on the first change)."""
    comment = _own(congress, comment)
    if comment.is_withdrawn:
        raise InputRefused(_l("Its author has withdrawn this comment: it is not triaged and "
                              "not counted."), 409)
    triage = db.session.scalar(select(CommentTriage).where(
        CommentTriage.comment_id == comment.id))
    if triage is None:
        if expected_version:  # the page knew a triage that is no longer there
            raise EditConflict()
        triage = CommentTriage(congress_id=congress.id, comment_id=comment.id, response="",
                               edit_version=1)
        db.session.add(triage)
    else:
        claim_edit(triage, expected_version)
    triage.triaged_by_id = user.id if user is not None else None
    return triage


def _detail(comment: Comment) -> dict:
    return {"code": comment.document.code, "paragraph": comment.paragraph,
            "comment": comment.id}


def classify(congress: Congress, comment: Comment, *, classification: str | None,
             response: str | None, user: User | None = None,
             expected_version: int | None = None) -> CommentTriage:
    """Answer a comment: its classification and the response the report prints."""
    try:
        chosen = Classification(classification or "")
    except ValueError:
        raise InputRefused(_l("Choose how the comment is answered."),
                           field="classification") from None
    text = unicodedata.normalize("NFC", (response or "").replace("\r\n", "\n").strip())
    if len(text) > RESPONSE_MAX:
        raise InputRefused(_l("The response is too long: at most %(max)d characters (you wrote "
                              "%(length)d).", max=RESPONSE_MAX, length=len(text)),
                           field="response")
    if chosen in NEEDS_RESPONSE and not text:
        raise InputRefused(_l("Write the response: the report says why a comment is explained "
                              "or not accepted."), field="response")
    merged = db.session.scalar(select(CommentTriage.duplicate_of_id).where(
        CommentTriage.comment_id == _own(congress, comment).id))
    if merged is not None:
        raise InputRefused(_l("This comment is a duplicate of comment No. %(n)d: answer the "
                              "original, or separate them first.", n=merged), 409)
    triage = _triage_to_change(congress, comment, expected_version, user)
    triage.classification, triage.response = chosen, text
    audit.commit(user, "comment.classify", comment, **_detail(comment),
                 classification=chosen.value, refused=EditConflict)
    return triage


def _original(congress: Congress, comment: Comment, original_id: int | None) -> Comment:
    """The comment a duplicate joins: on the same document, live, followed to its own
    original when it is itself a duplicate."""
    original = db.session.get(Comment, original_id) if original_id else None
    if original is None or original.congress_id != congress.id:
        raise InputRefused(_l("There is no comment with this number. Type the number shown "
                              "on the original comment."), field="original")
    if original.id == comment.id:
        raise InputRefused(_l("A comment cannot be a duplicate of itself."), field="original")
    if original.document_id != comment.document_id:
        raise InputRefused(_l("Comment No. %(n)d is on another document: a duplicate must be on "
                              "the same document.", n=original.id), field="original")
    if original.is_withdrawn:
        raise InputRefused(_l("Comment No. %(n)d has been withdrawn by its author.",
                              n=original.id), field="original")
    row = db.session.scalar(select(CommentTriage).where(
        CommentTriage.comment_id == original.id))
    if row is not None and row.duplicate_of_id is not None:
        original = db.session.get(Comment, row.duplicate_of_id)
    if original.id == comment.id:
        raise InputRefused(_l("Comment No. %(n)d is already a duplicate of this one.",
                              n=original_id), field="original")
    return original


def mark_duplicate(congress: Congress, comment: Comment, *, original_id: int | None,
                   user: User | None = None,
                   expected_version: int | None = None) -> CommentTriage:
    """Merge a comment into another: it is counted, and answered, with that original; the
    comments already merged into it move along to the original."""
    comment = _own(congress, comment)
    original = _original(congress, comment, original_id)
    triage = _triage_to_change(congress, comment, expected_version, user)
    triage.duplicate_of_id = original.id
    moved = list(db.session.scalars(select(CommentTriage).where(
        CommentTriage.duplicate_of_id == comment.id)))
    for row in moved:
        claim_edit(row, None)
        row.duplicate_of_id = original.id
    audit.commit(user, "comment.mark_duplicate", comment, **_detail(comment),
                 original=original.id, moved=[row.comment_id for row in moved],
                 refused=EditConflict)
    return triage


def separate(congress: Congress, comment: Comment, *, user: User | None = None,
             expected_version: int | None = None) -> CommentTriage:
    """Undo a merge: the comment is counted and answered on its own again."""
    merged = db.session.scalar(select(CommentTriage.duplicate_of_id).where(
        CommentTriage.comment_id == _own(congress, comment).id))
    if merged is None:
        raise InputRefused(_l("This comment is not marked as a duplicate."), 409)
    triage = _triage_to_change(congress, comment, expected_version, user)
    original = triage.duplicate_of_id
    triage.duplicate_of_id = None
    audit.commit(user, "comment.separate", comment, **_detail(comment), original=original,
                 refused=EditConflict)
    return triage
