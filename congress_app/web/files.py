"""Sending stored files to phones: conditional requests, ranges and a Vietnamese file name."""

from __future__ import annotations

from flask import Response, abort, send_file

from ..models import DocumentVersion
from ..storage import file_store


def send_version(version: DocumentVersion, *, as_attachment: bool = False) -> Response:
    """Serve one version's bytes; the sha256 is a perfect ETag and enables 304 and ranges.

    Flask writes Content-Disposition with both an ASCII fallback and the RFC 5987
    `filename*=UTF-8''…` form, so phones keep the Vietnamese name.
    """
    path = file_store().path_for(version.sha256)
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype=version.mime_type,
        as_attachment=as_attachment,
        download_name=version.original_filename,
        conditional=True,
        etag=version.sha256,
        last_modified=version.uploaded_at,
        max_age=0,
    )
    # Always revalidate: a replaced document must reach the phone on its next request.
    response.cache_control.no_cache = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
