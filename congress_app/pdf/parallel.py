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
    (which have none of their own). One part is rendered whole, with its numbers, by
    render_pdf instead."""
    pdfs = _render_at_once(parts)
    readers = [PdfReader(io.BytesIO(pdf)) for pdf in pdfs]
    pages = sum(len(reader.pages) for reader in readers)
    return join(readers, PdfReader(io.BytesIO(render_pdf(numbers(pages)))))


def _render_at_once(parts: list[str]) -> list[bytes]:
    """The first part here, the others in children at the same time."""
    context = forking.forkserver_context()
    children = []
    for html in parts[1:]:
        receiver, sender = context.Pipe(duplex=False)
        try:
            child = context.Process(target=_child_main, args=(html, sender), daemon=True)
            child.start()
        except OSError as error:  # no process could be made: this part is rendered here
            log.warning("rendering a PDF part here: no child process (%s)", error)
            receiver.close()
            child = None
        sender.close()
        children.append((child, receiver))
    pdfs = [render_pdf(parts[0])]
    for html, (child, receiver) in zip(parts[1:], children, strict=True):
        pdf = _answer(child, receiver) if child is not None else b""
        if not pdf.startswith(b"%PDF-"):
            if child is not None:
                log.warning("rendering a PDF part here: its child process gave no PDF "
                            "(exit code %s)", child.exitcode)
            pdf = render_pdf(html)
        pdfs.append(pdf)
    return pdfs


def _answer(child, receiver) -> bytes:
    """What the child sent (b"" when it died, failed or took too long); the child ended."""
    pdf = b""
    try:
        if receiver.poll(PART_SECONDS):
            pdf = receiver.recv_bytes()
    except (EOFError, OSError):
        pass
    finally:
        receiver.close()
        child.join(timeout=5)
        if child.is_alive():
            child.kill()
            child.join()
        child.close()
    return pdf


def _child_main(html: str, sender) -> None:
    """In the child: render the part, send its PDF (nothing on failure: the parent then
    renders it itself and logs that)."""
    try:
        pdf = render_pdf(html)
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
