"""What the reader shows of a document: a window of its pages, as pictures (with their boxes)
or as text reflowed for a phone, the agenda items it belongs to, and whether the link that
opened it names an older version.

A phone holds 20 page images and their text well, not 2,000: a long document is read a
window at a time, and the service worker (sw.js) maps ?page=N to its window with the same
number, so the windows are cut here, once, for the pages, the offline list and the worker.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from ..models import AgendaItem, Document, DocumentVersion
from ..storage import file_store
from . import page_images, paragraphs, text_layout

# Pages per reader page.
READER_WINDOW = 20
# How the stored text separates its pages (services.documents keeps each page's text).
# A page whose size cannot be read is drawn in an A4 portrait box: the usual congress document.
A4_POINTS = (595, 842)


@dataclass(frozen=True)
class PageWindow:
    """The pages one reader page shows: first to last, of the document's total."""

    first: int
    last: int
    total: int

    @property
    def previous(self) -> int | None:
        """The first page of the window before this one, if any."""
        return max(self.first - READER_WINDOW, 1) if self.first > 1 else None

    @property
    def next(self) -> int | None:
        """The first page of the window after this one, if any."""
        return self.last + 1 if self.last < self.total else None


@dataclass(frozen=True)
class Reading:
    """One reader page: the version and window shown, the window's pages both ways."""

    version: DocumentVersion | None
    window: PageWindow | None
    pages: list[dict]
    text_pages: list[tuple[int, list[paragraphs.Numbered]]]
    items: list[AgendaItem]
    outdated: bool


def page_window(total: int, page: int | None = None) -> PageWindow:
    """The window that holds this page; a page past the end opens the last window."""
    page = min(page or 1, max(total, 1))
    first = (page - 1) // READER_WINDOW * READER_WINDOW + 1
    return PageWindow(first, min(first + READER_WINDOW - 1, total), total)


def page_windows(total: int) -> list[PageWindow]:
    """Every window of a document, in order: what a phone saves to read all of it offline."""
    return [page_window(total, first) for first in range(1, max(total, 1) + 1, READER_WINDOW)]


def reading(document: Document, page: int | None, seen_version: int | None) -> Reading:
    """What the reader shows of `document` opened at `page` from a link or tab that saw
    `seen_version` (None: it names none)."""
    items = [link.item for link in document.agenda_links]
    items.sort(key=lambda i: (i.session.position, i.position))
    version = document.current_version
    if version is None:
        return Reading(None, None, [], [], items, False)
    window = page_window(version.pages, page)
    return Reading(
        version, window, reader_pages(version, window), text_pages(version, window), items,
        # An old link (?v=2) or an old tab: tell the reader the document has changed since.
        outdated=seen_version is not None and seen_version < version.number,
    )


def reader_pages(version: DocumentVersion, window: PageWindow) -> list[dict]:
    """The window's pages: number and box (so the page never jumps while the images load)."""
    try:
        sizes = page_images.page_sizes(
            version.sha256, version.mime_type, file_store().path_for(version.sha256)
        )
    except Exception:
        current_app.logger.exception("no page sizes for %s", version.sha256)
        sizes = [A4_POINTS] * version.pages
    width = page_images.WIDTHS[-1]
    return [
        {"n": n, "width": width, "height": round(width * h / w) if w else 0}
        for n, (w, h) in enumerate(sizes[window.first - 1: window.last], start=window.first)
    ]


# The extracted text of every page, as stored (text_layout says how it is stored).
page_texts = text_layout.page_texts


def text_pages(version: DocumentVersion, window: PageWindow
               ) -> list[tuple[int, list[paragraphs.Numbered]]]:
    """The window's text, page by page, as the numbered blocks the text mode reflows (§ N,
    the numbering of the whole version that comments are anchored to); a paragraph that
    runs on to the next page is read whole, on the page where it starts."""
    last = min(window.last, len(page_texts(version)))
    pages: dict[int, list[paragraphs.Numbered]] = {n: [] for n in range(window.first, last + 1)}
    for shown in paragraphs.blocks(version):
        if shown.page in pages:
            pages[shown.page].append(shown)
    return list(pages.items())
