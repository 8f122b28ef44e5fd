"""Saddle-stitched booklets: A5 pages imposed two by two on A4 landscape sheets.

The print centre prints the sheets double-sided, folds the stack in the middle and staples
the fold; no imposition software is needed. Each page is placed as a Form XObject (never
rasterised), so the text stays selectable, the links keep working, and its content stream
is copied as it is: pypdf's merge_transformed_page parses every stream in Python, which
cost more than the whole WeasyPrint layout.
"""

from __future__ import annotations

import io

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    RectangleObject,
)

# Bump when the imposition changes, so cached booklets are made again.
IMPOSITION_VERSION = "1"
# A4 landscape in points. Two A5 pages are 296 mm wide, A4 is 297 mm: the pair is centred
# so the fold line stays exactly in the middle of the sheet.
A4_LANDSCAPE = (841.89, 595.28)


def saddle_stitch_order(pages: int) -> list[tuple[int, int]]:
    """(left, right) 1-based page numbers of each sheet side, front then back, sheet by sheet.

    `pages` must be a multiple of 4. Sheet 1 front is [n, 1], back [2, n−1]; sheet 2 front
    [n−2, 3], back [4, n−3] …, so the folded stack reads 1, 2, 3 … n.
    """
    if pages <= 0 or pages % 4:
        raise ValueError("a saddle-stitched booklet has a multiple of 4 pages")
    sides = []
    for sheet in range(pages // 4):
        front = (pages - 2 * sheet, 2 * sheet + 1)
        back = (2 * sheet + 2, pages - 2 * sheet - 1)
        sides += [front, back]
    return sides


def impose_booklet(pdf_bytes: bytes, sheet: tuple[float, float] = A4_LANDSCAPE) -> bytes:
    """Impose equal-sized portrait pages (A5) as a booklet, two per sheet (A4 landscape).

    Blank pages pad the end to a multiple of 4. Print the result double-sided, flipping on
    the SHORT edge (duplex "short-edge binding"): that keeps the back of every sheet the same
    way up as its front, so page 2 lands behind page 1. Then fold the stack in the middle.
    """
    reader = PdfReader(io.BytesIO(pdf_bytes))
    source = list(reader.pages)
    if not source:
        raise ValueError("nothing to impose: the PDF has no pages")
    box = source[0].mediabox
    width, height = float(box.width), float(box.height)
    sheet_width, sheet_height = max(sheet[0], 2 * width), max(sheet[1], height)
    fold = sheet_width / 2
    bottom = (sheet_height - height) / 2
    padded = -(-len(source) // 4) * 4

    writer = PdfWriter()
    forms: dict[int, IndirectObject] = {}
    for pair in saddle_stitch_order(padded):
        side = writer.add_blank_page(sheet_width, sheet_height)
        placed = []
        for left, number in zip((fold - width, fold), pair, strict=True):
            if number <= len(source):
                page = source[number - 1]
                if number not in forms:
                    forms[number] = page_as_form(writer, page)
                placed.append((f"/Page{number}", forms[number], left, bottom))
                _copy_links(writer, page, side, left, bottom)
        side[NameObject("/Resources")] = DictionaryObject({
            NameObject("/XObject"): DictionaryObject(
                {NameObject(name): form for name, form, _x, _y in placed}
            )
        })
        drawing = "".join(
            f"q 1 0 0 1 {x:.4f} {y:.4f} cm {name} Do Q\n" for name, _form, x, y in placed
        )
        side[NameObject("/Contents")] = add_stream(writer, drawing.encode("ascii"))
    writer.add_metadata({k: v for k, v in (reader.metadata or {}).items() if isinstance(v, str)})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def add_stream(writer: PdfWriter, data: bytes, entries: dict | None = None) -> IndirectObject:
    """A new compressed stream object in `writer` (pypdf has no public call for this)."""
    stream = DecodedStreamObject()
    stream.set_data(data)
    stream.update(entries or {})
    return writer._add_object(stream.flate_encode())


def page_as_form(writer: PdfWriter, page: PageObject) -> IndirectObject:
    """A page of another PDF as a Form XObject of `writer`, drawn wherever it is placed.

    Its content is copied, not parsed; its mediabox becomes the form's clipping box, with
    the form's origin at the mediabox's lower-left corner.
    """
    contents = page.get_contents()
    box = page.mediabox
    resources = page["/Resources"].get_object() if "/Resources" in page else DictionaryObject()
    entries = {
        NameObject("/Type"): NameObject("/XObject"),
        NameObject("/Subtype"): NameObject("/Form"),
        NameObject("/BBox"): RectangleObject(box),
        NameObject("/Matrix"): ArrayObject(
            FloatObject(v) for v in (1, 0, 0, 1, -float(box.left), -float(box.bottom))
        ),
        NameObject("/Resources"): resources.clone(writer),
    }
    if "/Group" in page:  # WeasyPrint's transparency group: keeps colours blending the same
        entries[NameObject("/Group")] = page["/Group"].get_object().clone(writer)
    return add_stream(writer, b"" if contents is None else contents.get_data(), entries)


def _copy_links(
    writer: PdfWriter, page: PageObject, side: PageObject, x: float, y: float
) -> None:
    """The page's web links, moved to where the page sits on the sheet.

    Links inside the document (to an A5 page number) are left out: that page is now half
    of some sheet, and the printed copy is what matters.
    """
    box = page.mediabox
    dx, dy = x - float(box.left), y - float(box.bottom)
    for annotation in page.get("/Annots") or []:
        annotation = annotation.get_object()
        action = annotation.get("/A")
        if annotation.get("/Subtype") != "/Link" or action is None or "/URI" not in action:
            continue
        link = annotation.clone(writer, force_duplicate=True,
                                ignore_fields=("/P", "/StructParent", "/Parent"))
        x1, y1, x2, y2 = (float(v) for v in annotation["/Rect"])
        link[NameObject("/Rect")] = RectangleObject(
            (min(x1, x2) + dx, min(y1, y2) + dy, max(x1, x2) + dx, max(y1, y2) + dy)
        )
        link.pop("/QuadPoints", None)  # optional; the rectangle alone is the clickable area
        link[NameObject("/P")] = side.indirect_reference
        if "/Annots" not in side:
            side[NameObject("/Annots")] = ArrayObject()
        side["/Annots"].append(link.indirect_reference)
