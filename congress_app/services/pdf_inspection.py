"""Reading an uploaded PDF without trusting it: pages, geometry and text, in a child process.

A hostile PDF can make a reader spend gigabytes and hours (a 1.5 KB page tree repeating one
kid declares 10^8 pages; a stream inflates a thousandfold). pypdf and pdfium bound some of
this themselves but not all, so the reading happens in a child process whose address space
and CPU time are capped by the kernel (RLIMIT_AS, RLIMIT_CPU) and which is killed after a
wall-clock timeout: whatever the file does, the upload gets an answer. The children are
forked from a forkserver that has pypdf and pdfium loaded, so a normal upload pays a fork
(milliseconds), not a fresh interpreter (about 0.4 s).

The child checks, cheapest first: the object count, the page count the tree declares (its
root's /Count, before walking), the tree walked once with each object visited once (a
repeated kid or a loop is refused, never expanded), pdfium's opening of the file (the reader
renders with it), the page sizes, and only then reads the text.
"""

from __future__ import annotations

import hashlib
import logging
import math
import resource
import signal
import stat
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from .. import forking
from . import text_layout
from .errors import InputRefused

# A document a congress prints and reads runs to tens of pages; a compilation of every
# document of a term to a few hundred. Beyond this, the reader, the page images and the
# offline copy all grow without use.
MAX_PAGES = 2_000
# A 2,000-page PDF from an office suite holds some 20 objects a page.
MAX_OBJECTS = 1_000_000
# 200 inches (5.08 m), the largest page PDF readers agree to show; a page thinner than a
# point, or longer than 20 times its width, is no page anyone reads.
MAX_PAGE_SIDE = 14_400.0
MIN_PAGE_SIDE = 1.0
MAX_ASPECT = 20
MM_PER_POINT = 25.4 / 72
# Uploads read at once in one server process; the others wait their turn (each may use
# the memory below).
AT_ONCE = 2

_running = threading.BoundedSemaphore(AT_ONCE)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    """What reading one upload may cost. `memory` is address space beyond what the child
    holds when it starts (the interpreter with pypdf and pdfium loaded).

    Measured on the demo documents (2 cores): reading a 2,000-page document of their dense
    text takes 29 s of CPU and under 250 MB; a congress document of a few pages, 0.1–0.5 s.
    """

    memory: int = 1024 * 2**20
    cpu_seconds: int = 120
    wall_seconds: float = 180.0


LIMITS = Limits()


@dataclass(frozen=True)
class Inspected:
    """What the upload keeps of a readable PDF."""

    pages: int
    text: str


class Refused(Exception):
    """Why the child will not accept the file: a reason refusal_message names, with the
    values its message shows (pickled back to the parent through its args)."""

    def __init__(self, reason: str, values: dict | None = None) -> None:
        super().__init__(reason, values or {})
        self.reason = reason
        self.values = values or {}


def inspect(path: Path, limits: Limits = LIMITS) -> Inspected:
    """Pages and text of the PDF at `path`, read in a child process within `limits`; a file
    that is not a readable, reasonable PDF, or that the child cannot read within its limits,
    is refused (InputRefused, 400) with a message saying why."""
    key = _fingerprint(path, limits)
    with _read_before_lock:
        if key in _read_before:
            _read_before.move_to_end(key)
            return _read_before[key]
    with _running:
        result = _in_child(path, limits)
    if isinstance(result, Inspected):
        if key is not None:
            with _read_before_lock:
                _read_before[key] = result
                while len(_read_before) > REMEMBERED:
                    _read_before.popitem(last=False)
        return result
    if result.reason == "damaged" and result.values.get("error"):
        log.info("refused a PDF upload as damaged: %s", result.values["error"])
    raise InputRefused(refusal_message(result), field="file")


# The same bytes read the same way: one city instance gets the same central document from
# each of its wards, and a child costs tens of milliseconds where a hash costs one. Only
# readable files are remembered: a refusal may depend on the machine's load (the wall clock).
REMEMBERED = 64
_read_before: OrderedDict[tuple[str, Limits], Inspected] = OrderedDict()
_read_before_lock = threading.Lock()


