"""The two congresses, their exports and the fresh instances the archive tests restore onto,
and the snapshots that compare a congress before and after the round trip."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from congress_app import create_app
from congress_app.config import ROOT
from congress_app.extensions import db
from congress_app.models import (
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
    DelegateKind,
    Document,
    DocumentVersion,
    Role,
    User,
    Vote,
    VoteBallot,
    VoteCount,
    VoteMethod,
    utcnow,
)
from congress_app.services import absences as absence_service
from congress_app.services import attendance as attendance_service
from congress_app.services import comment_report, comment_triage, intake
from congress_app.services import comments as comment_service
from congress_app.services import delegates as delegate_service
from congress_app.services import documents as document_service
from congress_app.services import seed as seed_service
from congress_app.services import users as user_service
from congress_app.services import votes as vote_service
from congress_app.services.archive import fields as archive_fields
from congress_app.services.archive import file_format
from congress_app.storage import file_store

from .conftest import _config, add_delegate, database_copy

SEEDS = ROOT / "seeds"
SLUG = "thanh-xuan-2025"
PHRASE = "chuyển đổi số"


def _new_app(tmp: Path, migrated_db: Path | str, postgres, **overrides) -> Flask:
    """A second instance with its own database copy and file store, like the `app` fixture."""
    tmp.mkdir(parents=True, exist_ok=True)
    database = database_copy(tmp, migrated_db, postgres)
    return create_app({**_config(tmp, database), **overrides})


def _cli(app: Flask, *args: str):
    """Run a flask command as `flask` would: inside the app's context."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def _dispose(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def fresh_app(tmp_path, migrated_db, postgres) -> Iterator[Callable[..., Flask]]:
    """Factory of empty instances: fresh_app(SECRET_KEY=…)."""
    made: list[Flask] = []

    def make(**overrides) -> Flask:
        made.append(_new_app(tmp_path / f"instance{len(made)}", migrated_db, postgres,
                             **overrides))
        return made[-1]

    yield make
    for app in made:
        _dispose(app)


PASSWORD = "mật khẩu đủ dài 2025"
# Congress B shares the instance with the demo congress A; these words occur only in B's rows.
B_SLUG = "binh-minh-2025"
B_MARKER = "BINHMINH"
B_ACCOUNTS = ("binhminh-admin", "binhminh-door")
A_ACCOUNTS = ("thanhxuan-editor", "thanhxuan-door")
INSTANCE_ADMIN = user_service.DEMO_ORGANISER[0]  # serves every congress


@pytest.fixture(scope="module")
def source(tmp_path_factory, migrated_db, postgres, pdf_bytes) -> Iterator[Flask]:
    """The demo congress A, plus what the seed lacks: its own accounts (an editor who uploads
    a second file version shared with another document, a door account that checks a delegate
    in), a deleted document and a reissued card by the account serving every congress; and
    on the same instance congress B with its own accounts, documents, cards and audit events."""
    app = _new_app(tmp_path_factory.mktemp("source"), migrated_db, postgres)
    with app.app_context():
        seed_service.load_demo(SEEDS)
        congress = db.session.scalar(select(Congress))
        congress.listed = False  # not the default: the round trip must carry it
        admin = db.session.scalar(select(User).where(User.username == INSTANCE_ADMIN))
        editor = user_service.create_user(A_ACCOUNTS[0], PASSWORD, Role.EDITOR, congress)
        door = user_service.create_user(A_ACCOUNTS[1], PASSWORD, Role.CHECKIN, congress)
        assert user_service.authenticate(A_ACCOUNTS[0], PASSWORD) == editor
        first, second, third = document_service.congress_documents(congress)[:3]
        with file_store().path_for(second.current_version.sha256).open("rb") as pdf:
            intake.replace_file(first, intake.Upload(pdf, "bản mới.pdf"),
                                          user=editor, note="Sửa lỗi chính tả")
        document_service.delete_document(third, user=admin)
        delegates = db.session.scalars(select(Delegate).where(
            Delegate.congress_id == congress.id).order_by(Delegate.number)).all()
        delegate_service.reissue_credentials(delegates[0], user=admin)
        # Attendance per session: the clock's session, where the delegate then leaves early,
        # and the first one; an excused absentee of the first session.
        first_session = min(congress.sessions, key=lambda s: (s.date, s.starts_at))
        attendance_service.check_in(delegates[1], user=door)
        attendance_service.check_out(congress, delegates[1].number, editor)
        attendance_service.check_in(delegates[1], user=door, session=first_session)
        absence_service.mark_absence(congress, delegates[3].number, "excused", "Ốm, có giấy",
                                     editor, first_session)
        _comment_on(congress, second, delegates, editor, pdf_bytes)
        _vote_on(congress, delegates, door)

        b = Congress(slug=B_SLUG, title=f"Đại hội Đảng bộ phường {B_MARKER}",
                     organisation=f"Đảng bộ phường {B_MARKER}", starts_on=date(2025, 7, 24),
                     ends_on=date(2025, 7, 24))
        db.session.add(b)
        db.session.commit()
        b_admin = user_service.create_user(B_ACCOUNTS[0], PASSWORD, Role.ADMIN, b)
        b_door = user_service.create_user(B_ACCOUNTS[1], PASSWORD, Role.CHECKIN, b)
        assert user_service.authenticate(B_ACCOUNTS[0], PASSWORD) == b_admin
        intake.create_document(
            b, title=f"Báo cáo {B_MARKER}", category="political_report", user=b_admin,
            upload=intake.Upload(io.BytesIO(pdf_bytes(B_MARKER)), "b.pdf"))
        b_delegate = add_delegate(b, 1, f"Trần {B_MARKER}", search_name=f"tran {B_MARKER.lower()}")
        attendance_service.check_in(b_delegate, user=b_door)
    yield app
    _dispose(app)


