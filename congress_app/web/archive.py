"""The congress archive (one ZIP with every record and file), downloadable by organisers.

The ZIP is written to an anonymous temp file and streamed from there, so a large congress
never sits in memory; it is sent with no-store because it holds delegates' personal data.
"""

from __future__ import annotations

import re
import tempfile
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app
from flask_login import current_user

from ..extensions import db
from ..models.base import utcnow
from ..services import archive as archive_service
from ..services import audit
from ..services import congress as congress_service
from .files import send_download
from .organiser import organiser_required

bp = Blueprint("archive", __name__, url_prefix="/organiser")

_UNSAFE_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


@bp.get("/export.zip")
@organiser_required
def export_zip():
    """Download the whole congress as an archive that `flask import-congress` restores."""
    congress = congress_service.get_congress()
    if congress is None:
        abort(404)
    # Recorded first, so the archive carries its own export in its audit trail.
    audit.record(current_user._get_current_object(), "congress.export", congress,
                 with_accounts=False, via="web")
    db.session.commit()
    # Not a `with`: the response streams the file and closes it when the download ends.
    archive = tempfile.TemporaryFile(prefix="congress-export-")  # noqa: SIM115
    try:
        archive_service.export_congress(congress, archive)
        archive.seek(0)
    except BaseException:
        archive.close()
        raise
    name = _UNSAFE_FILENAME.sub(" ", f"Sao lưu đại hội {congress.slug}")[:120].strip()
    now = utcnow().astimezone(ZoneInfo(current_app.config["CONGRESS_TIMEZONE"]))
    response = send_download(
        archive,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"{name} {now:%Y-%m-%d %Hh%M}.zip",
        conditional=False,
        etag=False,
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    return response
