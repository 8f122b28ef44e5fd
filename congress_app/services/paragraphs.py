"""The numbered paragraphs of a document version: what a delegate comments on ("§ 12") and
what a comment follows when the draft gets a new version.

A version's text never changes, so neither does its numbering: § 12 of version 2 is always
the same paragraph. Paragraphs and table rows are numbered through the whole document (a
paragraph that runs on to the next page is one paragraph, on the page where it starts);
headings are not numbered, they name the section of what follows them.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import lru_cache

from ..models import DocumentVersion
from . import text_layout

# A comment follows a paragraph of the new version whose words are at least this alike
# (difflib's ratio over the words, case folded); below it, it stays where it was, flagged.
FOLLOW_THRESHOLD = 0.6


@dataclass(frozen=True)
class Paragraph:
    """One numbered block: a "paragraph" or a table "row" (its cells joined with " | ")."""

    number: int
    page: int
    kind: str
    text: str
    section: str = ""


@dataclass(frozen=True)
class Numbered:
    """A block as the text mode shows it, with its § number (None for a heading)."""

    page: int
    block: text_layout.Block
    number: int | None
    section: str

    # The text mode reads a numbered block as it read the block itself.
    @property
    def kind(self) -> str:
        return self.block.kind

    @property
    def text(self) -> str:
        return self.block.text

    @property
    def cells(self) -> tuple[str, ...]:
        return self.block.cells


def blocks(version: DocumentVersion) -> tuple[Numbered, ...]:
    """Every block of the version in reading order, numbered."""
    return _numbered(text_layout.PAGE_SEPARATOR.join(text_layout.page_texts(version)))


def paragraphs(version: DocumentVersion) -> tuple[Paragraph, ...]:
    """The numbered paragraphs and rows of the version, § 1 first."""
    return tuple(_paragraph(shown) for shown in blocks(version) if shown.number is not None)


def paragraph(version: DocumentVersion, number: int) -> Paragraph | None:
    """§ `number` of the version, or None when the version has no such paragraph."""
    found = paragraphs(version)
    return found[number - 1] if 1 <= number <= len(found) else None


@dataclass(frozen=True)
class Followed:
    """Where an old paragraph is in a new version: `paragraph` None when nothing there is
    alike enough; `exact` when its words are the same (a paragraph moved, not changed)."""

    paragraph: Paragraph | None
    score: float

    @property
    def exact(self) -> bool:
        return self.paragraph is not None and self.score == 1.0


def follow(text: str, candidates: tuple[Paragraph, ...],
           threshold: float = FOLLOW_THRESHOLD) -> Followed:
    """The candidate whose words best match `text`, if at least `threshold` alike; the same
    words win outright, and among equals the earliest paragraph."""
    words = _words(text)
    for candidate in candidates:
        if _words(candidate.text) == words:
            return Followed(candidate, 1.0)
    best, best_score = None, 0.0
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(words)
    for candidate in candidates:
        matcher.set_seq1(_words(candidate.text))
        if matcher.real_quick_ratio() <= best_score or matcher.quick_ratio() <= best_score:
            continue
        score = matcher.ratio()
        if score > best_score:
            best, best_score = candidate, score
    if best is None or best_score < threshold:
        return Followed(None, best_score)
    return Followed(best, min(best_score, 0.999))


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.casefold().split())


def same_words(a: str, b: str) -> bool:
    """Whether two paragraph texts read the same (case and spacing aside)."""
    return _words(a) == _words(b)


def _paragraph(shown: Numbered) -> Paragraph:
    block = shown.block
    text = " | ".join(block.cells) if block.kind == "row" else block.text
    return Paragraph(shown.number or 0, shown.page, block.kind, text, shown.section)


@lru_cache(maxsize=32)
def _numbered(text: str) -> tuple[Numbered, ...]:
    """The numbering of one version's stored text (cached: a draft is read by every delegate,
    and its text never changes)."""
    pages: list[tuple[int, list[text_layout.Block]]] = []
    for page, page_text in enumerate(text.split("\f") if text else [], start=1):
        found = text_layout.reader_blocks(page_text)
        previous = next((b for _, b in reversed(pages) if b), [])
        if previous and text_layout.continues(previous, found):
            last = previous[-1]
            previous[-1] = text_layout.Block("paragraph", f"{last.text} {found[0].text}")
            found = found[1:]
        pages.append((page, found))
    shown: list[Numbered] = []
    section, number = "", 0
    for page, found in pages:
        for block in found:
            if block.kind == "heading":
                section = block.text
                shown.append(Numbered(page, block, None, section))
            else:
                number += 1
                shown.append(Numbered(page, block, number, section))
    return tuple(shown)
