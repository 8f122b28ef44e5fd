"""Sending stored files to phones: conditional requests, ranges and a Vietnamese file name."""

from __future__ import annotations

from flask import Response, abort, send_file

from ..models import DocumentVersion
from ..storage import file_store
from .security import FILE_POLICY

# Types a browser may show in its tab; anything else (HTML, SVG …) could run script as this site.
INLINE_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})


def send_version(version: DocumentVersion, *, as_attachment: bool = False) -> Response:
    """Serve one version's bytes; the sha256 is a perfect ETag and enables 304 and ranges.

    Flask writes Content-Disposition with both an ASCII fallback and the RFC 5987
    `filename*=UTF-8''…` form, so phones keep the Vietnamese name. A type outside
    INLINE_TYPES is only ever downloaded, as opaque bytes.
    """
    path = file_store().path_for(version.sha256)
    if not path.is_file():
        abort(404)
    inline_ok = version.mime_type in INLINE_TYPES
    response = send_file(
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
    return response
