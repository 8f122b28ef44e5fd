"""After a crash: every version keeps its file, and debris is found and removed when old."""

from __future__ import annotations

import os
import time

from congress_app.storage import file_store


def _age(path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_the_store_check_finds_debris_and_missing_files(app, make_document):
    kept = make_document("Báo cáo chính trị")
    store = file_store()
    orphan = store.path_for("ab" * 32)
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"a file committed by a request killed before its row")
    fresh_orphan = store.path_for("cd" * 32)
    fresh_orphan.parent.mkdir(parents=True, exist_ok=True)
    fresh_orphan.write_bytes(b"an upload finishing right now")
    (store.root / "tmp").mkdir(exist_ok=True)
    stale = store.root / "tmp" / "upload-old"
    stale.write_bytes(b"half an upload")
    in_progress = store.root / "tmp" / "upload-now"
    in_progress.write_bytes(b"an upload arriving")
    _age(orphan, 7200)
    _age(stale, 7200)

    runner = app.test_cli_runner()
    result = runner.invoke(args=["check-store"])
    assert result.exit_code == 0, result.output
    assert "1 stored files no version names, 1 unfinished uploads" in result.output
    assert orphan.exists() and stale.exists()  # only listed without --repair

    result = runner.invoke(args=["check-store", "--repair"])
    assert "removed 2" in result.output
    assert not orphan.exists() and not stale.exists()
    assert fresh_orphan.exists() and in_progress.exists()  # may belong to a live upload
    assert store.exists(kept.current_version.sha256)

    store.path_for(kept.current_version.sha256).unlink()
    result = runner.invoke(args=["check-store"])
    assert result.exit_code == 1
    assert f"MISSING or damaged file for version {kept.current_version.sha256}" in result.output
