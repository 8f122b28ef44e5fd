"""Restoring an archive into this instance: all of it, or (on any error) nothing."""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.attributes import flag_modified

from ...extensions import db
from ...models import (
    Absence,
    AgendaItem,
    AgendaItemDocument,
    AuditEvent,
    CheckIn,
    Comment,
    CommentReportAdoption,
    CommentTriage,
    CommentWindow,
    Congress,
    CongressSession,
    Delegate,
    Document,
    DocumentVersion,
    User,
    Vote,
    VoteBallot,
    VoteCount,
)
from ...storage import FileStore, file_store
from .. import audit, page_images
from .. import delegates as delegate_service
from .file_format import FILES_DIR, ArchiveRefused, check_files, load, verified_manifest

# An imported account whose password hash is not in the archive: no password matches it.
NO_PASSWORD = "!"



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
    client_ids = [c["client_id"] for c in manifest.get("comments", [])]
    taken = list(db.session.scalars(
        select(Comment.client_id).where(Comment.client_id.in_(client_ids))))
    if taken:
        # A client id names one comment, so that a phone sending it again is recognised.
        raise ArchiveRefused(f"Comments of this archive are already on this instance "
                             f"(client ids {', '.join(sorted(taken))}).")


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
        user = load(User, record, full)
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
    congress = load(Congress, record, full, links=["sessions"])
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
        document = load(Document, record, full, links=["versions"])
        document.congress_id = congress.id
        for v in record["versions"]:
            version = load(DocumentVersion, v, full, links=["uploaded_by"])
            version.uploaded_by_id = user_id(v["uploaded_by"])
            document.versions.append(version)
            new_ids[("DocumentVersion", v["id"])] = version
        db.session.add(document)
        documents[record["id"]] = new_ids[("Document", record["id"])] = document
    db.session.flush()  # the FTS triggers index each document and version here

    for s in manifest["congress"]["sessions"]:
        session = load(CongressSession, s, full, links=["items"])
        session.congress = congress
        for i in s["items"]:
            item = load(AgendaItem, i, full, links=["documents"])
            for link in i["documents"]:
                row = load(AgendaItemDocument, link, full, links=["document"])
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
        delegate = load(Delegate, record, full,
                        links=["checkin", "checkins", "absences", "has_card"])
        delegate.congress_id = congress.id
        if keep_ids:
            delegate.id = record["id"]
        _restore_attendance(delegate, record, full, new_ids, user_id)
        db.session.add(delegate)
        delegates.append((delegate, record))
        new_ids[("Delegate", record["id"])] = delegate
    db.session.flush()
    if keep_ids and db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT setval(pg_get_serial_sequence('delegates', 'id'), "
                                "(SELECT max(id) FROM delegates))"))
    _restore_credentials(delegates, full, keep_ids, restored)

    _restore_comments(manifest, congress, full, new_ids, user_id)
    _restore_votes(manifest, congress, full, new_ids)

    for record in manifest["audit_events"]:
        event = load(AuditEvent, record, full, links=["user", "object_id"])
        event.user_id = user_id(record["user"])
        event.congress_id = congress.id
        target = new_ids.get((record["object_type"], record["object_id"]))
        # An event about a record that is not in the archive (deleted since) keeps its
        # type and detail but no id, which here could name an unrelated row.
        event.object_id = getattr(target, "id", None)
        db.session.add(event)
    db.session.flush()
    return restored


def _restore_attendance(delegate: Delegate, record: dict, full: bool,
                        new_ids: dict[tuple[str, int], Any], user_id) -> None:
    """The delegate's check-ins and reasons for absence, each in its session. Archives of
    format 3 written before sessions had attendance carry one congress-wide `checkin`."""
    old = record.get("checkin")
    for c in record.get("checkins", [old] if old is not None else []):
        checkin = load(CheckIn, c, full, links=["by_user", "session", "checked_out_by"])
        checkin.congress_id = delegate.congress_id
        checkin.by_user_id = user_id(c["by_user"])
        checkin.checked_out_by_user_id = user_id(c.get("checked_out_by"))
        checkin.session = _session(new_ids, c.get("session"))
        delegate.checkins.append(checkin)
        new_ids[("CheckIn", c["id"])] = checkin
    for a in record.get("absences", []):
        absence = load(Absence, a, full, links=["by_user", "session"])
        absence.congress_id = delegate.congress_id
        absence.by_user_id = user_id(a["by_user"])
        absence.session = _session(new_ids, a["session"])
        absence.delegate = delegate
        db.session.add(absence)
        new_ids[("Absence", a["id"])] = absence