def _fingerprint(path: Path, limits: Limits) -> tuple[str, Limits] | None:
    """The file's SHA-256 with the limits it is read within; None for anything but a regular
    file (a pipe would block the hash, and is the child's to refuse)."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return None
        with path.open("rb") as file:
            return hashlib.file_digest(file, "sha256").hexdigest(), limits
    except OSError:
        return None


def _in_child(path: Path, limits: Limits) -> Inspected | Refused:
    """Run _read in a forked child; a child that dies (a limit reached: SIGKILL, SIGXCPU, a
    failed allocation in pdfium) or outlives the wall clock is "too complex"."""
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child_main, args=(str(path), limits, sender), daemon=True)
    child.start()
    sender.close()  # the child's end: without closing it here, EOF would never come
    answered, result = False, None
    try:
        answered = receiver.poll(limits.wall_seconds)  # True at an answer, or at EOF
        if answered:
            result = receiver.recv()
    except (EOFError, OSError):
        pass  # the child died before it answered
    finally:
        receiver.close()
        if answered:
            child.join(timeout=5)  # it has answered or died: it is on its way out
        if child.is_alive():
            child.kill()
        child.join()
        ended = child.exitcode
        child.close()
    if result is None:
        # Which limit the file reached, for whoever reads the log (the organiser is told
        # the file is too complex; nothing more useful can be said to them).
        how = (f"still running after {limits.wall_seconds:g} s" if not answered
               else f"ended by {signal.Signals(-ended).name}" if ended and ended < 0
               else f"ended with exit code {ended}")
        log.warning("refused a PDF upload as too complex: its reading process was %s", how)
        return Refused("too_complex")
    return result


def _context():
    """The app's forkserver context, its server preloaded with this module (and so pypdf
    and pdfium): a forked child starts in milliseconds, from a process with no threads (the
    server's threads make a plain fork unsafe)."""
    return forking.forkserver_context()


def _child_main(path: str, limits: Limits, sender) -> None:
    """In the child: cap its resources, read the file, send back what was found."""
    _limit_resources(limits)
    try:
        result: Inspected | Refused = _read(Path(path))
    except Refused as refused:
        result = refused
    except MemoryError:
        result = Refused("too_complex")
    except Exception as error:
        # Whatever a hostile file makes the readers raise (IndexError, NotImplementedError,
        # an AssertionError inside pypdf, its LimitReachedError …), the file cannot be read.
        result = Refused("damaged", {"error": f"{type(error).__name__}: {error}"[:300]})
    sender.send(result)
    sender.close()


def _limit_resources(limits: Limits) -> None:
    """The kernel's caps on this process: address space, CPU seconds, no core files. A cap
    the server already runs under (ulimit) is kept where it is lower."""
    with open("/proc/self/statm") as statm:
        in_use = int(statm.read().split()[0]) * resource.getpagesize()
    _lower(resource.RLIMIT_AS, in_use + limits.memory, in_use + limits.memory)
    # SIGXCPU (which ends the process) at the soft limit, SIGKILL a second later.
    _lower(resource.RLIMIT_CPU, limits.cpu_seconds, limits.cpu_seconds + 1)
    _lower(resource.RLIMIT_CORE, 0, 0)


def _lower(kind: int, soft: int, hard: int) -> None:
    """Set a resource limit, never above the hard limit already in force."""
    _, current = resource.getrlimit(kind)
    if current != resource.RLIM_INFINITY:
        soft, hard = min(soft, current), min(hard, current)
    resource.setrlimit(kind, (soft, hard))


def _read(path: Path) -> Inspected:
    """Check the file's structure with pypdf, then open it with pdfium as the reader does."""
    # pypdf reports recoverable damage through logging; a scan should not flood the log.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    reader = PdfReader(path)
    if reader.is_encrypted:
        raise Refused("encrypted")
    objects = sum(len(numbers) for numbers in reader.xref.values()) + len(reader.xref_objStm)
    if objects > MAX_OBJECTS:
        raise Refused("too_complex")
    pages = count_pages(reader)
    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError:
        raise Refused("unrenderable") from None
    try:
        if len(pdf) != pages:  # pdfium trusts /Count: the reader would show other pages
            raise Refused("damaged")
        for index in range(pages):
            check_page_size(index + 1, *pdf.get_page_size(index))
        return Inspected(pages, text_layout.document_text(pdf))
    finally:
        pdf.close()


def count_pages(reader: PdfReader) -> int:
    """The pages of the tree, from its declared /Count first, then walked with each object
    visited once: a kid repeated or a loop means a damaged (or hostile) file, refused before
    it is expanded, and the walk stops past MAX_PAGES."""
    root = reader.root_object
    if not isinstance(root, DictionaryObject) or "/Pages" not in root:
        raise Refused("damaged")
    tree = root.raw_get("/Pages")
    declared = _entry(tree.get_object(), "/Count")
    if isinstance(declared, int) and declared > MAX_PAGES:
        raise Refused("too_many_pages", {"pages": declared})
    seen: set[tuple[int, int] | int] = set()
    stack = [tree]
    pages = 0
    while stack:
        kid = stack.pop()
        key = (kid.idnum, kid.generation) if isinstance(kid, IndirectObject) else id(kid)
        if key in seen:
            raise Refused("damaged", {"error": "the page tree repeats an object"})
        seen.add(key)
        node = kid.get_object()
        if not isinstance(node, DictionaryObject):
            continue  # a null kid: pypdf and pdfium skip it too
        kids = _entry(node, "/Kids")
        if _entry(node, "/Type") == "/Pages" or (kids is not None and "/Type" not in node):
            if not isinstance(kids, ArrayObject):
                raise Refused("damaged")
            stack.extend(reversed(kids))
        else:
            pages += 1
            if pages > MAX_PAGES:
                raise Refused("more_pages")
    if pages == 0:
        raise Refused("no_pages")
    return pages


def _entry(node, key: str):
    """A dictionary's value, resolved (pypdf's get() would hand back the reference)."""
    return node[key] if isinstance(node, DictionaryObject) and key in node else None


def check_page_size(number: int, width: float, height: float) -> None:
    """Refuse a page too large, too small or too thin to be shown (sizes in points)."""
    values = {"page": number, "width": width, "height": height}
    if not (math.isfinite(width) and math.isfinite(height)) or max(width, height) > MAX_PAGE_SIDE:
        raise Refused("page_too_large", values)
    if not min(width, height) >= MIN_PAGE_SIDE:
        raise Refused("page_too_small", values)
    if max(width, height) / min(width, height) > MAX_ASPECT:
        raise Refused("page_too_thin", values)


def _number(value: float) -> str:
    """A count as the organiser's language writes it (2,000 / 2.000)."""
    return format_decimal(value, "#,##0")


def _mm(points: float) -> str:
    """A length in points as millimetres, to a tenth."""
    return format_decimal(points * MM_PER_POINT, "#,##0.#") if math.isfinite(points) else "∞"


def refusal_message(refused: Refused):
    """The organiser's message for a refusal, in their language."""
    values = refused.values
    match refused.reason:
        case "encrypted":
            return _l("This PDF is password-protected. Please upload it without a password.")
        case "no_pages":
            return _l("This PDF has no pages.")
        case "too_many_pages":
            return _l("This PDF has %(pages)s pages; at most %(max)s pages are accepted. "
                      "Split it into parts and upload each part as its own document.",
                      pages=_number(values["pages"]), max=_number(MAX_PAGES))
        case "more_pages":
            return _l("This PDF has more than %(max)s pages; at most %(max)s pages are "
                      "accepted. Split it into parts and upload each part as its own document.",
                      max=_number(MAX_PAGES))
        case "too_complex":
            return _l("This PDF is too complex to read safely: reading it needs more memory or "
                      "time than an upload may use. Save it again as a PDF from the program "
                      "that made it (or split it) and upload it again.")
        case "unrenderable":
            return _l("This PDF cannot be opened by the reader, so its pages could never be "
                      "shown. Save it again as a PDF from the program that made it and upload "
                      "it again.")
        case "page_too_large":
            return _l("Page %(page)s measures %(width)s × %(height)s mm; a page may be at most "
                      "%(max)s mm (200 inches) on either side.", page=values["page"],
                      width=_mm(values["width"]), height=_mm(values["height"]),
                      max=_mm(MAX_PAGE_SIDE))
        case "page_too_small":
            return _l("Page %(page)s measures %(width)s × %(height)s mm; a page must be at "
                      "least %(min)s mm (1 point) on each side.", page=values["page"],
                      width=_mm(values["width"]), height=_mm(values["height"]),
                      min=format_decimal(MIN_PAGE_SIDE * MM_PER_POINT, "#,##0.##"))
        case "page_too_thin":
            return _l("Page %(page)s measures %(width)s × %(height)s mm; a page may be at most "
                      "%(max)s times as long as it is wide.", page=values["page"],
                      width=_mm(values["width"]), height=_mm(values["height"]), max=MAX_ASPECT)
    return _l("This PDF is damaged and cannot be read.")
