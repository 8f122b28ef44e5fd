"""Where the QR stamp lands: on how many pages of the demo documents it covers their words.

`python -m bench.stamp_placement` seeds a throw-away demo congress, stamps every page of
every demo document with each corner asked for, and prints "N of M pages covered" per
corner. The measure knows nothing of how the stamp is placed: each stamped page is
rasterised beside its original, the stamp is where the two differ (its white box and grey
frame), and a page counts as covered when the original has ink inside that box.
tests/test_stamped_documents.py asserts the same measure on the same documents.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

import pypdfium2 as pdfium
from PIL import Image, ImageChops

MEASURE_DPI = 100
# Darker than this is ink: anti-aliased glyph edges and rules count, paper noise does not.
INK_LEVEL = 192
CORNERS = ("top-right", "bottom-right", "top-left", "bottom-left")


@dataclass(frozen=True)
class PageStamp:
    """One stamped page: where the stamp is (pixels at MEASURE_DPI) and the ink it covers."""

    page: int  # 1-based
    box: tuple[int, int, int, int] | None  # None: the page carries no stamp
    covered_ink: int  # pixels of the original's ink inside the box


def page_images(pdf: bytes, dpi: int = MEASURE_DPI) -> list[Image.Image]:
    """Each page in grey as printed (turned as /Rotate says)."""
    document = pdfium.PdfDocument(pdf)
    try:
        return [page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
                for page in document]
    finally:
        document.close()


def stamp_boxes(original: bytes, stamped: bytes, dpi: int = MEASURE_DPI) -> list[PageStamp]:
    """For each page, the box where the stamped copy differs from the original and the
    original's ink inside it."""
    result = []
    pairs = zip(page_images(original, dpi), page_images(stamped, dpi), strict=True)
    for n, (before, after) in enumerate(pairs, start=1):
        box = ImageChops.difference(before, after).point(lambda v: 255 if v > 24 else 0).getbbox()
        ink = 0
        if box is not None:
            histogram = before.crop(box).histogram()
            ink = sum(histogram[:INK_LEVEL])
        result.append(PageStamp(n, box, ink))
    return result


def covered_pages(original: bytes, stamped: bytes, dpi: int = MEASURE_DPI) -> list[int]:
    """The pages (1-based) whose stamp covers ink of the original page."""
    return [p.page for p in stamp_boxes(original, stamped, dpi) if p.covered_ink]


def measure_demo(corners: tuple[str, ...] = CORNERS) -> dict[str, tuple[list[str], int]]:
    """Stamp every page of every demo document in each corner: {corner: (covered, pages)},
    covered as "CODE p.N" for each page whose stamp lies over the document's own ink."""
    from flask import current_app
    from sqlalchemy import select

    from congress_app.extensions import db
    from congress_app.models import Document
    from congress_app.pdf import stamp
    from congress_app.storage import file_store

    from .instance import PUBLIC_BASE_URL, bench_app, throwaway_instance

    figures: dict[str, tuple[list[str], int]] = {}
    with throwaway_instance():
        app = bench_app()
        with app.test_request_context(base_url=PUBLIC_BASE_URL):
            documents = db.session.scalars(select(Document).order_by(Document.position)).all()
            for corner in corners:
                covered, total = [], 0
                for document in documents:
                    version = document.current_version
                    original = file_store().path_for(version.sha256).read_bytes()
                    stamped = stamp.render_stamped(
                        document, version, pages="all", corner=corner,
                        base_url=current_app.config["PUBLIC_BASE_URL"]).read_bytes()
                    pages = stamp_boxes(original, stamped)
                    total += len(pages)
                    covered += [f"{document.code} p.{p.page}" for p in pages if p.covered_ink]
                figures[corner] = (covered, total)
            db.session.remove()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stamp_placement", description=__doc__)
    parser.add_argument("corners", nargs="*",
                        help=f"corners asked for, of {', '.join(CORNERS)} (default: all)")
    args = parser.parse_args(argv)
    if unknown := set(args.corners) - set(CORNERS):
        parser.error(f"unknown corner: {', '.join(sorted(unknown))}")
    figures = measure_demo(tuple(args.corners) or CORNERS)
    for corner, (covered, total) in figures.items():
        print(f"{corner}: {len(covered)} of {total} pages covered"
              + (f" ({', '.join(covered)})" if covered else ""))
    return 1 if any(covered for covered, _total in figures.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
