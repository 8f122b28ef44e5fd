"""One ZIP per congress, so nothing uploaded or recorded is lost: export it, restore it.

The archive holds three kinds of member:

- ``manifest.json``: every row of the congress (sessions, items and their document links,
  documents with all their versions, delegates with credential versions and check-ins, its
  own accounts, its audit events), as JSON. Each record carries the ``id`` it had on the
  exporting instance; ids only link records inside the archive, an import gives new ones
  (delegates keep theirs when they are free: see below).
- ``files/<sha256>``: the bytes of every stored file version, once each.
- ``checksums.sha256``: ``sha256sum`` lines over every other member, so an unzipped archive
  can be checked with ``sha256sum -c checksums.sha256``.

What goes in is decided column by column in FIELDS: each model names the columns carried as
values, the secrets (hashes) carried only in a full backup, the ids carried as links between
records, and the columns left out with the reason. A column in none of them is a decision not
yet taken, and tests/test_archive.py fails until it is.

The congress's own accounts are those tied to it (users.congress_id). Accounts serving every
congress belong to the instance: the archive names them by username only, where its records
name them (uploads, check-ins, audit events), and an import links those records to the
account of that username that serves every congress there, if there is one.

Secrets (password hashes, card token and PIN hashes) are left out unless an admin asks for a
full backup: an archive copied to a USB stick should not carry what an offline password
search needs.

Delegate card tokens and PINs are HMACs of the secret key, the delegate's id and the
credential version (services/delegates.py). An import keeps numbers and credential versions,
and keeps delegate ids when they are free, so printed cards keep working on an instance with
the same SECRET_KEY. A full backup lets the import check that; without its hashes, the
import makes them from this instance's key and cannot tell whether they match the cards.
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
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import Enum
from pathlib import Path
from typing import IO, Any

from flask import current_app
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.types import TypeDecorator

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
    FormSubmission,
    SetupToken,
    User,
)
from ..models.base import utcnow
from ..storage import CHUNK, FileStore, file_store
from . import audit, page_images
from . import delegates as delegate_service

FORMAT = "congress_app.archive"
# 2: only the congress's own accounts (with their tie), secrets only in a full backup,
# audit events by their congress. Version 1 listed every account of the instance.
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
CHECKSUMS = "checksums.sha256"
FILES_DIR = "files/"
_FILE_MEMBER = re.compile(r"files/([0-9a-f]{64})")
_CHECKSUM_LINE = re.compile(r"([0-9a-f]{64}) [ *](.+)")
# An imported account whose password hash is not in the archive: no password matches it.
NO_PASSWORD = "!"


class ArchiveRefused(ValueError):
    """The archive cannot be written or restored; nothing was changed."""


# What the archive carries of each model ---------------------------------------------------


@dataclass(frozen=True, eq=False)
class Fields:
    """What the archive does with each column of one model; every column is named once.

    ``values`` are restored as they were; ``secrets`` too, but only a full backup carries
    them; ``links`` are ids, carried as the archive ids of other records (or implied by
    where the record sits) and given this instance's ids on import; ``excluded`` columns are
    left out on purpose, each with the reason.
    """

    values: tuple[str, ...]
    links: Mapping[str, str]
    secrets: tuple[str, ...] = ()
    excluded: Mapping[str, str] = field(default_factory=dict)

    def named(self) -> list[str]:
        return [*self.values, *self.links, *self.secrets, *self.excluded]


_ID = "the record's id in the archive; the import gives it a new one"
_SESSIONS = ("the count of ended sign-ins: a restore starts every sign-in afresh, so the "
             "new instance's own count (from 1) is the right one")
_CONGRESS = "the archive's congress: every record of an archive belongs to it"
_ACCOUNT = ("an account of the archive (`accounts`, or by username only `other_accounts`), "
            "linked to this instance's account")

FIELDS: dict[type, Fields] = {
    Congress: Fields(
        values=("slug", "title", "organisation", "parent_organisation", "ordinal", "term",
                "venue", "starts_on", "ends_on", "motto", "delegates_expected",
                "members_represented", "updated_at", "closed_at", "listed",
                "follow_browser_language"),
        links={"id": _ID}),
    CongressSession: Fields(
        values=("name", "date", "starts_at", "ends_at", "position", "edit_version"),
        links={"id": _ID, "congress_id": _CONGRESS}),
    AgendaItem: Fields(
        values=("position", "starts_at", "title", "presenter", "notes", "on_stage",
                "edit_version"),
        links={"id": _ID, "session_id": "the session the item is listed under"}),
    AgendaItemDocument: Fields(
        values=("position",),
        links={"id": _ID, "item_id": "the item the link is listed under",
               "document_id": "`document`: the archive id of the linked document"}),
    Document: Fields(
        values=("code", "title", "category", "visibility", "published", "position",
                "created_at", "deleted_at", "edit_version"),
        links={"id": _ID, "congress_id": _CONGRESS}),
    DocumentVersion: Fields(
        values=("number", "sha256", "original_filename", "mime_type", "size", "pages", "text",
                "uploaded_at", "note"),
        links={"id": _ID, "document_id": "the document the version is listed under",
               "uploaded_by_id": f"`uploaded_by`: {_ACCOUNT}"}),
    Delegate: Fields(
        values=("number", "full_name", "search_name", "unit", "discussion_group", "seat",
                "kind", "active", "credential_version", "created_at", "updated_at"),
        secrets=("token_hash", "pin_hash"),
        excluded={"session_version": _SESSIONS},
        links={"id": "the record's id in the archive, kept on import when it is free here "
                     "(card tokens and PINs derive from it)",
               "congress_id": _CONGRESS}),
    CheckIn: Fields(
        values=("at", "method"),
        links={"id": _ID, "delegate_id": "the delegate the check-in is listed under",
               "congress_id": _CONGRESS, "by_user_id": f"`by_user`: {_ACCOUNT}"}),
    User: Fields(
        values=("username", "role", "active", "created_at"),
        # The one-time flag belongs with the hash it marks: an ordinary archive restores
        # accounts without a password, to be given a one-time one.
        secrets=("password_hash", "must_change_password"),
        excluded={"session_version": _SESSIONS},
        links={"id": _ID, "congress_id": "the archive's congress: only the accounts tied to "
                                         "it are the congress's own and exported"}),
    AuditEvent: Fields(
        values=("at", "action", "object_type", "detail"),
        links={"id": _ID, "user_id": f"`user`: {_ACCOUNT}",
               "congress_id": "the archive's congress: only its own events are exported",
               "object_id": "the archive id of the record the event names; empty on import "
                            "when that record is not in the archive (deleted since)"}),
}


# Tables that belong to no congress's record, left out of every archive, with the reason.
NOT_ARCHIVED: dict[type, str] = {
    FormSubmission: "one-time tokens of forms being sent; worthless once the form is sent",
    SetupToken: "the instance's one-time set-up link, which belongs to no congress",
}


def _to_json(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return value


def _dump(row, full: bool, **links: Any) -> dict:
    """A row as JSON: its archive id, its values, its secrets in a full backup, the links."""
    fields = FIELDS[type(row)]
    names = [*fields.values, *(fields.secrets if full else ())]
    record = {"id": row.id}
    record.update({name: _to_json(getattr(row, name)) for name in names})
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


def _load(model, record: dict, full: bool, *, links: Iterable[str] = ()) -> Any:
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
    return model(**{name: _from_json(columns[name], record[name])
                    for name in names if name in record})


# Export --------------------------------------------------------------------------------


def _app_version() -> str:
    try:
        return importlib.metadata.version("congress_app")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def build_manifest(congress: Congress, *, full: bool = False) -> dict:
    """Everything needed to restore the congress, as one JSON-ready dict; the secrets
    (password, card token and PIN hashes) only in a full backup."""
    named_accounts: set[int] = set()

    def account(user_id: int | None) -> int | None:
        if user_id is not None:
            named_accounts.add(user_id)
        return user_id

    sessions = []
    for session in congress.sessions:
        items = []
        for item in session.items:
            items.append(_dump(item, full, documents=[
                _dump(link, full, document=link.document_id) for link in item.document_links
            ]))
        sessions.append(_dump(session, full, items=items))

    documents = []
    for document in db.session.scalars(
        select(Document).where(Document.congress_id == congress.id).order_by(Document.id)
    ):
        documents.append(_dump(document, full, versions=[
            _dump(v, full, uploaded_by=account(v.uploaded_by_id)) for v in document.versions
        ]))

    delegates = []
    for delegate in db.session.scalars(
        select(Delegate).where(Delegate.congress_id == congress.id).order_by(Delegate.number)
    ):
        checkin = delegate.checkin
        delegates.append(_dump(
            delegate, full,
            # Without the hashes, whether the delegate has a card at all (a purge removes it).
            has_card=delegate.token_hash is not None,
            checkin=None if checkin is None else _dump(
                checkin, full, by_user=account(checkin.by_user_id)),
        ))

    events = []
    for event in db.session.scalars(
        select(AuditEvent).where(AuditEvent.congress_id == congress.id)
        .order_by(AuditEvent.at, AuditEvent.id)
    ):
        if event.object_type == "User" and event.object_id is not None:
            account(event.object_id)
        events.append(_dump(event, full, user=account(event.user_id),
                            object_id=event.object_id))

    accounts = list(db.session.scalars(
        select(User).where(User.congress_id == congress.id).order_by(User.id)))
    own = {user.id for user in accounts}
    others = db.session.scalars(
        select(User).where(User.id.in_(named_accounts - own)).order_by(User.id))

    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "app_version": _app_version(),
        "exported_at": utcnow().isoformat(),
        "full": full,
        "congress": _dump(congress, full, sessions=sessions),
        "documents": documents,
        "delegates": delegates,
        "accounts": [_dump(user, full) for user in accounts],
        # Accounts of the instance (or, once, of another congress) that the records name:
        # the username only, so an import can link the records to that account there.
        "other_accounts": [{"id": user.id, "username": user.username} for user in others],
        "audit_events": events,
    }


class _HashingWriter:
    """A write-only stream that hashes what passes through it on its way into the ZIP."""

    def __init__(self, target: IO[bytes]) -> None:
        self.target = target
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> None:
        self.digest.update(data)
        self.target.write(data)


def _write_zip(congress: Congress, out: IO[bytes], full: bool, store: FileStore) -> None:
    manifest = build_manifest(congress, full=full)
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
                    full: bool = False) -> None:
    """Write the congress's archive (a full backup: with its secrets) to an open binary
    file, or atomically to a path.

    A path gets a temp file beside it, renamed into place once complete, so a crash or a
    refused export never leaves half an archive under the real name.
    """
    store = file_store()
    if not isinstance(target, (str, os.PathLike)):
        _write_zip(congress, target, full, store)
        return
    path = Path(target)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            _write_zip(congress, out, full, store)
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
    version = manifest.get("format_version")
    if version == 1:
        # Version 1 listed every account of the instance, without the congress each one
        # serves: importing it would mean guessing which accounts to create, with what reach.
        raise ArchiveRefused(
            f"The archive has format version 1 (written by congress_app "
            f"{manifest.get('app_version', 'unknown')}), which lists every account of the "
            "instance without saying which congress each serves; this version does not "
            "guess. Update the instance that wrote it and export the congress again.")
    if version != FORMAT_VERSION:
        raise ArchiveRefused(f"The archive has format version {version}; this version of "
                             f"the app reads version {FORMAT_VERSION}.")
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
    """Refuse before writing anything if the congress, one of its codes or one of its
    accounts' usernames already exists here."""
    slug = manifest["congress"]["slug"]
    if db.session.scalar(select(Congress.id).where(Congress.slug == slug)) is not None:
        raise ArchiveRefused(f"This instance already has a congress with the slug “{slug}”.")
    codes = [d["code"] for d in manifest["documents"]]
    taken = list(db.session.scalars(select(Document.code).where(Document.code.in_(codes))))
    if taken:
        raise ArchiveRefused(f"Document codes already used on this instance: "
                             f"{', '.join(sorted(taken))}. Codes are printed in QR codes and "
                             "cannot change.")
    names = [a["username"] for a in manifest["accounts"]]
    taken = list(db.session.scalars(select(User.username).where(User.username.in_(names))))
    if taken:
        # Another person's account, or one already serving another congress: merging the
        # congress's account into it would hand that person the congress or its records.
        raise ArchiveRefused(f"Usernames of the congress's accounts already used on this "
                             f"instance: {', '.join(sorted(taken))}. Rename or remove those "
                             "accounts first.")


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




