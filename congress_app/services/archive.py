"""One ZIP per congress, so nothing uploaded or recorded is lost: export it, restore it.

The archive holds three kinds of member:

- ``manifest.json``: every row of the congress (sessions, items and their document links,
  documents with all their versions, delegates with credential versions and check-ins, the
  audit events, the instance's accounts by username and role), as JSON. Each record carries
  the ``id`` it had on the exporting instance; ids only link records inside the archive, an
  import gives new ones (delegates keep theirs when they are free: see below).
- ``files/<sha256>``: the bytes of every stored file version, once each.
- ``checksums.sha256``: ``sha256sum`` lines over every other member, so an unzipped archive
  can be checked with ``sha256sum -c checksums.sha256``.

Password hashes are left out unless asked for (``with_accounts``): an archive copied to a
USB stick should not carry what an offline password search needs.

Delegate card tokens and PINs are HMACs of the secret key, the delegate's id and the
credential version (services/delegates.py). An import keeps numbers and credential
versions, and keeps delegate ids when they are free, so printed cards keep working on an
instance with the same SECRET_KEY. Otherwise the stored hashes are made again from this
instance's key and the cards must be reprinted.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import re
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import date, datetime, time
from enum import Enum
from pathlib import Path
from typing import IO, Any

from flask import current_app
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.types import TypeDecorator

from .. import pages as page_images
from ..extensions import db
from ..models import (
    AgendaItem,
    AgendaItemDocument,
    AuditEvent,
    CheckIn,
    Congress,
    CongressSession,
    Delegate,
    Document,
    DocumentVersion,
    User,
)
from ..models.base import utcnow
from ..storage import CHUNK, FileStore, file_store
from . import audit
from . import delegates as delegate_service

FORMAT = "congress_app.archive"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHECKSUMS = "checksums.sha256"
FILES_DIR = "files/"
_FILE_MEMBER = re.compile(r"files/([0-9a-f]{64})")
_CHECKSUM_LINE = re.compile(r"([0-9a-f]{64}) [ *](.+)")
# Records of these types can be named by an audit event; the archive maps them to new ids.
_AUDITED = {model.__name__: model for model in (
    Congress, CongressSession, AgendaItem, AgendaItemDocument, Document, DocumentVersion,
    Delegate, CheckIn, User)}


class ArchiveRefused(ValueError):
    """The archive cannot be written or restored; nothing was changed."""


# Rows as JSON --------------------------------------------------------------------------


def _plain_columns(model) -> list:
    """The columns an archive carries as values: all but the id and the foreign keys, which
    it carries as links between records instead."""
    return [c for c in model.__table__.columns if not c.primary_key and not c.foreign_keys]


def _to_json(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return value


def _dump(row, **links: Any) -> dict:
    """A row as JSON: its id, its plain columns and the links given."""
    record = {"id": row.id}
    record.update({c.key: _to_json(getattr(row, c.key)) for c in _plain_columns(type(row))})
    record.update(links)
    return record


def _from_json(column, value: Any) -> Any:
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


def _load(model, record: dict, *, links: Iterable[str] = ()) -> Any:
    """A new row from an archive record (links are resolved by the caller).

    A missing column takes its default (an archive from an older version); an unknown key
    refuses the archive, because dropping it would lose data a newer version wrote.
    """
    columns = {c.key: c for c in _plain_columns(model)}
    unknown = set(record) - set(columns) - {"id", *links}
    if unknown:
        raise ArchiveRefused(
            f"The manifest has fields this version does not know in {model.__tablename__}: "
            f"{', '.join(sorted(unknown))}. Import it with the version that exported it."
        )
    return model(**{k: _from_json(c, record[k]) for k, c in columns.items() if k in record})


# Export --------------------------------------------------------------------------------


def _app_version() -> str:
    try:
        return importlib.metadata.version("congress_app")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _congress_audit_events(congress: Congress, owned: set[tuple[str, int]]) -> list[AuditEvent]:
    """The audit events of this congress: those naming one of its records. On an instance
    that holds only this congress (the usual case), every event, since sign-ins and rows
    deleted since cannot be told apart by congress."""
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.at, AuditEvent.id))
    if db.session.scalar(select(func.count()).select_from(Congress)) == 1:
        return list(events)
    return [e for e in events if (e.object_type, e.object_id) in owned]


def build_manifest(congress: Congress, *, with_accounts: bool = False) -> dict:
    """Everything needed to restore the congress, as one JSON-ready dict."""
    owned: set[tuple[str, int]] = {("Congress", congress.id)}
    sessions = []
    for session in congress.sessions:
        owned.add(("CongressSession", session.id))
        items = []
        for item in session.items:
            owned.add(("AgendaItem", item.id))
            owned.update(("AgendaItemDocument", link.id) for link in item.document_links)
            items.append(_dump(item, documents=[
                {"id": link.id, "document": link.document_id, "position": link.position}
                for link in item.document_links
            ]))
        sessions.append(_dump(session, items=items))

    documents = []
    for document in db.session.scalars(
        select(Document).where(Document.congress_id == congress.id).order_by(Document.id)
    ):
        owned.add(("Document", document.id))
        owned.update(("DocumentVersion", v.id) for v in document.versions)
        documents.append(_dump(document, versions=[
            _dump(v, uploaded_by=v.uploaded_by_id) for v in document.versions
        ]))

    delegates = []
    for delegate in db.session.scalars(
        select(Delegate).where(Delegate.congress_id == congress.id).order_by(Delegate.number)
    ):
        owned.add(("Delegate", delegate.id))
        checkin = delegate.checkin
        if checkin is not None:
            owned.add(("CheckIn", checkin.id))
        delegates.append(_dump(
            delegate,
            checkin=None if checkin is None else _dump(checkin, by_user=checkin.by_user_id),
        ))

    users = []
    for user in db.session.scalars(select(User).order_by(User.id)):
        record = _dump(user)
        if not with_accounts:
            del record["password_hash"]
        users.append(record)

    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "app_version": _app_version(),
        "exported_at": utcnow().isoformat(),
        "with_accounts": with_accounts,
        "congress": _dump(congress, sessions=sessions),
        "documents": documents,
        "delegates": delegates,
        "users": users,
        "audit_events": [
            _dump(e, user=e.user_id) for e in _congress_audit_events(congress, owned)
        ],
    }


class _HashingWriter:
    """A write-only stream that hashes what passes through it on its way into the ZIP."""

    def __init__(self, target: IO[bytes]) -> None:
        self.target = target
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> None:
        self.digest.update(data)
        self.target.write(data)


def _write_zip(congress: Congress, out: IO[bytes], with_accounts: bool, store: FileStore) -> None:
    manifest = build_manifest(congress, with_accounts=with_accounts)
    checksums: list[tuple[str, str]] = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        shas = sorted({v["sha256"] for d in manifest["documents"] for v in d["versions"]})
        for sha in shas:
            source = store.path_for(sha)
            if not source.is_file():
                raise ArchiveRefused(f"The stored file {sha} is missing from the file store; "
                                     "the archive would be incomplete.")
            name = FILES_DIR + sha
            # One file at a time, in chunks: the archive never sits in memory.
            with source.open("rb") as src, zf.open(name, "w", force_zip64=True) as dst:
                writer = _HashingWriter(dst)
                while chunk := src.read(CHUNK):
                    writer.write(chunk)
            if writer.digest.hexdigest() != sha:
                raise ArchiveRefused(f"The stored file {sha} does not match its hash: the "
                                     "file store is damaged.")
            checksums.append((sha, name))
        body = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
        zf.writestr(MANIFEST, body)
        checksums.append((hashlib.sha256(body).hexdigest(), MANIFEST))
        zf.writestr(CHECKSUMS, "".join(f"{sha}  {name}\n" for sha, name in checksums))


def export_congress(congress: Congress, target: IO[bytes] | str | os.PathLike, *,
                    with_accounts: bool = False) -> None:
    """Write the congress's archive to an open binary file, or atomically to a path.

    A path gets a temp file beside it, renamed into place once complete, so a crash or a
    refused export never leaves half an archive under the real name.
    """
    store = file_store()
    if not isinstance(target, (str, os.PathLike)):
        _write_zip(congress, target, with_accounts, store)
        return
    path = Path(target)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            _write_zip(congress, out, with_accounts, store)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# Import --------------------------------------------------------------------------------


def _member_sha256(zf: zipfile.ZipFile, name: str) -> str:
    digest = hashlib.sha256()
    with zf.open(name) as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _verified_manifest(zf: zipfile.ZipFile) -> dict:
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
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ArchiveRefused(f"The archive has format version {manifest.get('format_version')}"
                             f"; this version of the app reads version {FORMAT_VERSION}.")
    return manifest


def _check_files(zf: zipfile.ZipFile, manifest: dict) -> dict[str, int]:
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


def _check_target(manifest: dict) -> None:
    """Refuse before writing anything if the congress or one of its codes already exists."""
    slug = manifest["congress"]["slug"]
    if db.session.scalar(select(Congress.id).where(Congress.slug == slug)) is not None:
        raise ArchiveRefused(f"This instance already has a congress with the slug “{slug}”.")
    codes = [d["code"] for d in manifest["documents"]]
    taken = list(db.session.scalars(select(Document.code).where(Document.code.in_(codes))))
    if taken:
        raise ArchiveRefused(f"Document codes already used on this instance: "
                             f"{', '.join(sorted(taken))}. Codes are printed in QR codes and "
                             "cannot change.")


@contextmanager
def _files_committed(zf: zipfile.ZipFile, shas: Iterable[str], store: FileStore) -> Iterator[None]:
    """Put the archive's files into the store; if the block fails, remove the ones this
    import added (and no row references), so a failed import leaves no orphan files."""
    added: list[str] = []
    try:
        for sha in shas:
            if store.exists(sha):
                continue
            with zf.open(FILES_DIR + sha) as stream, store.staged(stream) as staged:
                if staged.sha256 != sha:  # the archive changed since it was verified
                    raise ArchiveRefused(f"files/{sha} changed while it was being imported.")
                store.commit(staged)
            added.append(sha)
        yield
    except BaseException:
        db.session.rollback()
        in_use = set(db.session.scalars(
            select(DocumentVersion.sha256).where(DocumentVersion.sha256.in_(added))))
        for sha in added:
            if sha not in in_use:
                path = store.path_for(sha)
                path.unlink(missing_ok=True)
                with suppress(OSError):  # the folder is shared with other files
                    path.parent.rmdir()
        raise


def _restore_rows(manifest: dict) -> tuple[Congress, int]:
    """Add every row of the manifest to the session; return the congress and how many
    delegates needed new card credentials (their cards must be reprinted)."""
    users: dict[int, User] = {}
    for record in manifest["users"]:
        user = db.session.scalar(select(User).where(User.username == record["username"]))
        if user is None:
            user = _load(User, record)
            if not record.get("password_hash"):
                # No hash in the archive: the account keeps its name in the records it
                # authored but cannot sign in until an admin gives it a password.
                user.password_hash = "!"
                user.active = False
            db.session.add(user)
        users[record["id"]] = user

    def user_id(old: int | None) -> int | None:
        return None if old is None else users[old].id

    db.session.flush()
    new_ids: dict[tuple[str, int], Any] = {("User", k): u for k, u in users.items()}
    record = manifest["congress"]
    congress = _load(Congress, record, links=["sessions"])
    db.session.add(congress)
    db.session.flush()
    new_ids[("Congress", record["id"])] = congress

    documents: dict[int, Document] = {}
    for record in manifest["documents"]:
        document = _load(Document, record, links=["versions"])
        document.congress_id = congress.id
        for v in record["versions"]:
            version = _load(DocumentVersion, v, links=["uploaded_by"])
            version.uploaded_by_id = user_id(v["uploaded_by"])
            document.versions.append(version)
            new_ids[("DocumentVersion", v["id"])] = version
        db.session.add(document)
        documents[record["id"]] = new_ids[("Document", record["id"])] = document
    db.session.flush()  # the FTS triggers index each document and version here

    for s in manifest["congress"]["sessions"]:
        session = _load(CongressSession, s, links=["items"])
        session.congress = congress
        for i in s["items"]:
            item = _load(AgendaItem, i, links=["documents"])
            for link in i["documents"]:
                row = AgendaItemDocument(document=documents[link["document"]],
                                         position=link["position"])
                item.document_links.append(row)
                new_ids[("AgendaItemDocument", link["id"])] = row
            session.items.append(item)
            new_ids[("AgendaItem", i["id"])] = item
        db.session.add(session)
        new_ids[("CongressSession", s["id"])] = session

    old_ids = [d["id"] for d in manifest["delegates"]]
    # Card tokens derive from the delegate's id: keep the ids when they are free here.
    keep_ids = bool(old_ids) and db.session.scalar(
        select(func.count()).select_from(Delegate).where(Delegate.id.in_(old_ids))) == 0
    delegates = []
    for record in manifest["delegates"]:
        delegate = _load(Delegate, record, links=["checkin"])
        delegate.congress_id = congress.id
        if keep_ids:
            delegate.id = record["id"]
        if record["checkin"] is not None:
            c = record["checkin"]
            checkin = _load(CheckIn, c, links=["by_user"])
            checkin.congress_id = congress.id
            checkin.by_user_id = user_id(c["by_user"])
            delegate.checkin = checkin
            new_ids[("CheckIn", c["id"])] = checkin
        db.session.add(delegate)
        delegates.append(delegate)
        new_ids[("Delegate", record["id"])] = delegate
    db.session.flush()
    if keep_ids and db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT setval(pg_get_serial_sequence('delegates', 'id'), "
                                "(SELECT max(id) FROM delegates))"))

    reissued = 0
    for delegate in delegates:
        if delegate.token_hash is None and delegate.pin_hash is None:
            continue
        token_ok = delegate.token_hash == delegate_service.token_digest(
            delegate_service.card_token(delegate))
        pin_ok = delegate.pin_hash == delegate_service.pin_digest(
            delegate, delegate_service.card_pin(delegate))
        if not (token_ok and pin_ok):
            # Another secret key or another id: the printed card cannot match, so the
            # stored hashes follow this instance and the cards are printed again.
            delegate_service.issue_credentials(delegate)
            reissued += 1

    for record in manifest["audit_events"]:
        event = _load(AuditEvent, record, links=["user"])
        event.user_id = user_id(record["user"])
        target = new_ids.get((record["object_type"], record["object_id"]))
        # An event about a record that is not in the archive (deleted since) keeps its
        # type and detail but no id, which here could name an unrelated row.
        event.object_id = getattr(target, "id", None)
        db.session.add(event)
    db.session.flush()
    return congress, reissued


def import_congress(path: str | os.PathLike) -> Congress:
    """Restore an archive into this instance: all of it, or (on any error) nothing.

    Every checksum and file hash is verified before anything is written; then the files go
    into the file store and the rows are added in one transaction. Raises ArchiveRefused.
    """
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        raise ArchiveRefused(f"This is not a readable ZIP archive: {error}.") from None
    store = file_store()
    with zf:
        try:
            manifest = _verified_manifest(zf)
            files = _check_files(zf, manifest)
            _check_target(manifest)
            with _files_committed(zf, sorted(files), store):
                congress, reissued = _restore_rows(manifest)
                audit.record(
                    None, "congress.import", congress,
                    exported_at=manifest.get("exported_at"),
                    app_version=manifest.get("app_version"),
                    documents=len(manifest["documents"]),
                    delegates=len(manifest["delegates"]),
                    cards_reissued=reissued,
                )
                db.session.commit()
        except (KeyError, TypeError, AttributeError) as error:
            raise ArchiveRefused(f"The manifest is incomplete or malformed ({error!r}).") \
                from None
        except SQLAlchemyError as error:
            reason = getattr(error, "orig", None) or error
            raise ArchiveRefused(f"The archive's records do not fit this database ({reason}).") \
                from None
        except (zipfile.BadZipFile, zlib.error, EOFError) as error:
            raise ArchiveRefused(f"The archive is damaged: {error}.") from None
    _schedule_page_images(congress)
    return congress


def _schedule_page_images(congress: Congress) -> None:
    """The import is committed: have the readers' page images made (or left to the first
    request, in "on-demand" mode); a failure here loses nothing."""
    versions = db.session.scalars(
        select(DocumentVersion).join(Document).where(Document.congress_id == congress.id))
    for version in versions:
        try:
            page_images.schedule_rendering(version.sha256, version.mime_type, version.pages)
        except Exception:
            current_app.logger.exception("could not schedule the page images of %s",
                                         version.sha256)


def last_import(congress: Congress) -> dict:
    """What the latest import of this congress recorded in the audit trail (counts, and how
    many delegates' cards must be reprinted)."""
    event = db.session.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == "congress.import", AuditEvent.object_type == "Congress",
               AuditEvent.object_id == congress.id)
        .order_by(AuditEvent.id.desc()).limit(1))
    return json.loads(event.detail) if event is not None and event.detail else {}
