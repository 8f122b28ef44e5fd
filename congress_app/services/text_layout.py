"""A PDF's text as a reader reflows it: paragraphs joined across their printed lines, table
rows kept as rows of cells, headings apart.

pypdf's extract_text gives the printed lines and splits kerned words ("QUẢN L Ý"); pdfium
gives runs of text with their boxes, from which the layout is read back: runs on one
baseline make a line, lines close together make a block, and a block whose lines hold runs
far apart is a table row. The result is stored as plain text, so search keeps working:
pages end with a form feed, blocks are separated by a blank line, a table row's cells by a
tab, and a heading starts with "# ".
"""

from __future__ import annotations

import ctypes
import re
import unicodedata
from dataclasses import dataclass, field

PAGE_BREAK = "\f"
BLOCK_BREAK = "\n\n"
CELL_BREAK = "\t"
HEADING = "# "
# "Trang 3/7": the page number a PDF prints in its footer, page furniture, not text to read.
PAGE_NUMBER = re.compile(r"(Trang|Page)\s+\d+\s*/\s*\d+", re.IGNORECASE)
# A line that starts one of these begins its own paragraph (a list item).
LIST_MARKS = ("-", "–", "•", "+", "*", "·")


@dataclass
class Run:
    """One run of text on one baseline, with its box in PDF points (y grows upwards)."""

    left: float
    bottom: float
    right: float
    top: float
    text: str
    size: float = 0.0  # the font size of its first letter, in points
    bold: bool = False

    @property
    def height(self) -> float:
        return self.top - self.bottom


@dataclass
class Line:
    runs: list[Run] = field(default_factory=list)

    @property
    def top(self) -> float:
        return max(r.top for r in self.runs)

    @property
    def bottom(self) -> float:
        return min(r.bottom for r in self.runs)

    @property
    def left(self) -> float:
        return min(r.left for r in self.runs)

    @property
    def right(self) -> float:
        return max(r.right for r in self.runs)

    @property
    def height(self) -> float:
        return max(r.height for r in self.runs)

    @property
    def size(self) -> float:
        return max(r.size for r in self.runs)

    def cells(self, gap: float) -> list[list[Run]]:
        """The line's runs grouped into cells: a horizontal gap wider than `gap` splits."""
        ordered = sorted(self.runs, key=lambda r: r.left)
        groups = [[ordered[0]]]
        for run in ordered[1:]:
            if run.left - groups[-1][-1].right > gap:
                groups.append([run])
            else:
                groups[-1].append(run)
        return groups


def _text(runs: list[Run]) -> str:
    return " ".join(" ".join(r.text.split()) for r in sorted(runs, key=lambda r: r.left))


# A line that ends in a dash after a number, the next starting with a number: "2025–" /
# "2030" is one range broken by the line's end, and is joined back without a space.
_RANGE_BROKEN = re.compile(r"\d[–-]$")


def _joined(lines: list[str]) -> str:
    """Lines of one paragraph or heading as one text."""
    text = ""
    for line in lines:
        glue = "" if not text or (_RANGE_BROKEN.search(text) and line[:1].isdigit()) else " "
        text += glue + line
    return text


def _lines(runs: list[Run]) -> list[Line]:
    """Runs whose vertical middles lie within each other's box make one line, top down."""
    lines: list[Line] = []
    for run in sorted(runs, key=lambda r: (-r.top, r.left)):
        middle = (run.top + run.bottom) / 2
        for line in lines[-3:]:
            if line.bottom <= middle <= line.top:
                line.runs.append(run)
                break
        else:
            lines.append(Line([run]))
    return lines


def _blocks(lines: list[Line], body: float) -> list[list[Line]]:
    """Lines close together, one under the other, make a block (a paragraph or a row)."""
    blocks: list[list[Line]] = []
    for line in lines:
        if blocks:
            previous = blocks[-1][-1]
            gap = previous.bottom - line.top
            # Same type size (box heights vary with the tone marks a line happens to hold).
            if gap < 0.45 * body and abs(line.size - previous.size) < 0.5:
                blocks[-1].append(line)
                continue
        blocks.append([line])
    return blocks


def _columns(block: list[Line], gap: float) -> list[float]:
    """Left edges of the table cells in a block, or [] when the block is no table row."""
    if not any(len(line.cells(gap)) > 1 for line in block):
        return []
    starts: list[float] = []
    for line in block:
        for cell in line.cells(gap):
            left = min(r.left for r in cell)
            if not any(abs(left - s) < gap for s in starts):
                starts.append(left)
    return sorted(starts)


