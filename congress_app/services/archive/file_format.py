"""The archive's format: its members, their checksums, and a record as JSON and back.

Reading an archive checks every member against checksums.sha256 and the manifest's format
version before anything is restored; nothing here writes.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from collections.abc import Iterable
from datetime import date, datetime, time
from enum import Enum
from typing import Any

from sqlalchemy.types import TypeDecorator

from ...storage import CHUNK
from .fields import FIELDS

FORMAT = "congress_app.archive"
# 2: only the congress's own accounts (with their tie), secrets only in a full backup,
# audit events by their congress. Version 1 listed every account of the instance.
# 3: adds the comment windows, the comments with their triage and the adopted report. An app
# that reads only version 2 refuses such an archive rather than restore it without the
# comments; a version 2 archive has none, and is read as a congress without comments.
FORMAT_VERSION = 3
READABLE_VERSIONS = (2, 3)
MANIFEST = "manifest.json"
CHECKSUMS = "checksums.sha256"
FILES_DIR = "files/"
_FILE_MEMBER = re.compile(r"files/([0-9a-f]{64})")
_CHECKSUM_LINE = re.compile(r"([0-9a-f]{64}) [ *](.+)")

class ArchiveRefused(ValueError):
    """The archive cannot be written or restored; nothing was changed."""


def to_json(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return value


def dump(row, full: bool, **links: Any) -> dict:
    """A row as JSON: its archive id, its values, its secrets in a full backup, the links."""
    fields = FIELDS[type(row)]
    names = [*fields.values, *(fields.secrets if full else ())]
    # A row named by its links alone (a vote's counter: the vote and the choice) has no id.
    record = {"id": row.id} if "id" in row.__table__.columns else {}
    record.update({name: to_json(getattr(row, name)) for name in names})
    record.update(links)
    return record


def from_json(column, value: Any) -> Any:
    """A JSON value back into the column's Python type; a wrong type refuses the archive."""
    if value is None:
        return None
    column_type = column.type
    if isinstance(column_type, TypeDecorator):  # UTCDateTime: a DateTime underneath
        column_type = column_type.impl
    kind = column_type.python_type
    try:
        if issubclass(kind, datetime):
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                raise ValueError("naive datetime")
            return parsed
        if issubclass(kind, date):
            return date.fromisoformat(value)
        if issubclass(kind, time):
            return time.fromisoformat(value)
        if issubclass(kind, Enum):
            return kind(value)
        if kind is bool or kind is int:
            if type(value) is not kind:
                raise TypeError(kind.__name__)
            return value
        if kind is str and isinstance(value, str):
            return value
        raise TypeError(kind.__name__)
    except (TypeError, ValueError) as error:
        raise ArchiveRefused(
            f"The manifest has a bad value for {column.table.name}.{column.key}: {value!r} "
            f"({error})."
        ) from None


def load(model, record: dict, full: bool, *, links: Iterable[str] = ()) -> Any:
    """A new row from an archive record (links are resolved by the caller).

    A missing value takes the column's default (an archive written before the column
    existed); an unknown key refuses the archive, because dropping it would lose data a
    newer version wrote; so does a secret in an archive that says it holds none.
    """
    fields = FIELDS[model]
    names = [*fields.values, *(fields.secrets if full else ())]
    unknown = set(record) - set(names) - {"id", *links}
    if unknown:
        raise ArchiveRefused(
            f"The manifest has fields this version does not know in {model.__tablename__}: "
            f"{', '.join(sorted(unknown))}. Import it with the version that exported it."
        )
    columns = model.__table__.columns
    return model(**{name: from_json(columns[name], record[name])
                    for name in names if name in record})


# Reading an archive --------------------------------------------------------------------


def _member_sha256(zf: zipfile.ZipFile, name: str) -> str:
    digest = hashlib.sha256()
    with zf.open(name) as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verified_manifest(zf: zipfile.ZipFile) -> dict:
    """Check the members and every checksum; return the manifest. Reads, writes nothing."""
    names = zf.namelist()
    if len(names) != len(set(names)):
        raise ArchiveRefused("The archive has a member twice.")
    strange = [n for n in names if n not in (MANIFEST, CHECKSUMS) and not _FILE_MEMBER.fullmatch(n)]
    if strange:
        raise ArchiveRefused(f"The archive has unexpected members, e.g. {strange[0]!r}.")
    if MANIFEST not in names or CHECKSUMS not in names:
        raise ArchiveRefused(f"The archive lacks {MANIFEST} or {CHECKSUMS}: it is not a "
                             "congress archive.")
    expected: dict[str, str] = {}
    for line in zf.read(CHECKSUMS).decode("utf-8").splitlines():
        match = _CHECKSUM_LINE.fullmatch(line)
        if match is None or match.group(2) in expected:
            raise ArchiveRefused(f"{CHECKSUMS} has a malformed line: {line!r}.")
        expected[match.group(2)] = match.group(1)
    if set(expected) != set(names) - {CHECKSUMS}:
        raise ArchiveRefused(f"{CHECKSUMS} does not list exactly the members of the archive.")
    for name, sha in expected.items():
        if _member_sha256(zf, name) != sha:
            raise ArchiveRefused(f"{name} does not match its checksum: the archive has been "
                                 "changed or damaged.")
        file_member = _FILE_MEMBER.fullmatch(name)
        if file_member and file_member.group(1) != sha:
            raise ArchiveRefused(f"{name} is not named by its sha256.")
    try:
        manifest = json.loads(zf.read(MANIFEST).decode("utf-8"))
    except ValueError:
        raise ArchiveRefused(f"{MANIFEST} is not valid JSON.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveRefused(f"{MANIFEST} is not a congress archive manifest.")
    version = manifest.get("format_version")
    if version == 1:
        # Version 1 listed every account of the instance, without the congress each one
        # serves: importing it would mean guessing which accounts to create, with what reach.
        raise ArchiveRefused(
            f"The archive has format version 1 (written by congress_app "
            f"{manifest.get('app_version', 'unknown')}), which lists every account of the "
            "instance without saying which congress each serves; this version does not "
            "guess. Update the instance that wrote it and export the congress again.")
    if version not in READABLE_VERSIONS:
        readable = " and ".join(str(v) for v in READABLE_VERSIONS)
        raise ArchiveRefused(f"The archive has format version {version}; this version of "
                             f"the app reads versions {readable}.")
    return manifest


def check_files(zf: zipfile.ZipFile, manifest: dict) -> dict[str, int]:
    """Every version's file is in the archive with its size, and no file is unused."""
    files = {m.group(1): zf.getinfo(n).file_size
             for n in zf.namelist() if (m := _FILE_MEMBER.fullmatch(n))}
    used: set[str] = set()
    for document in manifest["documents"]:
        for version in document["versions"]:
            sha = version["sha256"]
            if sha not in files:
                raise ArchiveRefused(f"Version {version['number']} of {document['code']} "
                                     f"names a file that is not in the archive ({sha}).")
            if files[sha] != version["size"]:
                raise ArchiveRefused(f"The file of {document['code']} version "
                                     f"{version['number']} has the wrong size.")
            used.add(sha)
    if set(files) - used:
        raise ArchiveRefused("The archive holds files that no document version uses.")
    return files
