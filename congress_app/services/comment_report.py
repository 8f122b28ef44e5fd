"""The compiled report of góp ý: the congress's opinions by document, section and paragraph,
and adopting it as a congress document.

What the PDF, the CSV and the XLSX print comes from `compile_report`, so the three say the
same. An opinion is an original comment with the duplicates merged into it: it is counted
once per comment (a group's opinion as its share count, see services/comment_groups) and
answered once. The counts are also split by the discussion group each comment was written
in (documents × stances × groups). Adopting renders the PDF and hands it to the intake
service like any upload: the first time as a new document of the "comments summary"
category, afterwards as a new version of that same document (same code, same printed QR).
"""

from __future__ import annotations

import hashlib
import io
import re
from collections import Counter
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import (
    AnchorState,
    Classification,
    Comment,
    CommentReportAdoption,
    Congress,
    Delegate,
    Document,
    DocumentCategory,
    DocumentVersion,
    Stance,
    User,
    Visibility,
    utcnow,
)
from . import audit, comment_groups, intake
from . import documents as document_service
from .comment_triage import Entry, entries, word_diff
from .errors import InputRefused


@dataclass
class Opinion:
    """One opinion as the report prints it."""

    comment: Comment
    count: int
    authors: list[Delegate]
    classification: Classification | None
    response: str
    # Who it stands for, by discussion group ("Ý kiến của Tổ 3 (12/15 đại biểu); Tổ 1: 2
    # đại biểu"), "" when no comment has a group; `shares`: the groups' opinions only.
    groups: str = ""
    shares: str = ""
    members: list[Comment] = field(default_factory=list)

    @property
    def paragraph_flag(self) -> AnchorState | None:
        """Why the secretariat must read it against the new wording ("đoạn đã thay đổi", or
        not found in the new version); None while it is on the same words."""
        state = self.comment.anchor_state
        return state if state != AnchorState.CURRENT else None

    @property
    def diff(self) -> list[tuple[str, str]]:
        """The proposed wording against the paragraph (empty without a wording)."""
        if not self.comment.proposed_wording:
            return []
        return word_diff(self.comment.paragraph_text, self.comment.proposed_wording)


@dataclass
class ParagraphOpinions:
    """The opinions on one § (number None: on the document as a whole)."""

    number: int | None
    text: str
    opinions: list[Opinion] = field(default_factory=list)


@dataclass
class SectionOpinions:
    """The paragraphs of one section (title "" before the first heading)."""

    title: str
    paragraphs: list[ParagraphOpinions] = field(default_factory=list)


@dataclass
class GroupCounts:
    """One discussion group's share of a document's counts ("" : comments of no group)."""

    group: str
    stances: dict[Stance, int] = field(default_factory=lambda: dict.fromkeys(Stance, 0))

    @property
    def total(self) -> int:
        return sum(self.stances.values())


@dataclass
class DocumentOpinions:
    """A document's opinions, and its comments counted by stance (duplicates included),
    also by discussion group (`groups`, empty when no comment has one)."""

    document: Document
    sections: list[SectionOpinions] = field(default_factory=list)
    stances: dict[Stance, int] = field(default_factory=dict)
    groups: list[GroupCounts] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.stances.values())


def _opinion(entry: Entry) -> Opinion:
    members = [entry.comment, *entry.duplicates]
    authors = [c.author for c in members if c.author is not None]
    return Opinion(entry.comment, entry.count, authors, entry.classification, entry.response,
                   comment_groups.members_label(members),
                   comment_groups.members_label(members, own=False), members)


def _by_group(members: dict[str, GroupCounts]) -> list[GroupCounts]:
    if not any(members):  # only comments of no group: no group rows at all
        return []
    return [members[g] for g in sorted(members, key=comment_groups.sort_key)]


def compile_report(congress: Congress,
                   categories: frozenset[DocumentCategory] | None = None
                   ) -> list[DocumentOpinions]:
    """The report's content: documents in their order, each by section and paragraph (the
    whole document first), withdrawn comments left out; only `categories` when given.

    Once the congress's personal data is purged no opinion names its authors (the purge
    took them off the comments: who said what served the triage), and every count stays."""
    originals, _withdrawn = entries(congress)
    by_document: dict[int, DocumentOpinions] = {}
    paragraphs: dict[tuple[int, int | None], ParagraphOpinions] = {}
    sections: dict[int, dict[int | None, str]] = {}
    groups: dict[int, dict[str, GroupCounts]] = {}
    for entry in originals:
        comment = entry.comment
        if categories is not None and comment.document.category not in categories:
            continue
        report = by_document.setdefault(comment.document_id, DocumentOpinions(
            comment.document, stances=dict.fromkeys(Stance, 0)))
        for member in [comment, *entry.duplicates]:
            report.stances[member.stance] += member.weight
            counts = groups.setdefault(comment.document_id, {}).setdefault(
                member.discussion_group, GroupCounts(member.discussion_group))
            counts.stances[member.stance] += member.weight
        key = (comment.document_id, comment.paragraph)
        if key not in paragraphs:
            paragraphs[key] = ParagraphOpinions(comment.paragraph, comment.paragraph_text)
            sections.setdefault(comment.document_id, {})[comment.paragraph] = comment.section
        paragraphs[key].opinions.append(_opinion(entry))
    for (document_id, _number), shown in sorted(
            paragraphs.items(), key=lambda item: (item[0][1] is not None, item[0][1] or 0)):
        report = by_document[document_id]
        title = sections[document_id][shown.number] if shown.number is not None else ""
        if not report.sections or report.sections[-1].title != title:
            report.sections.append(SectionOpinions(title))
        report.sections[-1].paragraphs.append(shown)
    for document_id, report in by_document.items():
        report.groups = _by_group(groups.get(document_id, {}))
    return sorted(by_document.values(),
                  key=lambda r: (r.document.position, r.document.id))


