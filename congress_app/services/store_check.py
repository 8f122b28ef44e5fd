"""Does the file store agree with the database? What a crash can leave behind, and its repair.

Uploads are staged in tmp/, renamed into place, then the row is committed. A process killed
in between leaves either a partial file in tmp/ or a complete file no version names: never
a version without its file. Both leftovers are harmless (nothing links to them). A staging
holds a lock on its temp file for as long as it runs (FileStore.staging_file), so a temp
file nobody holds is debris whatever its age; a stored file no version names may be an
upload about to commit its row, so it is debris only once it is old.
"""

from __future__ import annotations

import fcntl
import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from ..extensions import db
from ..models import DocumentVersion
from ..storage import FileStore

# An upload commits its row well within this after its file is stored.
GRACE_SECONDS = 3600


@dataclass
class StoreReport:
    missing: list[str] = field(default_factory=list)  # versions whose file is gone or wrong size
    orphans: list[Path] = field(default_factory=list)  # old stored files no version names
    orphan_bytes: int = 0
    dead_uploads: list[Path] = field(default_factory=list)  # tmp/ files no staging holds
    dead_upload_bytes: int = 0
    removed: int = 0
    removed_bytes: int = 0

    @property
    def healthy(self) -> bool:
        return not self.missing


def _old_size(path: Path, now: float) -> int | None:
    """The size of a file older than the grace time; None for a younger (or vanished) one."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return info.st_size if now - info.st_mtime > GRACE_SECONDS else None


def _dead_uploads(tmp: Path, *, remove: bool) -> list[tuple[Path, int]]:
    """(path, size) of each temp file whose staging is gone: its lock is free. With remove,
    each is deleted while this process holds its lock, so no staging can take it meanwhile."""
    dead = []
    for path in sorted(tmp.iterdir()):
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue  # finished while we looked
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # an upload in progress
            info = os.fstat(fd)
            try:
                still_there = os.path.samestat(os.stat(path), info)
            except FileNotFoundError:
                still_there = False  # stored or removed between our open and our lock
            if not still_there or not stat.S_ISREG(info.st_mode):
                continue
            if remove:
                path.unlink()
            dead.append((path, info.st_size))
        finally:
            os.close(fd)
    return dead


def check_store(store: FileStore, *, repair: bool = False) -> StoreReport:
    """Compare every version's file with the store, and find what dead uploads left; with
    `repair`, delete that debris (never a file a version names or an upload holds)."""
    now = time.time()
    report = StoreReport()
    sizes = dict(db.session.execute(
        select(DocumentVersion.sha256, DocumentVersion.size)).tuples().all())
    for sha256, size in sizes.items():
        path = store.path_for(sha256)
        if not path.is_file() or path.stat().st_size != size:
            report.missing.append(sha256)
    if not store.root.is_dir():
        return report
    for prefix in store.root.iterdir():
        if prefix == store.tmp_dir or not prefix.is_dir():
            continue
        for path in prefix.iterdir():
            if prefix.name + path.name in sizes:
                continue
            if (size := _old_size(path, now)) is not None:
                report.orphans.append(path)
                report.orphan_bytes += size
    if repair:
        for path in report.orphans:
            path.unlink(missing_ok=True)
        report.removed, report.removed_bytes = len(report.orphans), report.orphan_bytes
    if store.tmp_dir.is_dir():
        for path, size in _dead_uploads(store.tmp_dir, remove=repair):
            report.dead_uploads.append(path)
            report.dead_upload_bytes += size
        if repair:
            report.removed += len(report.dead_uploads)
            report.removed_bytes += report.dead_upload_bytes
    return report