@dataclass
class _Restored:
    """What an import did that its summary reports."""

    congress: Congress
    cards_reissued: int = 0
    cards_unchecked: int = 0
    missing_accounts: list[str] = field(default_factory=list)


def _restore_accounts(manifest: dict, congress: Congress, full: bool,
                      restored: _Restored) -> dict[int, User | None]:
    """The congress's own accounts, tied to the new congress; the other accounts its records
    name, found here by username among the accounts that serve every congress."""
    users: dict[int, User | None] = {}
    for record in manifest["accounts"]:
        user = _load(User, record, full)
        user.congress_id = congress.id
        if not full:
            # No hash in the archive: the account keeps its name in the records it authored
            # but cannot sign in until an admin gives it a password.
            user.password_hash = NO_PASSWORD
            user.active = False
        db.session.add(user)
        users[record["id"]] = user
    for record in manifest["other_accounts"]:
        user = db.session.scalar(select(User).where(User.username == record["username"],
                                                    User.congress_id.is_(None)))
        if user is None:
            restored.missing_accounts.append(record["username"])
        users[record["id"]] = user
    db.session.flush()
    return users


def _restore_credentials(delegates: list[tuple[Delegate, dict]], full: bool, kept_ids: bool,
                         restored: _Restored) -> None:
    """Card hashes that follow this instance's secret key, counting what must be reprinted."""

    def issue(delegate: Delegate) -> None:
        delegate_service.issue_credentials(delegate)
        # New hashes are the import's doing, not an edit: the row keeps the archive's time.
        flag_modified(delegate, "updated_at")

    for delegate, record in delegates:
        if not full:
            if record["has_card"] is True:
                # Made from this key, id and version: with the same ids they match the printed
                # card if this instance has the exporting one's SECRET_KEY, which nothing in
                # an archive without hashes can show; with new ids they cannot match.
                issue(delegate)
                if kept_ids:
                    restored.cards_unchecked += 1
                else:
                    restored.cards_reissued += 1
            continue
        if delegate.token_hash is None and delegate.pin_hash is None:
            continue
        token_ok = delegate.token_hash == delegate_service.token_digest(
            delegate_service.card_token(delegate))
        pin_ok = delegate.pin_hash == delegate_service.pin_digest(
            delegate, delegate_service.card_pin(delegate))
        if not (token_ok and pin_ok):
            # Another secret key or another id: the printed card cannot match, so the
            # stored hashes follow this instance and the cards are printed again.
            issue(delegate)
            restored.cards_reissued += 1


