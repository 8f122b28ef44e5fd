"""After a crash: every version keeps its file, and what dead uploads left is found and
removed, while an upload still running is never touched."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from congress_app.storage import file_store

ROOT = Path(__file__).resolve().parent.parent
MB = 1_048_576
# A process that stages an upload whose sender stops after `sys.argv[2]` MB: it says
# "staged" once the bytes are in its temp file, then waits for more for ever.
STALLED_UPLOAD = """
import io, sys
from congress_app.storage import FileStore

class Stalled(io.RawIOBase):
    sent = 0
    def readable(self):
        return True
    def read(self, size=-1):
        if self.sent == int(sys.argv[2]):
            print("staged", flush=True)
            sys.stdin.read()  # the rest of the upload never comes
        self.sent += 1
        return bytes(1 << 20)

with FileStore(sys.argv[1]).staged(Stalled()):
    pass
"""


def _age(path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def _start_upload(store_root: Path, megabytes: int) -> subprocess.Popen:
    """Another process in the middle of an upload (as a gunicorn worker would be)."""
    process = subprocess.Popen(
        [sys.executable, "-c", STALLED_UPLOAD, str(store_root), str(megabytes)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert process.stdout.readline() == "staged\n"
    return process


def _kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait()
    process.stdin.close()
    process.stdout.close()


@pytest.fixture
def uploads(app):
    """start(megabytes) → a running upload in another process; all are killed at the end."""
    started: list[subprocess.Popen] = []

    def start(megabytes: int) -> subprocess.Popen:
        started.append(_start_upload(file_store().root, megabytes))
        return started[-1]

    yield start
    for process in started:
        if process.poll() is None:
            _kill(process)


def test_uploads_killed_mid_way_are_counted_and_removed_whatever_their_age(
        app, runner, make_document, uploads):
    kept = make_document("Báo cáo chính trị")
    store = file_store()
    for megabytes in (3, 2):
        _kill(uploads(megabytes))  # SIGKILL: no finally block ran, the temp file stays
    dead = sorted(store.tmp_dir.iterdir())
    assert len(dead) == 2 and sum(p.stat().st_size for p in dead) == 5 * MB

    result = runner.invoke(args=["check-store"])
    assert result.exit_code == 0, result.output
    assert "0 stored files no version names (0 MB), 2 unfinished uploads in tmp/ (5 MB)." \
        in result.output
    assert "0 tệp trong kho lưu trữ không thuộc phiên bản nào (0 MB), 2 tệp tải lên dở dang " \
        "trong tmp/ (5 MB)." in result.output
    assert "flask check-store --repair removes them." in result.output
    assert all(p.exists() for p in dead)  # only counted without --repair

    result = runner.invoke(args=["check-store", "--repair"])
    assert result.exit_code == 0, result.output
    assert "Removed 2 files (5 MB)." in result.output
    assert "Đã xóa 2 tệp (5 MB)." in result.output
    assert list(store.tmp_dir.iterdir()) == []
    assert store.exists(kept.current_version.sha256)
    assert "0 unfinished uploads in tmp/ (0 MB)" in runner.invoke(args=["check-store"]).output


def test_an_upload_in_progress_is_left_alone_until_its_process_dies(app, runner, uploads):
    store = file_store()
    running = uploads(2)
    (path,) = store.tmp_dir.iterdir()
    _age(path, 30 * 24 * 3600)  # even a month-old upload is alive while its process holds it

    result = runner.invoke(args=["check-store", "--repair"])
    assert "0 unfinished uploads in tmp/ (0 MB)" in result.output
    assert "Removed 0 files (0 MB)." in result.output
    assert path.stat().st_size == 2 * MB

    _kill(running)
    result = runner.invoke(args=["check-store", "--repair"])
    assert "1 unfinished uploads in tmp/ (2 MB)" in result.output
    assert not path.exists()


def test_an_upload_staging_in_this_process_is_left_alone(app, runner):
    store = file_store()
    with store.staged(io.BytesIO(b"an upload being checked")) as staged:
        result = runner.invoke(args=["check-store", "--repair"])
        assert "0 unfinished uploads in tmp/" in result.output
        assert staged.path.exists()
        stored = store.commit(staged)  # the upload goes on as if nothing had happened
    assert stored.path.read_bytes() == b"an upload being checked"
    assert list(store.tmp_dir.iterdir()) == []


def test_stored_files_no_version_names_go_once_old_and_a_missing_file_is_said(
        app, runner, make_document):
    kept = make_document("Báo cáo chính trị")
    store = file_store()
    orphan = store.path_for("ab" * 32)
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"a file committed by a request killed before its row")
    fresh_orphan = store.path_for("cd" * 32)
    fresh_orphan.parent.mkdir(parents=True, exist_ok=True)
    fresh_orphan.write_bytes(b"an upload committing its row right now")
    _age(orphan, 7200)

    result = runner.invoke(args=["check-store"])
    assert result.exit_code == 0, result.output
    assert "1 stored files no version names (0 MB), 0 unfinished uploads" in result.output
    assert orphan.exists()  # only counted without --repair

    result = runner.invoke(args=["check-store", "--repair"])
    assert "Removed 1 files (0 MB)." in result.output
    assert not orphan.exists()
    assert fresh_orphan.exists()  # its row may be on its way
    assert store.exists(kept.current_version.sha256)
    assert "Every document version has its file." in result.output
    assert "Mọi phiên bản tài liệu đều có tệp." in result.output

    store.path_for(kept.current_version.sha256).unlink()
    result = runner.invoke(args=["check-store"])
    assert result.exit_code == 1
    assert f"MISSING or damaged file for version {kept.current_version.sha256}" in result.output
    assert f"THIẾU hoặc hỏng tệp của phiên bản {kept.current_version.sha256}" in result.output