def _session(new_ids: dict[tuple[str, int], Any], old_id: int | None):
    """The restored session an archive id names; an id of no session refuses the archive."""
    if old_id is None:
        return None
    session = new_ids.get(("CongressSession", old_id))
    if session is None:
        raise ArchiveRefused(f"The manifest names a session {old_id} it does not hold.")
    return session


def _restore_comments(manifest: dict, congress: Congress, full: bool,
                      new_ids: dict[tuple[str, int], Any], user_id) -> None:
    """Comment windows, comments with their triage, and the adopted report, linked to the
    restored documents, versions, delegates and accounts. An archive written before
    comments were archived has none of these keys: it restores no comments."""

    def linked(model: type, old: int | None):
        return _linked(new_ids, model, old)

    for record in manifest.get("comment_windows", []):
        window = load(CommentWindow, record, full, links=["document", "opened_by"])
        window.congress_id = congress.id
        window.document = linked(Document, record["document"])
        window.opened_by_id = user_id(record["opened_by"])
        db.session.add(window)
        new_ids[("CommentWindow", record["id"])] = window
    comments = []
    for record in manifest.get("comments", []):
        comment = load(Comment, record, full, links=["document", "version", "author", "triage"])
        comment.congress_id = congress.id
        comment.document = linked(Document, record["document"])
        comment.version = linked(DocumentVersion, record["version"])
        comment.author = linked(Delegate, record["author"])
        db.session.add(comment)
        comments.append((comment, record))
        new_ids[("Comment", record["id"])] = comment
    db.session.flush()
    for comment, record in comments:
        if record["triage"] is None:
            continue
        t = record["triage"]
        triage = load(CommentTriage, t, full, links=["duplicate_of", "triaged_by"])
        triage.congress_id = congress.id
        triage.comment_id = comment.id
        original = linked(Comment, t["duplicate_of"])
        triage.duplicate_of_id = original.id if original is not None else None
        triage.triaged_by_id = user_id(t["triaged_by"])
        db.session.add(triage)
        new_ids[("CommentTriage", t["id"])] = triage
    record = manifest.get("comment_report_adoption")
    if record is not None:
        adoption = load(CommentReportAdoption, record, full, links=["document", "adopted_by"])
        adoption.congress_id = congress.id
        adoption.document = linked(Document, record["document"])
        adoption.adopted_by_id = user_id(record["adopted_by"])
        db.session.add(adoption)
        new_ids[("CommentReportAdoption", record["id"])] = adoption
    db.session.flush()


def _restore_votes(manifest: dict, congress: Congress, full: bool,
                   new_ids: dict[tuple[str, int], Any]) -> None:
    """The votes with their ballots and a secret vote's counters, linked to the restored
    agenda items and delegates. An archive written before votes were archived has none."""
    for record in manifest.get("votes", []):
        vote = load(Vote, record, full, links=["item", "ballots", "counts"])
        vote.congress_id = congress.id
        vote.item = _linked(new_ids, AgendaItem, record["item"])
        db.session.add(vote)
        db.session.flush()
        new_ids[("Vote", record["id"])] = vote
        for b in record["ballots"]:
            ballot = load(VoteBallot, b, full, links=["delegate"])
            ballot.vote_id = vote.id
            ballot.delegate_id = _linked(new_ids, Delegate, b["delegate"]).id
            db.session.add(ballot)
            new_ids[("VoteBallot", b["id"])] = ballot
        for c in record["counts"]:
            counter = load(VoteCount, c, full)
            counter.vote_id = vote.id
            db.session.add(counter)
    db.session.flush()


def _linked(new_ids: dict[tuple[str, int], Any], model: type, old: int | None):
    """The restored row an archive id names; an id the archive does not hold refuses it."""
    if old is None:
        return None
    row = new_ids.get((model.__name__, old))
    if row is None:
        raise ArchiveRefused(f"The manifest names a {model.__tablename__} record that is "
                             f"not in the archive (id {old}).")
    return row


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
            manifest = verified_manifest(zf)
            files = check_files(zf, manifest)
            _check_target(manifest)
            with _files_committed(zf, sorted(files), store), audit.edit_transaction():
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
                    comments=len(manifest.get("comments", [])),
                    cards_reissued=restored.cards_reissued,
                    cards_unchecked=restored.cards_unchecked,
                    missing_accounts=restored.missing_accounts,
                )
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
