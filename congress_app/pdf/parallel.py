"""A long PDF rendered in parts at once, one process a part, then joined.

WeasyPrint lays a document out in one thread, about a millisecond a line: the compiled
report of 2,000 comments is several thousand lines, seconds of one core however lean its
HTML (pdf/comments_rows.py). Its body is cut into parts between two rows; this process
renders the first part while children forked from the app's forkserver (forking.py) render
the others, and the PDFs are joined with pypdf. Each part begins on a new page.

A part's pages cannot know their numbers ("Trang 3/87") before every part is laid out, so
the parts are rendered without them and the numbers are laid out afterwards by WeasyPrint,
on empty pages of the same size and margins, and stamped over the pages' content. A child
that fails or does not answer in time has its part rendered here instead: slower, the same
PDF.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Callable

from markupsafe import Markup
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject

from .. import forking
from .render import render_pdf

PART_BREAK = Markup("<!-- part -->")
# More parts than cores only fight over them; beyond four, the joining and the pages left
# part-empty cost more than the parts save.
MAX_PARTS = 4
# A part of the largest reports takes a few seconds; a child still busy after this long is
# stuck (or the machine is), and its part is rendered here.
PART_SECONDS = 30

log = logging.getLogger(__name__)


def cores() -> int:
    """The cores this process may run on (a container's share, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def split_html(html: str) -> list[str]:
    """The page cut at each PART_BREAK into pages of their own, each with the whole head.

    The breaks must stand between elements that are children of <body>: everything before
    the first is the head and the opening of the body, repeated in every part."""
    body_at = html.index("<body>") + len("<body>")
    body_end = html.rindex("</body>")
    head, tail = html[:body_at], html[body_end:]
    return [head + piece + tail for piece in html[body_at:body_end].split(PART_BREAK)]


def render_parts(parts: list[str], numbers: Callable[[int], str]) -> bytes:
    """PDF bytes of the parts, in order, each from a new page; `numbers(pages)` is the HTML
    of `pages` empty pages carrying only their page numbers, stamped over the parts' pages
    (which have none of their own). A page in one part needs none of this: render_pdf
    renders it with its own numbers."""
    children = [_Child.start(html) for html in parts[1:]]
    pdfs = [render_pdf(parts[0])]
    # The children tell their page count before drawing their pages: the numbers are laid
    # out here while they draw.
    counts = [len(PdfReader(io.BytesIO(pdfs[0])).pages)]
    counts += [child.page_count() for child in children]
    numbered = render_pdf(numbers(sum(counts))) if None not in counts else None
    for html, child in zip(parts[1:], children, strict=True):
        pdfs.append(child.pdf() or _here(html, child))
    readers = [PdfReader(io.BytesIO(pdf)) for pdf in pdfs]
    pages = sum(len(reader.pages) for reader in readers)
    if numbered is None or pages != sum(counts):  # a part rendered here after a failure
        numbered = render_pdf(numbers(pages))
    return join(readers, PdfReader(io.BytesIO(numbered)))


def _here(html: str, child: _Child) -> bytes:
    log.warning("rendering a PDF part here: %s", child.failure)
    return render_pdf(html)


class _Child:
    """A part rendered by a child process: it sends its page count, then its PDF."""

    def __init__(self, process, receiver, failure: str = "") -> None:
        self.process, self.receiver, self.failure = process, receiver, failure

    @classmethod
    def start(cls, html: str) -> _Child:
        context = forking.forkserver_context()
        receiver, sender = context.Pipe(duplex=False)
        try:
            process = context.Process(target=_child_main, args=(html, sender), daemon=True)
            process.start()
        except (OSError, EOFError, RuntimeError) as error:  # no child: the part is made here
            receiver.close()
            return cls(None, None, f"no child process ({error})")
        finally:
            sender.close()  # the child's end: without closing it here, EOF would never come
        return cls(process, receiver)

    def _message(self) -> bytes | None:
        """The child's next message; None (and the child ended) once it died, failed or
        took longer than PART_SECONDS."""
        if self.receiver is None:
            return None
        try:
            if self.receiver.poll(PART_SECONDS):
                message = self.receiver.recv_bytes()
                if message:
                    return message
                self.failure = "its child process could not render it"
            else:
                self.failure = f"its child process took more than {PART_SECONDS} s"
        except (EOFError, OSError):
            self.failure = "its child process ended without an answer"
        self._end()
        return None

    def page_count(self) -> int | None:
        message = self._message()
        return int(message) if message is not None else None

    def pdf(self) -> bytes | None:
        message = self._message()
        if message is not None:
            self._end()
        return message

    def _end(self) -> None:
        self.receiver.close()
        self.receiver = None
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.process.close()


def _child_main(html: str, sender) -> None:
    """In the child: render the part, telling its page count first; an empty message on
    failure (the parent then renders the part itself and logs that)."""
    try:
        pdf = render_pdf(html, laid_out=lambda pages: sender.send_bytes(b"%d" % pages))
    except Exception:
        log.exception("a PDF part could not be rendered in its child process")
        pdf = b""
    sender.send_bytes(pdf)
    sender.close()


def join(readers: list[PdfReader], numbers: PdfReader) -> bytes:
    """The parts' pages in order, each stamped with its number's page, with the first
    part's title, author, language and bookmarks (every part's bookmarks, in order)."""
    writer = PdfWriter()
    for reader in readers:
        writer.append(reader)
    for page, number in zip(writer.pages, numbers.pages, strict=True):
        page.merge_page(number)
        page.compress_content_streams()
    first = readers[0]
    if first.metadata:
        writer.add_metadata(dict(first.metadata))
    language = first.trailer["/Root"].get("/Lang")
    if language is not None:
        writer.root_object[NameObject("/Lang")] = language
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
