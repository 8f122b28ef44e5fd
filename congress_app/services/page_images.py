"""Page images for the phone reader: each page of a stored file as WebP, cached on disk.

Android's browser shows no PDF inline, so the reader shows pictures of the pages. They are
rendered once per file (keyed by its sha256, so identical files share them and a replaced
file gets new ones) under CACHE_DIR/pages/<sha256>/<width>/<n>.webp, in a background
thread right after the upload; a page asked for before its turn is rendered on the spot.
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path

from flask import Flask, current_app
from PIL import Image, ImageOps

from ..storage import file_store, write_atomically

WIDTHS = (480, 960)
WEBP_QUALITY = 80
# WebP holds at most 16,383 px a side; past 20 MP an image only costs memory (an A4 page
# 960 px wide is 1.3 MP). A page too tall or too wide for these is drawn narrower than asked:
# a 100 × 14,400 pt page would otherwise be a 960 × 138,240 px bitmap (530 MB).
WEBP_MAX_SIDE = 16383
MAX_PIXELS = 20_000_000
# Print-centre thumbnails: a first page small enough for a list, sharp enough to recognise.
PREVIEW_WIDTH = 240
PDF_MIME = "application/pdf"

log = logging.getLogger(__name__)

# One worker: rendering is CPU work, and uploads must not starve the requests of phones.
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="page-images")
_pending: set[Future] = set()
_pending_lock = threading.Lock()
_stop = threading.Event()
# pdfium is not thread-safe: the worker and on-demand renders take turns, page by page.
pdfium_lock = threading.Lock()


class PageNotRendered(Exception):
    """The page could not be rendered (a file pdfium cannot read, or a missing file)."""


def pages_root(cache_dir: str | os.PathLike | None = None) -> Path:
    """The folder that holds every file's page images."""
    return Path(cache_dir or current_app.config["CACHE_DIR"]) / "pages"


def page_path(sha256: str, width: int, n: int, cache_dir=None) -> Path:
    """Where page n (1-based) of the file with this sha256 is cached at this width."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a sha256 hex digest")
    return pages_root(cache_dir) / sha256 / str(width) / f"{n}.webp"


def progress(sha256: str, cache_dir=None) -> dict | None:
    """{"done": pages rendered, "total": pages} for a file, or None before it is scheduled."""
    marker = pages_root(cache_dir) / sha256 / "progress.json"
    try:
        return json.loads(marker.read_text())
    except (OSError, ValueError):
        return None


def page_sizes(sha256: str, mime_type: str, source: Path, cache_dir=None) -> list[tuple[int, int]]:
    """Each page's (width, height) in points, for the <img> boxes; cached next to the images."""
    cached = pages_root(cache_dir) / sha256 / "sizes.json"
    try:
        return [tuple(size) for size in json.loads(cached.read_text())]
    except (OSError, ValueError):
        pass
    if mime_type == PDF_MIME:
        import pypdfium2 as pdfium

        with pdfium_lock:
            pdf = pdfium.PdfDocument(source)
            try:
                sizes = [
                    (round(w, 2), round(h, 2))
                    for w, h in (pdf.get_page_size(i) for i in range(len(pdf)))
                ]
            finally:
                pdf.close()
    else:
        with Image.open(source) as image:
            width, height = image.size
            # EXIF orientations 5–8 turn the picture a quarter: the page is the other way.
            if image.getexif().get(0x0112, 1) in (5, 6, 7, 8):
                width, height = height, width
            sizes = [(width, height)]
    write_atomically(cached, json.dumps(sizes).encode())
    return sizes


def render_page(sha256: str, mime_type: str, source: Path, n: int, cache_dir=None) -> None:
    """Render page n at every width now (the request path when a phone is ahead of the worker).

    Nothing is drawn when the images appeared while this waited for its turn: the worker, or a
    request for the same page, has just made them."""
    if mime_type == PDF_MIME:
        import pypdfium2 as pdfium

        with pdfium_lock:
            if _is_cached(sha256, n, cache_dir):
                return
            try:
                pdf = pdfium.PdfDocument(source)
            except (pdfium.PdfiumError, OSError) as error:
                raise PageNotRendered(str(error)) from error
            try:
                _render_pdf_page(pdf, sha256, n, cache_dir)
            finally:
                pdf.close()
    else:
        _render_image(sha256, source, cache_dir)


def _is_cached(sha256: str, n: int, cache_dir) -> bool:
    return all(page_path(sha256, w, n, cache_dir).is_file() for w in WIDTHS)


def page_scale(width: float, height: float, wanted: int) -> float:
    """Pixels per point to draw a page `wanted` px wide, or narrower so that neither side
    passes WebP's limit and the whole stays within MAX_PIXELS."""
    return min(wanted / width, WEBP_MAX_SIDE / height, WEBP_MAX_SIDE / width,
               math.sqrt(MAX_PIXELS / (width * height)))


def image_size(width: float, height: float, wanted: int) -> tuple[int, int]:
    """The pixel size of a page's image at the width asked for, bounded by page_scale."""
    scale = page_scale(width, height, wanted)
    return (min(WEBP_MAX_SIDE, max(1, round(width * scale))),
            min(WEBP_MAX_SIDE, max(1, round(height * scale))))


