"""Sending stored files to phones: conditional requests, ranges and a Vietnamese file name."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, abort, current_app, send_file
from werkzeug.datastructures import Headers

from ..filenames import ascii_fallback, windows_safe
from ..models import DocumentVersion
from ..storage import file_store
from .security import FILE_POLICY

# Types a browser may show in its tab; anything else (HTML, SVG …) could run script as this site.
INLINE_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})


def content_disposition(name: str, *, as_attachment: bool) -> str:
    """Content-Disposition for a download: the name in UTF-8 (RFC 5987 `filename*`) and a
    transliterated ASCII fallback ("Dai hoi", not werkzeug's "ai hoi"), neither of them a
    name Windows keeps for a device."""
    name = windows_safe(name)
    fallback = ascii_fallback(name)
    names = {"filename": fallback}
    if fallback != name:
        names["filename*"] = f"UTF-8''{quote(name, safe='!#$&+-.^_`|~')}"
    headers = Headers()
    headers.set("Content-Disposition", "attachment" if as_attachment else "inline", **names)
    return headers["Content-Disposition"]


def send_download(file, *, download_name: str, as_attachment: bool = False,
                  **options) -> Response:
    """flask.send_file with this app's Content-Disposition: every download goes through it."""
    response = send_file(file, as_attachment=as_attachment, download_name=download_name,
                         **options)
    response.headers["Content-Disposition"] = content_disposition(
        download_name, as_attachment=as_attachment)
    return response


def send_version(version: DocumentVersion, *, as_attachment: bool = False) -> Response:
    """Serve one version's bytes; the sha256 is a perfect ETag and enables 304 and ranges.

    Content-Disposition carries an ASCII fallback and the RFC 5987 `filename*=UTF-8''…`
    form, so phones keep the Vietnamese name. A type outside INLINE_TYPES is only ever
    downloaded, as opaque bytes.
    """
    path = file_store().path_for(version.sha256)
    if not path.is_file():
        abort(404)
    inline_ok = version.mime_type in INLINE_TYPES
    response = send_download(
        path,
        mimetype=version.mime_type if inline_ok else "application/octet-stream",
        as_attachment=as_attachment or not inline_ok,
        download_name=version.original_filename,
        conditional=True,
        etag=version.sha256,
        last_modified=version.uploaded_at,
        max_age=0,
    )
    # Always revalidate: a replaced document must reach the phone on its next request.
    response.cache_control.no_cache = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = FILE_POLICY
    prefix = current_app.config.get("FILE_ACCEL_REDIRECT")
    if prefix and response.status_code in (200, 206):
        return _accel_redirect(response, prefix, version.sha256)
    return response


def _accel_redirect(response: Response, prefix: str, sha256: str) -> Response:
    """Let nginx send the bytes (X-Accel-Redirect to an internal location over the store).

    A Python thread stays busy for as long as a phone takes to download the file: 1,600
    phones fetching a 2 MB PDF at once would hold every thread. The app still decides who
    may have the file and answers 304s; nginx streams it and serves byte ranges itself.
    """
    response.close()  # the open file send_file prepared
    accel = Response(status=200)
    for name, value in response.headers.items():
        if name not in ("Content-Length", "Content-Range"):
            accel.headers[name] = value
    accel.headers["X-Accel-Redirect"] = f"/{prefix.strip('/')}/{sha256[:2]}/{sha256[2:]}"
    return accel