def _row(block: list[Line], columns: list[float], gap: float) -> str:
    """A table row: each cell's lines joined, cells apart."""
    cells: list[list[str]] = [[] for _ in columns]
    for line in block:
        for cell in line.cells(gap):
            left = min(r.left for r in cell)
            index = max(i for i, start in enumerate(columns) if start <= left + gap)
            cells[index].append(_text(cell))
    return CELL_BREAK.join(" ".join(parts) for parts in cells)


def _paragraphs(block: list[Line]) -> list[str]:
    """A block of running text: lines joined, except where a list item or a short line
    (the last line of a paragraph) ends one."""
    width = max(line.right for line in block) - min(line.left for line in block)
    paragraphs: list[list[str]] = []
    previous: Line | None = None
    for line in block:
        text = _text(line.runs)
        starts_item = text.startswith(LIST_MARKS) or _numbered(text)
        ended = previous is not None and (previous.right - previous.left) < 0.8 * width
        if not paragraphs or starts_item or ended:
            paragraphs.append([text])
        else:
            paragraphs[-1].append(text)
        previous = line
    return [_joined(p) for p in paragraphs]


def _numbered(text: str) -> bool:
    """"1. …", "2) …", "a) …", "III. …", "1.2. …": the start of a numbered item or section
    (not a short word ending a sentence, such as "nhạt.")."""
    head = text.split(" ", 1)[0]
    if len(head) < 2 or head[-1] not in ".)":
        return False
    mark = head[:-1]
    return (mark.replace(".", "").isdigit() or (len(mark) == 1 and mark.isalpha())
            or (mark.isupper() and set(mark) <= set("IVXLC")))


def _weighted_median(values: list[tuple[float, int]]) -> float:
    """The median of the values weighted by their text's length: the page's running text,
    not its many short table cells or headings."""
    ordered = sorted(values)
    half, seen = sum(n for _, n in ordered) / 2, 0
    for value, n in ordered:
        seen += n
        if seen >= half:
            return value
    return ordered[-1][0]


def _is_heading(block: list[Line], body_size: float) -> bool:
    """A short block set larger than the running text, or bold without a full stop."""
    if len(block) > 3:
        return False
    runs = [r for line in block for r in line.runs]
    text = _joined([_text(line.runs) for line in block])
    larger = body_size > 0 and min(r.size for r in runs) > 1.12 * body_size
    bold = all(r.bold for r in runs)
    if text.rstrip().endswith((".", ";")):
        return False
    # Larger type alone marks a heading only when short: a page of small table cells makes
    # the next paragraph look large.
    return (bold and len(text) < 160) or (larger and len(text) < 100)


def page_layout(runs: list[Run]) -> list[str]:
    """The blocks of one page, as stored: paragraphs, "# " headings, tab-separated rows."""
    runs = [r for r in runs if r.text.strip()]
    if not runs:
        return []
    body = _weighted_median([(r.height, len(r.text)) for r in runs])
    size = _weighted_median([(r.size, len(r.text)) for r in runs])
    gap = 0.6 * body  # wider than a word space, narrower than a table's gutter
    out: list[str] = []
    for block in _blocks(_lines(runs), body):
        columns = _columns(block, gap)
        if columns:
            out.append(_row(block, columns, gap))
        elif _is_heading(block, size):
            out.append(HEADING + _joined([_text(line.runs) for line in block]))
        else:
            out.extend(_paragraphs(block))
    return out


def pdf_runs(page) -> list[Run]:
    """The text runs of a pypdfium2 page, with their boxes, font size and weight.

    pdfium lists runs (FPDFText_GetRect) in the order of the page's characters, so each
    character is given to the run its box lies in, and the run's text is read by index:
    reading by box would also pick up tone marks of the line above or below."""
    import pypdfium2.raw as pdfium_c

    textpage = page.get_textpage()
    try:
        boxes = [textpage.get_rect(i) for i in range(textpage.count_rects())]
        chars = textpage.count_chars()
        runs, k, start = [], 0, None

        def close(end: int) -> None:
            if start is None or k >= len(boxes):
                return
            left, bottom, right, top = boxes[k]
            size = pdfium_c.FPDFText_GetFontSize(textpage.raw, start)
            bold = _is_bold(pdfium_c, textpage, start)
            runs.append(Run(left, bottom, right, top,
                            textpage.get_text_range(start, end - start), size, bold))

        for i in range(chars):
            left, bottom, right, top = textpage.get_charbox(i)
            if right <= left or top <= bottom:  # a space or line break pdfium made up
                continue
            x, y = (left + right) / 2, (bottom + top) / 2
            if start is not None and _inside(boxes[k], x, y):
                continue
            # This character opens the next run that holds it.
            for j in range(k + (start is not None), len(boxes)):
                if _inside(boxes[j], x, y):
                    close(i)
                    k, start = j, i
                    break
        close(chars)
        return runs
    finally:
        textpage.close()