def render_all(sha256: str, mime_type: str, source: Path, total: int, cache_dir) -> None:
    """Render every page not cached yet, writing progress as it goes; stops if asked to."""
    _write_progress(sha256, 0, total, cache_dir)
    if mime_type != PDF_MIME:
        _render_image(sha256, source, cache_dir)
        _write_progress(sha256, total, total, cache_dir)
        return
    import pypdfium2 as pdfium

    with pdfium_lock:
        pdf = pdfium.PdfDocument(source)
    try:
        for n in range(1, total + 1):
            if _stop.is_set():
                return
            if not _is_cached(sha256, n, cache_dir):
                with pdfium_lock:
                    _render_pdf_page(pdf, sha256, n, cache_dir)
            _write_progress(sha256, n, total, cache_dir)
    finally:
        with pdfium_lock:
            pdf.close()


def schedule_rendering(sha256: str, mime_type: str, pages: int) -> None:
    """After an upload is committed: render its pages in the background (or now, in tests).

    PAGE_RENDERING = "sync" renders before returning (deterministic tests); "on-demand"
    renders nothing now (each page is rendered when first asked for); "background", the
    default, hands the work to the worker thread, so the uploader never waits for it.
    """
    app = current_app._get_current_object()
    mode = app.config.get("PAGE_RENDERING", "background")
    if mode == "on-demand":
        return
    if mode == "sync":
        _render_job(app, sha256, mime_type, pages)
        return
    _stop.clear()
    future = _executor.submit(_render_job, app, sha256, mime_type, pages)
    with _pending_lock:
        _pending.add(future)
    future.add_done_callback(_forget)


def stop_rendering(timeout: float | None = 10) -> None:
    """Cancel queued renderings and stop the running one after its current page."""
    _stop.set()
    with _pending_lock:
        futures = set(_pending)
    for future in futures:
        future.cancel()
    wait(futures, timeout=timeout)
    _stop.clear()


def _forget(future: Future) -> None:
    with _pending_lock:
        _pending.discard(future)


def _render_job(app: Flask, sha256: str, mime_type: str, pages: int) -> None:
    """The worker's task: its own app context; failures are logged, never raised."""
    with app.app_context():
        try:
            source = file_store().path_for(sha256)
            if not source.is_file():
                log.info("page images for %s skipped: the file is gone", sha256)
                return
            cache_dir = app.config["CACHE_DIR"]
            page_sizes(sha256, mime_type, source, cache_dir)
            render_all(sha256, mime_type, source, pages, cache_dir)
        except Exception:
            app.logger.exception("rendering the page images of %s failed", sha256)


def _render_pdf_page(pdf, sha256: str, n: int, cache_dir) -> None:
    """Render one PDF page (caller holds the pdfium lock) and save it at every width."""
    import pypdfium2 as pdfium

    if not 1 <= n <= len(pdf):
        raise PageNotRendered(f"page {n} out of range")
    try:
        page = pdf[n - 1]
        try:
            size = page.get_size()
            bitmap = page.render(scale=page_scale(*size, max(WIDTHS)), may_draw_forms=True)
            image = bitmap.to_pil()
        finally:
            page.close()
    except pdfium.PdfiumError as error:
        raise PageNotRendered(str(error)) from error
    _save_widths(image.convert("RGB"), size, sha256, n, cache_dir)


def _render_image(sha256: str, source: Path, cache_dir) -> None:
    """An uploaded photo or scan is a one-page document."""
    try:
        with Image.open(source) as image:
            image.load()
            image = ImageOps.exif_transpose(image)  # phone photos carry their rotation aside
            if image.mode not in ("RGB", "L"):
                image = _flatten(image)
            _save_widths(image.convert("RGB"), image.size, sha256, 1, cache_dir)
    except OSError as error:
        raise PageNotRendered(str(error)) from error


def _flatten(image: Image.Image) -> Image.Image:
    """Transparent parts of a PNG on white paper, as they would be printed."""
    rgba = image.convert("RGBA")
    paper = Image.new("RGB", rgba.size, "white")
    paper.paste(rgba, mask=rgba.getchannel("A"))
    return paper


def _save_widths(image: Image.Image, page_size: tuple[float, float], sha256: str, n: int,
                 cache_dir) -> None:
    """The page at every width, each at the page's own proportions (`page_size`, in any unit)."""
    for width in sorted(WIDTHS, reverse=True):
        size = image_size(*page_size, width)
        # pdfium's bitmap may be a pixel taller or shorter than the exact size: it is kept
        # rather than resampled (a blur), within WebP's limit.
        if not (image.width == size[0] and abs(image.height - size[1]) <= 1
                and image.height <= WEBP_MAX_SIDE):
            image = image.resize(size, Image.Resampling.LANCZOS)
        buffer = _webp_bytes(image)
        write_atomically(page_path(sha256, width, n, cache_dir), buffer)


def _webp_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
    return out.getvalue()


def _write_progress(sha256: str, done: int, total: int, cache_dir) -> None:
    marker = pages_root(cache_dir) / sha256 / "progress.json"
    write_atomically(marker, json.dumps({"done": done, "total": total}).encode())




def preview_webp(pdf: bytes | Path, width: int = PREVIEW_WIDTH) -> bytes:
    """A small WebP of a PDF's first page: the print centre's thumbnail of a handout."""
    import pypdfium2 as pdfium

    source = pdf.read_bytes() if isinstance(pdf, Path) else pdf
    with pdfium_lock:
        document = pdfium.PdfDocument(source)
        try:
            page = document[0]
            try:
                image = page.render(scale=page_scale(*page.get_size(), width)).to_pil()
            finally:
                page.close()
        finally:
            document.close()
    image.thumbnail((WEBP_MAX_SIDE, WEBP_MAX_SIDE))  # drawn a pixel over by rounding up
    out = io.BytesIO()
    image.convert("RGB").save(out, "WEBP", quality=80, method=4)
    return out.getvalue()
