"""Shared WeasyPrint machinery: one font configuration, one base stylesheet, a locked-down fetcher.

Building the FontConfiguration and the base CSS costs more than laying out a short document,
so both are built once per process and reused for every PDF (DESIGN.md).
"""

from __future__ import annotations

import base64
import gc
import mimetypes
import re
import threading
import unicodedata
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from ..config import ROOT

STATIC_ROOT = ROOT / "static"
# A base URL that never resolves (RFC 2606 .invalid): relative references in templates and
# stylesheets join onto it, and the fetcher maps its /static/ onto the static folder on disk.
APP_BASE_URL = "https://congress-app.invalid/"
STATIC_URL = APP_BASE_URL + "static/"
PRINT_CSS = "css/print.css"
# Most office printers leave the outer 4–6 mm of a sheet blank, and guillotines cut there:
# a handout keeps its ink at least this far from the paper's edge (cut marks aside).
PRINTER_MARGIN_MM = 8


class FetchRefused(ValueError):
    """A PDF asked for something other than a data: URL or one of the app's static files."""


class StaticFetcher(URLFetcher):
    """Serve data: URLs and files under the static folder; refuse everything else.

    Document sources are uploaded Markdown and organiser-typed titles: an <img> or a
    stylesheet pointing at file:///etc/passwd or an intranet URL must never be read.
    """

    def __init__(self, static_root: Path = STATIC_ROOT) -> None:
        super().__init__(allow_redirects=False)
        self.static_root = Path(static_root).resolve()

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        if urlsplit(url).scheme.lower() == "data":
            return super().fetch(url, headers)  # decoded in memory by urllib's DataHandler
        path = self.static_path(url)
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})

    def static_path(self, url: str) -> Path:
        """The file a static: or app /static/ URL names, or FetchRefused."""
        parts = urlsplit(url)
        if parts.scheme.lower() == "static":
            relative = parts.path
        elif url.startswith(STATIC_URL):
            relative = parts.path.removeprefix("/static/")
        else:
            raise FetchRefused(f"PDF resources may only come from the app's static files: {url}")
        path = (self.static_root / unquote(relative).lstrip("/")).resolve()
        if not path.is_relative_to(self.static_root) or not path.is_file():
            raise FetchRefused(f"no such static file: {url}")
        return path


@dataclass(frozen=True)
class SharedResources:
    """What every render reuses."""

    font_config: FontConfiguration
    base_css: CSS
    fetcher: StaticFetcher


_shared: SharedResources | None = None
# Pango/fontconfig objects inside the shared FontConfiguration are not safe to use from two
# threads at once; renders are cached on disk, so serialising them costs little.
_lock = threading.Lock()


def nfc(text: str) -> str:
    """Composed Unicode, so each Vietnamese letter is one glyph of the font, not a stack."""
    return unicodedata.normalize("NFC", text)


def shared_resources() -> SharedResources:
    """Build the font configuration, base CSS and fetcher on first use, then reuse them."""
    global _shared
    if _shared is None:
        with _lock:
            if _shared is None:
                font_config = FontConfiguration()
                fetcher = StaticFetcher()
                base_css = CSS(
                    string=nfc((STATIC_ROOT / PRINT_CSS).read_text(encoding="utf-8")),
                    base_url=STATIC_URL + PRINT_CSS,
                    url_fetcher=fetcher,
                    font_config=font_config,
                )
                _shared = SharedResources(font_config, base_css, fetcher)
    return _shared


@contextmanager
def _cyclic_gc_paused():
    """Pause Python's cycle collector while WeasyPrint works.

    A render allocates hundreds of thousands of boxes, styles and text runs that live until
    it ends, and the collector would scan them again and again: about a fifth of the time of
    a long PDF. The cycles they leave behind are collected as usual once it is re-enabled.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def render_pdf(html: str, *, laid_out: Callable[[int], None] | None = None) -> bytes:
    """PDF bytes of an HTML page; relative and static: URLs resolve to the app's static files.

    `laid_out(pages)` is told the page count once the layout is done, before the pages are
    drawn (about a third of the time): a PDF rendered in parts numbers its pages meanwhile."""
    resources = shared_resources()
    with _lock, _cyclic_gc_paused():
        document = HTML(string=nfc(html), base_url=APP_BASE_URL, url_fetcher=resources.fetcher)
        rendered = document.render(
            stylesheets=[resources.base_css], font_config=resources.font_config
        )
        if laid_out is not None:
            laid_out(len(rendered.pages))
        return rendered.write_pdf()


def data_uri(path: Path, mime: str) -> str:
    """Embed a small file (a QR code PNG) in the HTML, so no fetch outside static is needed."""
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


_CSS_UNSAFE = re.compile(r'["\\<>\n\r\f]')


def css_string(text: str) -> str:
    """A quoted CSS string that cannot end the string or the surrounding <style> element."""
    return '"' + _CSS_UNSAFE.sub(lambda m: f"\\{ord(m.group()):x} ", text) + '"'


def page_counter_content(label: str) -> str:
    """CSS `content` for a page-number box from a translated label such as
    "Trang %(page)s/%(pages)s": translators may place the numbers where their language puts them.
    """
    parts = re.split(r"(%\(pages?\)s)", label)
    tokens = []
    for part in parts:
        if part == "%(page)s":
            tokens.append("counter(page)")
        elif part == "%(pages)s":
            tokens.append("counter(pages)")
        elif part:
            tokens.append(css_string(part))
    return " ".join(tokens) or '""'