def _restore_rows(manifest: dict) -> _Restored:
    """Add every row of the manifest to the session, ids remapped to this instance's."""
    full = manifest["full"]
    if type(full) is not bool:
        raise ArchiveRefused("The manifest does not say whether it is a full backup.")
    record = manifest["congress"]
    congress = _load(Congress, record, full, links=["sessions"])
    db.session.add(congress)
    db.session.flush()
    restored = _Restored(congress)
    new_ids: dict[tuple[str, int], Any] = {("Congress", record["id"]): congress}
    users = _restore_accounts(manifest, congress, full, restored)
    new_ids.update((("User", old), user) for old, user in users.items())

    def user_id(old: int | None) -> int | None:
        return None if old is None or users[old] is None else users[old].id

    documents: dict[int, Document] = {}
    for record in manifest["documents"]:
        document = _load(Document, record, full, links=["versions"])
        document.congress_id = congress.id
        for v in record["versions"]:
            version = _load(DocumentVersion, v, full, links=["uploaded_by"])
            version.uploaded_by_id = user_id(v["uploaded_by"])
            document.versions.append(version)
            new_ids[("DocumentVersion", v["id"])] = version
        db.session.add(document)
        documents[record["id"]] = new_ids[("Document", record["id"])] = document
    db.session.flush()  # the FTS triggers index each document and version here

    for s in manifest["congress"]["sessions"]:
        session = _load(CongressSession, s, full, links=["items"])
        session.congress = congress
        for i in s["items"]:
            item = _load(AgendaItem, i, full, links=["documents"])
            for link in i["documents"]:
                row = _load(AgendaItemDocument, link, full, links=["document"])
                row.document = documents[link["document"]]
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
        delegate = _load(Delegate, record, full, links=["checkin", "has_card"])
        delegate.congress_id = congress.id
        if keep_ids:
            delegate.id = record["id"]
        if record["checkin"] is not None:
            c = record["checkin"]
            checkin = _load(CheckIn, c, full, links=["by_user"])
            checkin.congress_id = congress.id
            checkin.by_user_id = user_id(c["by_user"])
            delegate.checkin = checkin
            new_ids[("CheckIn", c["id"])] = checkin
        db.session.add(delegate)
        delegates.append((delegate, record))
        new_ids[("Delegate", record["id"])] = delegate
    db.session.flush()
    if keep_ids and db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT setval(pg_get_serial_sequence('delegates', 'id'), "
                                "(SELECT max(id) FROM delegates))"))
    _restore_credentials(delegates, full, keep_ids, restored)

    for record in manifest["audit_events"]:
        event = _load(AuditEvent, record, full, links=["user", "object_id"])
        event.user_id = user_id(record["user"])
        event.congress_id = congress.id
        target = new_ids.get((record["object_type"], record["object_id"]))
        # An event about a record that is not in the archive (deleted since) keeps its
        # type and detail but no id, which here could name an unrelated row.
        event.object_id = getattr(target, "id", None)
        db.session.add(event)
    db.session.flush()
    return restored


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
                restored = _restore_rows(manifest)
                congress = restored.congress
                audit.record(
                    None, "congress.import", congress,
                    exported_at=manifest.get("exported_at"),
                    app_version=manifest.get("app_version"),
                    full=manifest["full"],
                    documents=len(manifest["documents"]),
                    delegates=len(manifest["delegates"]),
                    accounts=len(manifest["accounts"]),
                    cards_reissued=restored.cards_reissued,
                    cards_unchecked=restored.cards_unchecked,
                    missing_accounts=restored.missing_accounts,
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
