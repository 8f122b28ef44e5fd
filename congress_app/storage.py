"""Content-addressed file store: files are named by their sha256 and written atomically."""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app

CHUNK = 1024 * 1024


class FileTooLarge(ValueError):
    """The upload is longer than the configured limit."""


@dataclass(frozen=True)
class StagedFile:
    sha256: str
    size: int
    path: Path


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    path: Path


class FileStore:
    """Bytes on disk under root/ab/cdef…; the same bytes uploaded twice are stored once."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError("not a sha256 hex digest")
        return self.root / sha256[:2] / sha256[2:]

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    @contextmanager
    def staged(self, stream: BinaryIO, max_size: int | None = None) -> Iterator[StagedFile]:
        """Copy the stream to a temp file and hash it; the caller checks it, then commit()s it.

        Leaving the block without commit() deletes the temp file, so a refused or broken
        upload leaves nothing behind. Raises FileTooLarge past max_size bytes. The temp file
        is locked (see staging_file) until the block ends.
        """
        digest = hashlib.sha256()
        size = 0
        out, tmp = self.staging_file()
        try:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if max_size is not None and size > max_size:
                    raise FileTooLarge(max_size)
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
            yield StagedFile(digest.hexdigest(), size, tmp)
        finally:
            tmp.unlink(missing_ok=True)
            out.close()  # only now: the lock says "in use" until the file is gone or stored

    @property
    def tmp_dir(self) -> Path:
        """Where uploads are staged before they are renamed into the store."""
        return self.root / "tmp"

    def staging_file(self) -> tuple[BinaryIO, Path]:
        """A new temp file in tmp/, open and under an exclusive lock while it stays open.

        A process killed mid-upload leaves its temp file but not its lock (the kernel drops
        it with the process), so check-store can tell debris from an upload in progress in
        any worker or process: it removes only files it can lock itself (holding the lock).
        """
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        while True:
            fd, name = tempfile.mkstemp(dir=self.tmp_dir, prefix="upload-")
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                if os.path.samestat(os.stat(name), os.fstat(fd)):
                    return os.fdopen(fd, "wb"), Path(name)
            except FileNotFoundError:
                pass
            # check-store took the file for debris in the instant before it was locked.
            os.close(fd)

    def commit(self, staged: StagedFile) -> StoredFile:
        """Rename a checked temp file into its content address (a no-op if already stored)."""
        final = self.path_for(staged.sha256)
        if not final.exists():
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged.path, final)
            _fsync_dir(final.parent)
        return StoredFile(staged.sha256, staged.size, final)

    def put_bytes(self, data: bytes) -> StoredFile:
        """Store bytes made by the app itself (seed PDFs, cleaned photos), known to be good."""
        with self.staged(io.BytesIO(data)) as staged:
            return self.commit(staged)


def _fsync_dir(path: Path) -> None:
    """Make the rename itself durable, not only the file's bytes."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes) -> None:
    """Write beside the target, then rename: a reader never sees half a file (cached images,
    PDFs). Unlike FileStore.put, for files the app can always make again, so no fsync."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def file_store() -> FileStore:
    """The store configured for the running app."""
    return FileStore(current_app.config["FILE_STORE"])
