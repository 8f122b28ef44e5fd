"""Does the file store agree with the database? What a crash can leave behind, and its repair.

Uploads are staged in tmp/, renamed into place, then the row is committed. A process killed
in between leaves either a partial file in tmp/ or a complete file no version names: never
a version without its file. Both leftovers are harmless (nothing links to them) and are
removed once they are old enough that no upload in progress can own them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from ..extensions import db
from ..models import DocumentVersion
from ..storage import FileStore

# An upload in progress is younger than this; anything older in tmp/ or unnamed is debris.
GRACE_SECONDS = 3600


@dataclass
class StoreReport:
    missing: list[str] = field(default_factory=list)  # versions whose file is gone or wrong size
    orphans: list[Path] = field(default_factory=list)  # stored files no version names
    stale_tmp: list[Path] = field(default_factory=list)  # staging leftovers past the grace time
    removed: int = 0

    @property
    def healthy(self) -> bool:
        return not self.missing


def _is_old(path: Path, now: float) -> bool:
    try:
        return now - path.stat().st_mtime > GRACE_SECONDS
    except FileNotFoundError:
        return False


def check_store(store: FileStore, *, repair: bool = False) -> StoreReport:
    """Compare every version's file with the store; with `repair`, delete old debris only."""
    now = time.time()
    report = StoreReport()
    sizes = dict(db.session.execute(
        select(DocumentVersion.sha256, DocumentVersion.size)).tuples().all())
    for sha256, size in sizes.items():
        path = store.path_for(sha256)
        if not path.is_file() or path.stat().st_size != size:
            report.missing.append(sha256)
    if store.root.is_dir():
        for prefix in store.root.iterdir():
            if prefix.name == "tmp" or not prefix.is_dir():
                continue
            for path in prefix.iterdir():
                if prefix.name + path.name not in sizes and _is_old(path, now):
                    report.orphans.append(path)
        tmp = store.root / "tmp"
        if tmp.is_dir():
            report.stale_tmp = [p for p in tmp.iterdir() if _is_old(p, now)]
    if repair:
        for path in report.orphans + report.stale_tmp:
            path.unlink(missing_ok=True)
            report.removed += 1
    return report
