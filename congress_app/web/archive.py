"""The congress archive (one ZIP with every record and file), for admins to download.

The page offers two files: the ordinary archive, without any secret, and the full backup,
which also holds the password and card hashes and must be asked for explicitly. The ZIP is
written to an anonymous temp file and streamed from there, so a large congress never sits
in memory; it is sent with no-store because it holds delegates' personal data.
"""

from __future__ import annotations

import re
import tempfile
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import DataRequired

from ..extensions import db
from ..models.base import utcnow
from ..services import audit
from ..services.archive import export
from .access import admin_required
from .editing import acting_user
from .files import send_download
from .tenancy import congress_or_404

bp = Blueprint("archive", __name__, url_prefix="/organiser")

_UNSAFE_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


class FullBackupForm(FlaskForm):
    """The full backup carries secrets, so the admin says so before getting it."""

    understood = BooleanField(
        _l("I understand: this file contains secrets; I will keep it as safe as the database."),
        validators=[DataRequired(_l("Tick the box to confirm that you will keep the full "
                                    "backup as safe as the database."))])


@bp.get("/export")
@admin_required
def export_page():
    """What the archive holds, and the choice between the ordinary archive and a full backup."""
    return render_template("organiser/archive.html", congress=congress_or_404(),
                           form=FullBackupForm())


@bp.get("/export.zip")
@admin_required
def export_zip():
    """Download the congress as an archive without secrets, which `flask import-congress`
    restores (accounts come back without passwords, cards from the new instance's key)."""
    return _download(full=False)


@bp.post("/export-full.zip")
@admin_required
def export_full():
    """Download the full backup: the ordinary archive plus password and card hashes."""
    form = FullBackupForm()
    if not form.validate_on_submit():
        return render_template("organiser/archive.html", congress=congress_or_404(),
                               form=form), 400
    return _download(full=True)


def _download(*, full: bool):
    congress = congress_or_404()
    # Recorded first, so the archive carries its own export in its audit trail.
    audit.record(acting_user(), "congress.export", congress,
                 full=full, via="web")
    db.session.commit()
    # Not a `with`: the response streams the file and closes it when the download ends.
    archive = tempfile.TemporaryFile(prefix="congress-export-")  # noqa: SIM115
    try:
        export.export_congress(congress, archive, full=full)
        archive.seek(0)
    except BaseException:
        archive.close()
        raise
    kind = "Sao lưu đầy đủ" if full else "Sao lưu"
    name = _UNSAFE_FILENAME.sub(" ", f"{kind} đại hội {congress.slug}")[:120].strip()
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