COMMENT_TEXTS = ("Đề nghị bổ sung chỉ tiêu chuyển đổi số.", "Cần bổ sung chỉ tiêu số hoá.",
                 "Tán thành dự thảo.", "Ý kiến này đã được rút lại.")


def _vote_on(congress, delegates, door) -> None:
    """Votes of A: a named phone vote, closed (ballots with their choices), a secret one
    still open (ballots without a choice, its counters apart) and a show of hands, closed
    with a sum that differs from those present and its reason."""
    item = congress.sessions[0].items[0]
    voters = [d for d in delegates if d.kind == DelegateKind.OFFICIAL][4:7]
    for voter in voters:
        attendance_service.check_in(voter, user=door, session=item.session)
    named = vote_service.create(congress, item, None, question="Thông qua Chương trình",
                                method=VoteMethod.PHONES, secret=False)
    vote_service.open_vote(named, None)
    for voter, choice in zip(voters, ("for", "for", "against"), strict=True):
        vote_service.cast(named, voter, choice)
    vote_service.close_vote(named, None)
    secret = vote_service.create(congress, item, None, question="Bầu Đoàn Chủ tịch",
                                 method=VoteMethod.PHONES, secret=True)
    vote_service.open_vote(secret, None)
    for voter, choice in zip(voters[:2], ("for", "abstain"), strict=True):
        vote_service.cast(secret, voter, choice)
    hands = vote_service.create(congress, item, None, question="Thông qua Quy chế",
                                method=VoteMethod.HANDS, secret=False)
    vote_service.open_vote(hands, None)
    vote_service.record_counts(hands, None, for_count=2, against_count=0, abstain_count=0,
                               confirmed=True, reason="Một đại biểu ra ngoài khi giơ thẻ")
    vote_service.close_vote(hands, None)


def _comment_on(congress, document, delegates, secretary, pdf_bytes) -> None:
    """Góp ý on one of A's documents: four comments by official delegates (one withdrawn,
    one a duplicate, one classified by the secretary), and the adopted report."""
    now = utcnow()
    comment_service.open_window(congress, document, opens_at=now - timedelta(hours=1),
                                closes_at=now + timedelta(days=2), scope="document",
                                authors="delegates_and_groups", user=secretary)
    officials = [d for d in delegates if d.kind == DelegateKind.OFFICIAL and d.active]
    # The third is its group's secretary, entering the group's opinion (shared by 2); the
    # congress lets delegates read their group's comments: the round trip carries both.
    officials[2].group_secretary = True
    congress.delegates_see_group_comments = True
    stances = ("disagree", "disagree", "agree", "disagree")
    written = [comment_service.write_comment(
        congress, document, author, client_id=str(uuid.uuid4()), paragraph=None,
        stance=stance, text=text, as_group=author.group_secretary,
        group_share=2 if author.group_secretary else None)[0]
        for author, stance, text in zip(officials, stances, COMMENT_TEXTS, strict=False)]
    assert written[2].group_share == 2 and written[2].discussion_group
    comment_triage.classify(congress, written[0], classification="accepted",
                            response="Tiếp thu, bổ sung vào dự thảo.", user=secretary)
    comment_triage.mark_duplicate(congress, written[1], original_id=written[0].id,
                                  user=secretary)
    comment_service.withdraw_comment(congress, officials[3], written[3])
    comment_report.adopt(congress, pdf_bytes("BÁO CÁO tổng hợp ý kiến"),
                         title="Báo cáo tổng hợp ý kiến góp ý", user=secretary)