def stance_totals(reports: list[DocumentOpinions]) -> dict[Stance, int]:
    """Every document's comments together, by stance (the summary table's last row)."""
    totals: Counter = Counter()
    for report in reports:
        totals.update(report.stances)
    return {stance: totals[stance] for stance in Stance}


_DRAFT_WORD = re.compile(r"^\s*(dự\s+thảo|draft)\s+", re.IGNORECASE)


def drafts_named(reports: list[DocumentOpinions]) -> str:
    """The documents' titles for "… góp ý vào dự thảo …": the leading "Dự thảo" of a title
    is the sentence's already."""
    return "; ".join(_DRAFT_WORD.sub("", r.document.title) for r in reports)


# Adopting ------------------------------------------------------------------------------


def adoption_of(congress: Congress) -> CommentReportAdoption | None:
    """The congress's adopted report, if it adopted one (its document may be deleted since)."""
    return db.session.scalar(select(CommentReportAdoption).where(
        CommentReportAdoption.congress_id == congress.id))


@dataclass(frozen=True)
class Adopted:
    """What adopting did: the document, its version now, and whether that version was
    already the same report (adopted twice with nothing changed between: no new version)."""

    document: Document
    number: int
    unchanged: bool = False


def _same_as_adopted(document: Document, pdf: bytes) -> int | None:
    """The number of the document's newest version when it holds exactly these bytes."""
    newest = db.session.execute(
        select(DocumentVersion.number, DocumentVersion.sha256)
        .where(DocumentVersion.document_id == document.id)
        .order_by(DocumentVersion.number.desc()).limit(1)).first()
    if newest is not None and newest.sha256 == hashlib.sha256(pdf).hexdigest():
        return newest.number
    return None


class _AdoptedMeanwhile(InputRefused):
    """The congress's adoption row was written by another request between check and commit."""


def adopt(congress: Congress, pdf: bytes, *, title: str, user: User | None = None
          ) -> Adopted:
    """Make the compiled PDF a congress document, or a new version of the one adopted
    before. The same PDF as the adopted version (the button pressed twice, or nothing
    answered since) changes nothing: intake refuses an identical file, and here that is
    no error, the report simply stands adopted as it is."""
    if not pdf.startswith(b"%PDF-"):
        raise InputRefused(_l("The compiled report could not be made."), 500)
    adoption = adoption_of(congress)
    filename = f"bao-cao-tong-hop-y-kien-{utcnow():%Y%m%d-%H%M}.pdf"
    upload = intake.Upload(io.BytesIO(pdf), filename)
    if adoption is not None and not adoption.document.is_deleted:
        document = adoption.document
        kept = _same_as_adopted(document, pdf)
        if kept is not None:
            return Adopted(document, kept, unchanged=True)
        try:
            version = intake.replace_file(document, upload, user=user)
        except InputRefused as refused:
            # Another press saved these very bytes between the check and the replacement.
            kept = _same_as_adopted(document, pdf) if refused.status == 409 else None
            if kept is None:
                raise
            return Adopted(document, kept, unchanged=True)
        adoption.adopted_by_id = user.id if user is not None else None
        adoption.adopted_at = utcnow()
    else:
        document = intake.create_document(
            congress, title=title, category=DocumentCategory.COMMENTS_SUMMARY, upload=upload,
            visibility=Visibility.DELEGATES, published=True, user=user)
        version = document.current_version
        # Read before the new row is added: a read after it would flush it outside the
        # commit below, where a row another press wrote first is answered.
        detail = {"code": document.code, "title": document.title, "version": version.number}
        values = {"document_id": document.id, "adopted_at": utcnow(),
                  "adopted_by_id": user.id if user is not None else None}
        first = adoption is None
        if first:
            adoption = CommentReportAdoption(congress_id=congress.id, **values)
            db.session.add(adoption)
        else:  # the adopted document was deleted: the report gets a new one
            for name, value in values.items():
                setattr(adoption, name, value)
        try:
            audit.commit(user, "comments.adopt_report", document, **detail,
                         refused=lambda: _AdoptedMeanwhile(_l(
                             "The report was adopted by another press at the same moment: "
                             "reload the page to see it."), 409))
        except _AdoptedMeanwhile:
            if not first:
                raise
            # Two first adoptions at once: the other press made the congress's report
            # document first. This one's document is retired (its code was never printed)
            # and the report goes to the other's, as a second press would.
            document_service.delete_document(document, user=user)
            return adopt(congress, pdf, title=title, user=user)
        return Adopted(document, version.number)
    audit.commit(user, "comments.adopt_report", document, code=document.code,
                 title=document.title, version=version.number)
    return Adopted(document, version.number)