def _is_bold(pdfium_c, textpage, index: int) -> bool:
    """Bold by weight, or by the font's name ("…-Bold"): subset fonts often state no weight."""
    if pdfium_c.FPDFText_GetFontWeight(textpage.raw, index) >= 600:
        return True
    name = ctypes.create_string_buffer(128)
    flags = ctypes.c_int()
    pdfium_c.FPDFText_GetFontInfo(textpage.raw, index, name, len(name), ctypes.byref(flags))
    lowered = name.value.lower()
    return any(word in lowered for word in (b"bold", b"black", b"heavy", b"semibold"))


def _inside(box, x: float, y: float, slack: float = 0.5) -> bool:
    left, bottom, right, top = box
    return left - slack <= x <= right + slack and bottom - slack <= y <= top + slack


def document_text(pdf) -> str:
    """The whole document's text in the stored layout, NFC, pages ending with a form feed."""
    pages = []
    for index in range(len(pdf)):
        page = pdf[index]
        try:
            pages.append(BLOCK_BREAK.join(page_layout(pdf_runs(page))))
        finally:
            page.close()
    return unicodedata.normalize("NFC", ("\n" + PAGE_BREAK).join(pages))


def is_layout(page_text: str) -> bool:
    """Whether a stored page holds this module's layout (older versions hold printed lines)."""
    return BLOCK_BREAK in page_text or CELL_BREAK in page_text or page_text.startswith(HEADING)


@dataclass(frozen=True)
class Block:
    """What the reader's text mode shows: a "paragraph", a "heading" or a table "row"."""

    kind: str
    text: str = ""
    cells: tuple[str, ...] = ()


def reader_blocks(page_text: str) -> list[Block]:
    """A stored page as the reader shows it; pages stored before this layout existed (the
    printed lines) are joined into paragraphs the old way."""
    if not is_layout(page_text.strip("\n")):
        return [Block("paragraph", p) for p in _printed_lines_to_paragraphs(page_text)]
    blocks = []
    for part in page_text.strip("\n").split(BLOCK_BREAK):
        part = part.strip("\n")
        if not part.strip() or PAGE_NUMBER.fullmatch(part.strip()):
            continue
        if part.startswith(HEADING):
            blocks.append(Block("heading", part[len(HEADING):]))
        elif CELL_BREAK in part:
            blocks.append(Block("row", cells=tuple(c.strip() for c in part.split(CELL_BREAK))))
        else:
            blocks.append(Block("paragraph", " ".join(part.split())))
    return blocks


def continues(previous: list[Block], following: list[Block]) -> bool:
    """Whether the first paragraph of a page goes on with the last one of the page before
    (it starts in lower case after a paragraph without its closing full stop)."""
    if not previous or not following:
        return False
    last, first = previous[-1], following[0]
    return (last.kind == first.kind == "paragraph" and first.text[:1].islower()
            and not last.text.rstrip().endswith((".", "!", "?", ":", ";")))


def _printed_lines_to_paragraphs(page_text: str) -> list[str]:
    """Printed lines (pypdf's text): a line ends its paragraph when it is blank, ends a
    sentence, or is clearly shorter than the page's full lines (a heading, a last line)."""
    lines = [" ".join(line.split()) for line in page_text.splitlines()]
    full = max((len(line) for line in lines), default=0)
    paragraphs, current = [], []
    for line in lines:
        if line:
            current.append(line)
        if current and (not line or line.endswith((".", ":", ";", "!", "?"))
                        or len(line) < 0.6 * full):
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return paragraphs


def plain(page_text: str) -> str:
    """A stored page as running text for search excerpts: no heading marks, cells apart."""
    text = page_text.replace(CELL_BREAK, " · ")
    return "\n".join(line[len(HEADING):] if line.startswith(HEADING) else line
                     for line in text.splitlines())


def file_text(path) -> str | None:
    """The layout text of a PDF file, or None when pdfium cannot read it."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError:
        return None
    try:
        return document_text(pdf)
    finally:
        pdf.close()


# Pages of a version's stored text are joined with a form feed.
PAGE_SEPARATOR = "\f"


def page_texts(version) -> list[str]:
    """The extracted text of every page of a DocumentVersion, as stored; none for a file
    without text."""
    if not version.text.strip():
        return []
    return version.text.split(PAGE_SEPARATOR)
