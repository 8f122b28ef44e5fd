"""Full-text search over document titles and text, filtered by who may see what.

The table `document_search` (one row per page of each document's newest version, built
and kept in sync by triggers in the migration 7c1e5a9f3b20) does the matching and ranking:
on SQLite an FTS5 table with bm25, on PostgreSQL a GIN-indexed tsvector with ts_rank.
Accents, case and đ/Đ are folded on both sides; snippets are cut here, in Python, from the
original page text, so the <mark>s fall on the accented words. Other databases get a plain
ILIKE stopgap.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape
from sqlalchemy import func, or_, select, text

from ..extensions import db
from ..models import Congress, Document, DocumentVersion
from . import text_layout, visibility
from .delegates import fold

QUERY_MAX = 200
TERMS_MAX = 32
RESULTS_MAX = 50
PAGES_PER_DOCUMENT = 3
SNIPPET_BEFORE = 60
SNIPPET_AFTER = 140
PAGE_SEPARATOR = "\n\f"
TITLE_WEIGHT, BODY_WEIGHT = 5.0, 1.0

_WORD = re.compile(r"\w+")

# Ranked (document, page) hits of the FTS index, at most a few pages per document.
_FTS_HITS = text(
    f"""
    SELECT document_id, page, score FROM (
        SELECT document_id, page, score,
               row_number() OVER (PARTITION BY document_id ORDER BY score) AS nth
        FROM (
            SELECT s.document_id AS document_id, s.page AS page,
                   bm25(document_search, {TITLE_WEIGHT}, {BODY_WEIGHT}) AS score
            FROM document_search AS s
            JOIN documents AS d ON d.id = s.document_id
            WHERE document_search MATCH :match
              AND d.congress_id = :congress_id AND d.deleted_at IS NULL
        )
    )
    WHERE nth <= {PAGES_PER_DOCUMENT}
    ORDER BY score, document_id, page
    """
)

# The same on PostgreSQL: every term must match (plainto_tsquery ANDs them and knows no
# syntax); the query is folded by the same SQL function as the index. ts_rank's weights
# are for D, C, B, A: the title (A) counts five times the page text (D), as in bm25 above.
_PG_QUERY = "plainto_tsquery('simple', congress_search_fold(:terms))"
_PG_SCORE = f"ts_rank('{{0.2, 0.2, 0.2, 1.0}}', s.terms, {_PG_QUERY})"
_PG_HITS = text(
    f"""
    SELECT document_id, page, score FROM (
        SELECT s.document_id AS document_id, s.page AS page, {_PG_SCORE} AS score,
               row_number() OVER (PARTITION BY s.document_id
                                  ORDER BY {_PG_SCORE} DESC, s.page) AS nth
        FROM document_search AS s
        JOIN documents AS d ON d.id = s.document_id
        WHERE s.terms @@ {_PG_QUERY}
          AND d.congress_id = :congress_id AND d.deleted_at IS NULL
    ) AS ranked
    WHERE nth <= {PAGES_PER_DOCUMENT}
    ORDER BY score DESC, document_id, page
    """
)


@dataclass(frozen=True)
class PageHit:
    """One page of a document that matches, with its highlighted excerpt."""

    page: int
    snippet: Markup


@dataclass
class SearchHit:
    """A document that matches: its highlighted title and its best pages."""

    document: Document
    title: Markup
    pages: list[PageHit] = field(default_factory=list)


@dataclass
class SearchResults:
    """What the search page shows: the query as used, whether it was cut, and the hits."""

    query: str
    truncated: bool
    hits: list[SearchHit]


def search_terms(query: str) -> list[str]:
    """The words of a query, folded to lower-case ASCII ("Đảng bộ" → ["dang", "bo"])."""
    return _WORD.findall(fold(query))[:TERMS_MAX]


def fts_match(terms: list[str]) -> str:
    """An FTS5 query matching every term; each is a quoted string, so no syntax gets in."""
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


@functools.cache
def _fold_char(char: str) -> str:
    """One character folded like fold(): "Ệ" → "e", "Đ" → "d", a lone accent → ""."""
    folded = unicodedata.normalize("NFKD", char.replace("đ", "d").replace("Đ", "D")).lower()
    return "".join(c for c in folded if not unicodedata.combining(c))


class _FoldTable(dict):
    """A str.translate() table that folds each character on first sight."""

    def __missing__(self, code: int) -> str:
        self[code] = _fold_char(chr(code))
        return self[code]


_FOLD_TABLE = _FoldTable()


def _folded_with_positions(source: str) -> tuple[str, Sequence[int]]:
    """`source` folded like fold(), and for each folded character its index in source."""
    folded = source.translate(_FOLD_TABLE)
    # Vietnamese text folds one character to one character: positions are unchanged.
    if len(folded) == len(source) and all(len(_FOLD_TABLE[ord(c)]) == 1 for c in set(source)):
        return folded, range(len(source))
    chars: list[str] = []
    positions: list[int] = []
    for index, char in enumerate(source):
        folded = _fold_char(char)
        chars.append(folded)
        positions.extend([index] * len(folded))
    return "".join(chars), positions


def _match_spans(source: str, terms: list[str]) -> list[tuple[int, int]]:
    """Where whole words of `source` equal a term, ignoring accents and case."""
    if not terms:
        return []
    folded, positions = _folded_with_positions(source)
    words = "|".join(re.escape(t) for t in sorted(set(terms), key=len, reverse=True))
    pattern = re.compile(rf"(?<!\w)(?:{words})(?!\w)")
    spans = []
    for match in pattern.finditer(folded):
        right = positions[match.end() - 1] + 1
        while right < len(source) and unicodedata.combining(source[right]):
            right += 1  # a lone accent belongs to the word it follows
        spans.append((positions[match.start()], right))
    return spans


def highlight(source: str, spans: list[tuple[int, int]], start: int = 0,
              end: int | None = None) -> Markup:
    """source[start:end], HTML-escaped, with each span inside it wrapped in <mark>."""
    end = len(source) if end is None else end
    out = Markup()
    cursor = start
    for left, right in spans:
        if left < cursor or right > end:
            continue
        out += escape(source[cursor:left]) + Markup("<mark>") + escape(source[left:right])
        out += Markup("</mark>")
        cursor = right
    return out + escape(source[cursor:end])


def snippet(page_text: str, terms: list[str]) -> Markup | None:
    """A short excerpt around the first match on the page, or None if no word matches."""
    page_text = " ".join(text_layout.plain(page_text).split())
    spans = _match_spans(page_text, terms)
    if not spans:
        return None
    first = spans[0][0]
    start = max(0, first - SNIPPET_BEFORE)
    if start:
        space = page_text.find(" ", start, first)
        start = space + 1 if space != -1 else start
    end = min(len(page_text), first + SNIPPET_AFTER)
    if end < len(page_text):
        space = page_text.rfind(" ", first, end)
        end = space if space > spans[0][1] else end
    prefix = "… " if start else ""
    suffix = " …" if end < len(page_text) else ""
    return escape(prefix) + highlight(page_text, spans, start, end) + escape(suffix)


def _page_texts(document: Document) -> list[str]:
    version = document.current_version
    return version.text.split(PAGE_SEPARATOR) if version is not None else []


def _hit(document: Document, pages: list[int], terms: list[str]) -> SearchHit:
    """Title and page excerpts of one matching document; pages without a word of the query
    in their own text (matched through the title) are left out."""
    texts = _page_texts(document)
    hit = SearchHit(document, highlight(document.title, _match_spans(document.title, terms)))
    for page in pages:
        if 1 <= page <= len(texts):
            excerpt = snippet(texts[page - 1], terms)
            if excerpt is not None:
                hit.pages.append(PageHit(page, excerpt))
    return hit


def _ranked_fts(congress: Congress, terms: list[str]) -> list[tuple[int, list[int]]]:
    """Document ids, best first, each with its best-matching pages, from the search index."""
    if db.session.get_bind().dialect.name == "postgresql":
        rows = db.session.execute(
            _PG_HITS, {"terms": " ".join(terms), "congress_id": congress.id}
        )
    else:
        rows = db.session.execute(
            _FTS_HITS, {"match": fts_match(terms), "congress_id": congress.id}
        )
    ranked: dict[int, list[int]] = {}
    for document_id, page, _score in rows:
        ranked.setdefault(document_id, []).append(page)
    return list(ranked.items())


def _ranked_ilike(congress: Congress, words: list[str]) -> list[tuple[int, list[int]]]:
    """Stopgap for databases without a search index (neither SQLite nor PostgreSQL): every
    word somewhere in the title or the newest version's text, case-insensitive but NOT
    accent-insensitive; title matches first."""
    newest = (
        select(DocumentVersion.document_id, func.max(DocumentVersion.number).label("number"))
        .group_by(DocumentVersion.document_id)
        .subquery()
    )
    query = (
        select(Document, DocumentVersion.text)
        .outerjoin(newest, newest.c.document_id == Document.id)
        .outerjoin(DocumentVersion, (DocumentVersion.document_id == Document.id)
                   & (DocumentVersion.number == newest.c.number))
        .where(Document.congress_id == congress.id, Document.deleted_at.is_(None))
    )
    for word in words:
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(Document.title.ilike(pattern, escape="\\"),
                                DocumentVersion.text.ilike(pattern, escape="\\")))
    terms = [fold(w) for w in words]
    ranked = []
    for document, body in db.session.execute(query.order_by(Document.position, Document.id)):
        pages = [n for n, page in enumerate((body or "").split(PAGE_SEPARATOR), start=1)
                 if _match_spans(page, terms)][:PAGES_PER_DOCUMENT]
        in_title = bool(_match_spans(document.title, terms))
        ranked.append((not in_title, document.id, pages))
    ranked.sort(key=lambda r: r[0])
    return [(document_id, pages) for _, document_id, pages in ranked]


def clean_query(raw: str | None) -> tuple[str, bool]:
    """The query as searched: NFC, whitespace collapsed, at most QUERY_MAX characters."""
    query = " ".join(unicodedata.normalize("NFC", raw or "").split())
    if len(query) > QUERY_MAX:
        return query[:QUERY_MAX].rstrip(), True
    return query, False


def search(congress: Congress | None, raw_query: str | None, user) -> SearchResults:
    """The documents of the congress this visitor may see that match the query, best first."""
    query, truncated = clean_query(raw_query)
    terms = search_terms(query)
    if congress is None or not terms:
        return SearchResults(query, truncated, [])
    if db.session.get_bind().dialect.name in ("sqlite", "postgresql"):
        ranked = _ranked_fts(congress, terms)
    else:
        ranked = _ranked_ilike(congress, _WORD.findall(query)[:TERMS_MAX])
    documents = {
        d.id: d
        for d in db.session.scalars(select(Document).where(Document.id.in_([i for i, _ in ranked])))
    }
    viewer = visibility.viewer_of(user)
    hits = []
    for document_id, pages in ranked:
        document = documents.get(document_id)
        if document is None or not visibility.can_view(document, viewer):
            continue
        hits.append(_hit(document, pages, terms))
        if len(hits) == RESULTS_MAX:
            break
    return SearchResults(query, truncated, hits)
