"""QR codes for documents: generated once per payload and kept on disk, never per request."""

from __future__ import annotations

import base64
import hashlib
import io
import os
from pathlib import Path
from urllib.parse import urlsplit

import qrcode
import qrcode.image.svg
from flask import current_app

from .storage import write_atomically

# Bump when the look of the codes changes, so cached images are not reused.
RENDER_VERSION = "1"
QR_FORMATS = {"svg": "image/svg+xml", "png": "image/png"}


def document_url(base_url: str, code: str) -> str:
    """The address a document's QR code opens (the QR contract in DESIGN.md)."""
    return f"{base_url.rstrip('/')}/d/{code}"


def qr_payload(base_url: str, code: str) -> str:
    """The text encoded in the symbol.

    Scheme and host are case-insensitive and the app accepts /D/ and any case of the code,
    so a base URL without a path is upper-cased: the symbol then fits QR alphanumeric mode
    and comes out smaller and easier to scan. A base URL with a path keeps its case.
    """
    url = document_url(base_url, code)
    if urlsplit(base_url).path.strip("/") == "":
        return url.upper()
    return url


def card_url(base_url: str, token: str) -> str:
    """The sign-in link printed as the QR code on a delegate's card."""
    return f"{base_url.rstrip('/')}/k/{token}"


def card_payload(base_url: str, token: str) -> str:
    """Card tokens are upper-case base32, so the whole URL can be upper-cased like a
    document's (alphanumeric mode) when the base URL has no path; the app accepts /K/."""
    url = card_url(base_url, token)
    return url.upper() if urlsplit(base_url).path.strip("/") == "" else url


def is_local_base_url(base_url: str) -> bool:
    """A phone cannot open a code that points at the organiser's own laptop."""
    host = (urlsplit(base_url).hostname or "").lower()
    return host in {"localhost", "127.0.0.1", "::1", "0.0.0.0"} or host.startswith("127.")


def _make(payload: str) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(payload, optimize=0)
    code.make(fit=True)
    return code


def symbol_fraction(payload: str) -> float:
    """The share of a drawn code's side taken by the symbol itself (quiet zone excluded):
    what a size rule such as "the symbol is at least 15 mm" must be computed on."""
    code = _make(payload)
    return code.modules_count / (code.modules_count + 2 * code.border)


def render_qr(payload: str, fmt: str, box_size: int = 10) -> bytes:
    """Render a symbol without caching; callers normally want qr_image()."""
    code = _make(payload)
    buf = io.BytesIO()
    if fmt == "svg":
        code.make_image(image_factory=qrcode.image.svg.SvgPathImage).save(buf)
    elif fmt == "png":
        code.box_size = box_size
        code.make_image().save(buf)
    else:
        raise ValueError(f"unknown QR format {fmt!r}")
    return buf.getvalue()


def qr_image(payload: str, fmt: str, cache_dir: str | os.PathLike | None = None) -> Path:
    """Path of the cached image for this payload, rendering it on first use."""
    cache_dir = Path(cache_dir or current_app.config["CACHE_DIR"]) / "qr"
    key = hashlib.sha256(f"{RENDER_VERSION}\0{payload}".encode()).hexdigest()
    path = cache_dir / f"{key}.{fmt}"
    if path.is_file():
        return path
    write_atomically(path, render_qr(payload, fmt))
    return path


def home_url(base_url: str, slug: str | None = None) -> str:
    """The congress home page, the address a poster or table tent without a document opens;
    on an instance with several congresses, the congress's own (/c/<slug>/)."""
    return f"{base_url.rstrip('/')}/" + (f"c/{slug}/" if slug else "")


def home_payload(base_url: str, slug: str | None = None) -> str:
    """The home page's symbol text, upper-cased like qr_payload() when the base URL has no path
    (alphanumeric mode, a smaller symbol); a base URL with a path, or a congress slug (URL
    paths are case-sensitive), keeps its case."""
    url = home_url(base_url, slug)
    return url.upper() if urlsplit(base_url).path.strip("/") == "" and not slug else url


def short_url(url: str) -> str:
    """An address as printed under a code: without the scheme, which phones do not need typed."""
    parts = urlsplit(url)
    return (parts.netloc + parts.path).rstrip("/") if parts.netloc else url


def qr_data_uri(payload: str, fmt: str = "svg") -> str:
    """The cached symbol as a data: URI, so a PDF embeds it without fetching anything.

    SVG stays a vector in the PDF: sharp at any print size, unlike an upscaled PNG.
    """
    data = base64.b64encode(qr_image(payload, fmt).read_bytes()).decode("ascii")
    return f"data:{QR_FORMATS[fmt]};base64,{data}"