@dataclass(frozen=True)
class Exported:
    path: Path
    snapshot: dict  # congress A on the source instance right after the export (see _snapshot)


@pytest.fixture(scope="module")
def exports(source, tmp_path_factory) -> dict[str, Exported]:
    """Congress A exported through the CLI: its full backup, then its ordinary archive."""
    folder = tmp_path_factory.mktemp("archive")
    made = {}
    for kind, flags, said in (("full", ["--full"], "keep it as safe as the database"),
                              ("plain", [], "No secrets included")):
        path = folder / f"đại hội {kind}.zip"
        result = _cli(source, "export-congress", "--slug", SLUG, *flags, str(path))
        assert result.exit_code == 0, result.output
        assert "MB" in result.output and said in result.output
        with source.app_context():
            made[kind] = Exported(path, _snapshot())
    return made


@pytest.fixture(scope="module")
def archive(exports) -> Path:
    return exports["full"].path


@pytest.fixture(scope="module")
def plain_archive(exports) -> Path:
    return exports["plain"].path


def _instance_admin(app: Flask) -> None:
    """The account serving every congress that the restoring instance has, by the same name."""
    with app.app_context():
        user_service.create_user(INSTANCE_ADMIN, "another long password", Role.ADMIN)


@pytest.fixture(scope="module")
def target(archive, tmp_path_factory, migrated_db, postgres) -> Iterator[Flask]:
    """A fresh instance with the same secret key and its own admin serving every congress,
    where the full backup was imported by the CLI."""
    app = _new_app(tmp_path_factory.mktemp("target"), migrated_db, postgres)
    _instance_admin(app)
    result = _cli(app, "import-congress", str(archive))
    assert result.exit_code == 0, result.output
    assert "Delegate cards keep working" in result.output
    assert "WARNING" not in result.output
    yield app
    _dispose(app)


# What an instance holds of a congress, every column, ids replaced by natural keys --------

_MODEL_OF_TABLE = {model.__tablename__: model for model in archive_fields.FIELDS}
_MODEL_NAMED = {model.__name__: model for model in archive_fields.FIELDS}


def _natural_key(model, row_id: int | None):
    """What names a row independently of the instance's ids (None if it is gone)."""
    row = db.session.get(model, row_id) if model is not None and row_id is not None else None
    match row:
        case None:
            return None
        case Congress():
            return row.slug
        case CongressSession():
            return (row.position, row.name)
        case AgendaItem():
            return (row.session.position, row.position)
        case AgendaItemDocument():
            return (row.item.session.position, row.item.position, row.document.code)
        case Document():
            return row.code
        case DocumentVersion():
            return (row.document.code, row.number)
        case Delegate():
            return ("delegate", row.congress.slug, row.number)
        case CheckIn():
            return ("check-in", row.delegate.number, _natural_key(CongressSession,
                                                                  row.session_id))
        case User():
            return row.username
        case CommentWindow():
            return ("comment window", row.document.code)
        case Comment():
            return ("comment", row.client_id)
        case CommentTriage():
            return ("triage", row.comment.client_id)
        case CommentReportAdoption():
            return ("adoption", row.congress.slug)
        case Vote():
            return ("vote", row.question)
    raise AssertionError(f"no natural key for {model}")


def _row(row) -> dict:
    """Every column of the row but those FIELDS excludes on purpose: the surrogate id left
    out (but a delegate's, which cards derive from, kept), foreign keys and an audit event's
    object as natural keys."""
    excluded = archive_fields.FIELDS[type(row)].excluded
    values = {}
    for column in row.__table__.columns:
        if column.key in excluded:
            continue
        value = getattr(row, column.key)
        if column.primary_key and not column.foreign_keys and column.key == "id":
            if isinstance(row, Delegate):
                values[column.key] = value
            continue
        if column.foreign_keys:
            (foreign_key,) = column.foreign_keys
            value = _natural_key(_MODEL_OF_TABLE[foreign_key.column.table.name], value)
        elif isinstance(row, AuditEvent) and column.key == "object_id":
            value = _natural_key(_MODEL_NAMED.get(row.object_type), value)
        values[column.key] = value
    return values


