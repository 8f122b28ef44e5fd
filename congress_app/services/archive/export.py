"""Writing a congress's archive: the manifest, every stored file once, the checksums."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import (
    Absence,
    AuditEvent,
    Comment,
    CommentReportAdoption,
    CommentTriage,
    CommentWindow,
    Congress,
    Delegate,
    Document,
    DocumentVersion,
    User,
    Vote,
    VoteBallot,
    VoteCount,
)
from ...models.base import utcnow
from ...storage import CHUNK, FileStore, file_store
from .file_format import (
    CHECKSUMS,
    FILES_DIR,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    ArchiveRefused,
    dump,
)


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
            items.append(dump(item, full, documents=[
                dump(link, full, document=link.document_id) for link in item.document_links
            ]))
        sessions.append(dump(session, full, items=items))

    documents = []
    for document in db.session.scalars(
        select(Document).where(Document.congress_id == congress.id).order_by(Document.id)
        # Every version's text goes into the archive: in one query, not one per version.
        .options(selectinload(Document.versions).undefer(DocumentVersion.text))
    ):
        documents.append(dump(document, full, versions=[
            dump(v, full, uploaded_by=account(v.uploaded_by_id)) for v in document.versions
        ]))

    absences: dict[int, list[Absence]] = {}
    for absence in db.session.scalars(select(Absence).where(
            Absence.congress_id == congress.id).order_by(Absence.id)):
        absences.setdefault(absence.delegate_id, []).append(absence)
    delegates = []
    for delegate in db.session.scalars(
        select(Delegate).where(Delegate.congress_id == congress.id).order_by(Delegate.number)
    ):
        delegates.append(dump(
            delegate, full,
            # Without the hashes, whether the delegate has a card at all (a purge removes it).
            has_card=delegate.token_hash is not None,
            checkins=[dump(c, full, by_user=account(c.by_user_id), session=c.session_id,
                           checked_out_by=account(c.checked_out_by_user_id))
                      for c in delegate.checkins],
            absences=[dump(a, full, by_user=account(a.by_user_id), session=a.session_id)
                      for a in absences.get(delegate.id, [])],
        ))

    windows = [
        dump(w, full, document=w.document_id, opened_by=account(w.opened_by_id))
        for w in db.session.scalars(select(CommentWindow).where(
            CommentWindow.congress_id == congress.id).order_by(CommentWindow.id))
    ]
    triages = {t.comment_id: t for t in db.session.scalars(select(CommentTriage).where(
        CommentTriage.congress_id == congress.id))}
    comments = []
    for comment in db.session.scalars(
        select(Comment).where(Comment.congress_id == congress.id).order_by(Comment.id)
    ):
        triage = triages.get(comment.id)
        comments.append(dump(
            comment, full, document=comment.document_id, version=comment.version_id,
            author=comment.author_id,
            triage=None if triage is None else dump(
                triage, full, duplicate_of=triage.duplicate_of_id,
                triaged_by=account(triage.triaged_by_id)),
        ))
    adoption = db.session.scalar(select(CommentReportAdoption).where(
        CommentReportAdoption.congress_id == congress.id))

    votes = []
    for vote in db.session.scalars(
        select(Vote).where(Vote.congress_id == congress.id).order_by(Vote.id)
    ):
        ballots = db.session.scalars(select(VoteBallot).where(VoteBallot.vote_id == vote.id)
                                     .order_by(VoteBallot.id))
        counts = db.session.scalars(select(VoteCount).where(VoteCount.vote_id == vote.id)
                                    .order_by(VoteCount.choice))
        votes.append(dump(vote, full, item=vote.item_id,
                          ballots=[dump(b, full, delegate=b.delegate_id) for b in ballots],
                          counts=[dump(c, full) for c in counts]))

    events = []
    for event in db.session.scalars(
        select(AuditEvent).where(AuditEvent.congress_id == congress.id)
        .order_by(AuditEvent.at, AuditEvent.id)
    ):
        if event.object_type == "User" and event.object_id is not None:
            account(event.object_id)
        events.append(dump(event, full, user=account(event.user_id),
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
        "congress": dump(congress, full, sessions=sessions),
        "documents": documents,
        "delegates": delegates,
        "accounts": [dump(user, full) for user in accounts],
        # Accounts of the instance (or, once, of another congress) that the records name:
        # the username only, so an import can link the records to that account there.
        "other_accounts": [{"id": user.id, "username": user.username} for user in others],
        "audit_events": events,
        "comment_windows": windows,
        "comments": comments,
        "votes": votes,
        "comment_report_adoption": None if adoption is None else dump(
            adoption, full, document=adoption.document_id,
            adopted_by=account(adoption.adopted_by_id)),
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
