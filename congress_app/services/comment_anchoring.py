"""When a draft gets a new version, its comments follow their paragraphs into it.

Each comment on a paragraph of an older version is matched (paragraphs.follow) against the
new version's paragraphs: the same words move it to their § there (a paragraph that moved
keeps its comments), alike words move it flagged "changed", and below the threshold it stays
on the paragraph it was on, flagged "not_found". Nothing is ever deleted: Decidim moves
pending suggestions forward, Consul pins them to the old version and loses them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..models import AnchorState, Comment, Document, DocumentVersion, User
from . import audit, paragraphs


@dataclass(frozen=True)
class Reanchored:
    """What one replacement did to the document's comments."""

    moved: int = 0
    changed: int = 0
    not_found: int = 0

    @property
    def total(self) -> int:
        return self.moved + self.changed + self.not_found


def follow_new_version(document: Document, version: DocumentVersion,
                       user: User | None = None) -> Reanchored:
    """Re-anchor every comment of the document not yet on `version`, in the caller's
    transaction (intake's replacement), so the new version and its comments commit together.

    Withdrawn comments follow too: one rule for every comment keeps the secretariat's lists
    (where a withdrawn original still frees its duplicates) and the archive on one version,
    and a count before a replacement is the count after. Whole-document comments simply move.
    """
    older = db.session.scalars(
        select(Comment).where(Comment.document_id == document.id,
                              Comment.version_id != version.id)
        .order_by(Comment.id)).all()
    if not older:
        return Reanchored()
    candidates = paragraphs.paragraphs(version)
    counts = {state: 0 for state in AnchorState}
    for comment in older:
        counts[_follow(comment, version, candidates)] += 1
    result = Reanchored(counts[AnchorState.CURRENT], counts[AnchorState.CHANGED],
                        counts[AnchorState.NOT_FOUND])
    audit.record(user, "comment.reanchor", document, code=document.code,
                 version=version.number, moved=result.moved, changed=result.changed,
                 not_found=result.not_found)
    return result


def changed_paragraphs(version: DocumentVersion, author_id: int) -> set[int]:
    """The § numbers of `version` where this delegate has a live comment whose paragraph
    changed since it was written (the text mode marks them "paragraph changed")."""
    return set(db.session.scalars(
        select(Comment.paragraph).where(
            Comment.version_id == version.id, Comment.author_id == author_id,
            Comment.paragraph.is_not(None), Comment.withdrawn_at.is_(None),
            Comment.anchor_state == AnchorState.CHANGED)))


def _follow(comment: Comment, version: DocumentVersion,
            candidates: tuple[paragraphs.Paragraph, ...]) -> AnchorState:
    """Move one comment into `version` (or leave it where it is) and flag it."""
    comment.anchored_to_id = version.id
    if comment.paragraph is None:
        comment.version_id = version.id
        comment.anchor_state = AnchorState.CURRENT
        return comment.anchor_state
    followed = paragraphs.follow(_anchor_text(comment), candidates)
    if followed.paragraph is None:
        comment.anchor_state = AnchorState.NOT_FOUND
        return comment.anchor_state
    comment.version_id = version.id
    comment.paragraph = followed.paragraph.number
    comment.section = followed.paragraph.section[:500]
    # Flagged against what the delegate read, so a paragraph changed once stays "changed".
    same = paragraphs.same_words(followed.paragraph.text, comment.paragraph_text)
    comment.anchor_state = AnchorState.CURRENT if same else AnchorState.CHANGED
    return comment.anchor_state


def _anchor_text(comment: Comment) -> str:
    """The words the comment now sits on: its paragraph in the version it is on."""
    found = paragraphs.paragraph(comment.version, comment.paragraph or 0)
    return found.text if found is not None else comment.paragraph_text