def _snapshot(slug: str = SLUG) -> dict[str, list[dict]]:
    """Every row of the congress (its own accounts and audit events included) as _row does."""
    congress = db.session.scalar(select(Congress).where(Congress.slug == slug))
    of_congress = {
        Congress: select(Congress).where(Congress.id == congress.id),
        CongressSession: select(CongressSession).where(
            CongressSession.congress_id == congress.id),
        AgendaItem: select(AgendaItem).join(CongressSession).where(
            CongressSession.congress_id == congress.id),
        AgendaItemDocument: select(AgendaItemDocument).join(AgendaItem).join(
            CongressSession).where(CongressSession.congress_id == congress.id),
        Document: select(Document).where(Document.congress_id == congress.id),
        DocumentVersion: select(DocumentVersion).join(Document).where(
            Document.congress_id == congress.id),
        Delegate: select(Delegate).where(Delegate.congress_id == congress.id),
        CheckIn: select(CheckIn).where(CheckIn.congress_id == congress.id),
        Absence: select(Absence).where(Absence.congress_id == congress.id),
        User: select(User).where(User.congress_id == congress.id),
        CommentWindow: select(CommentWindow).where(CommentWindow.congress_id == congress.id),
        Comment: select(Comment).where(Comment.congress_id == congress.id),
        CommentTriage: select(CommentTriage).where(CommentTriage.congress_id == congress.id),
        CommentReportAdoption: select(CommentReportAdoption).where(
            CommentReportAdoption.congress_id == congress.id),
        Vote: select(Vote).where(Vote.congress_id == congress.id),
        VoteBallot: select(VoteBallot).join(Vote).where(Vote.congress_id == congress.id),
        VoteCount: select(VoteCount).join(Vote).where(Vote.congress_id == congress.id),
        AuditEvent: select(AuditEvent).where(AuditEvent.congress_id == congress.id,
                                             AuditEvent.action != "congress.import"),
    }
    # Every model the archive carries is compared.
    assert set(of_congress) == set(archive_fields.FIELDS)
    return {
        model.__name__: sorted((_row(row) for row in db.session.scalars(query)),
                               key=lambda values: json.dumps(values, default=str,
                                                             sort_keys=True))
        for model, query in of_congress.items()
    }


def _members(path: Path) -> dict[str, bytes]:
    """Every member of the ZIP, read to the end."""
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _secrets(slug: str) -> dict[str, list[str]]:
    """The hashes stored for a congress: its accounts' passwords, its delegates' cards."""
    congress = db.session.scalar(select(Congress).where(Congress.slug == slug))
    delegates = db.session.scalars(select(Delegate).where(Delegate.congress_id == congress.id))
    cards = [h for d in delegates for h in (d.token_hash, d.pin_hash) if h]
    passwords = list(db.session.scalars(
        select(User.password_hash).where(User.congress_id == congress.id)))
    return {"cards": cards, "passwords": passwords}


def _stored_files() -> dict[str, str]:
    """Every file under the store's root (temp folder included), with its sha256."""
    root = file_store().root
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in root.rglob("*") if path.is_file()
    } if root.exists() else {}


def _row_counts() -> dict[str, int]:
    counts = {table.name: db.session.scalar(select(func.count()).select_from(table))
              for table in db.metadata.sorted_tables}
    counts["document_search"] = db.session.scalar(text("SELECT count(*) FROM document_search"))
    return counts


@contextmanager
def _nothing_changes(app: Flask) -> Iterator[None]:
    """Assert that the block leaves the instance's rows and files exactly as they were."""
    with app.app_context():
        before = (_row_counts(), _stored_files())
    yield
    with app.app_context():
        assert (_row_counts(), _stored_files()) == before


def _rewritten(archive: Path, out: Path, change: Callable[[str, bytes], bytes],
               *, fix_checksums: bool = False) -> Path:
    """A copy of the archive with members changed; optionally with checksums made to match,
    as a careful forger (or a buggy tool) would."""
    with zipfile.ZipFile(archive) as src:
        members = {name: change(name, src.read(name)) for name in src.namelist()}
    if fix_checksums:
        members[file_format.CHECKSUMS] = "".join(
            f"{hashlib.sha256(data).hexdigest()}  {name}\n"
            for name, data in members.items() if name != file_format.CHECKSUMS
        ).encode()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in members.items():
            dst.writestr(name, data)
    return out


def _flip_first_file_byte(name: str, data: bytes) -> bytes:
    if name.startswith("files/") and not getattr(_flip_first_file_byte, "done", False):
        _flip_first_file_byte.done = True
        return data[:100] + bytes([data[100] ^ 1]) + data[101:]
    return data

def _a_files(app: Flask) -> dict[str, str]:
    """The stored files of congress A's document versions, as _stored_files lists them."""
    with app.app_context():
        shas = db.session.scalars(select(DocumentVersion.sha256).join(Document).join(Congress)
                                  .where(Congress.slug == SLUG))
        return {f"{sha[:2]}/{sha[2:]}": sha for sha in shas}
