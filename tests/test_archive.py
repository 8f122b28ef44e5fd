"""One archive per congress: export the demo congress, restore it on a fresh instance, and
refuse archives that were changed, damaged or already imported, leaving nothing behind."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from congress_app import create_app
from congress_app.config import ROOT
from congress_app.extensions import db
from congress_app.models import (
    AgendaItem,
    AgendaItemDocument,
    AuditEvent,
    CheckIn,
    Congress,
    CongressSession,
    Delegate,
    Document,
    DocumentVersion,
    Role,
    User,
)
from congress_app.services import attendance as attendance_service
from congress_app.services import closing as closing_service
from congress_app.services import delegates as delegate_service
from congress_app.services import documents as document_service
from congress_app.services import intake
from congress_app.services import search as search_service
from congress_app.services import seed as seed_service
from congress_app.services import users as user_service
from congress_app.services.archive import export as archive_export
from congress_app.services.archive import fields as archive_fields
from congress_app.services.archive import file_format
from congress_app.services.archive import restore as archive_restore
from congress_app.storage import file_store

from .conftest import _config, add_delegate, add_user, database_copy

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
        attendance_service.check_in(delegates[1], user=door)

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
            return ("check-in", row.delegate.number)
        case User():
            return row.username
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
        if column.primary_key:
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
        User: select(User).where(User.congress_id == congress.id),
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


# The journey ----------------------------------------------------------------------------


def _a_files(app: Flask) -> dict[str, str]:
    """The stored files of congress A's document versions, as _stored_files lists them."""
    with app.app_context():
        shas = db.session.scalars(select(DocumentVersion.sha256).join(Document).join(Congress)
                                  .where(Congress.slug == SLUG))
        return {f"{sha[:2]}/{sha[2:]}": sha for sha in shas}


def test_a_full_backup_restores_every_column_of_every_row_and_every_file(
        source, exports, target):
    expected = exports["full"].snapshot
    with target.app_context():
        restored = _snapshot()
        for model in expected:
            assert restored[model] == expected[model], model
        assert _stored_files() == _a_files(source) == _a_files(target)
        # Only A's own accounts came, tied to A; the instance's admin stays the instance's.
        accounts = {u.username: u.congress for u in db.session.scalars(select(User))}
        assert accounts == {INSTANCE_ADMIN: None, **dict.fromkeys(A_ACCOUNTS,
                                                                  restored_congress())}
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "congress.import"))
        detail = json.loads(event.detail)
        assert detail["cards_reissued"] == 0 and detail["missing_accounts"] == []
    # The demo has what the round trip must carry, links to accounts of both kinds included.
    assert any(v["uploaded_by_id"] == A_ACCOUNTS[0] for v in restored["DocumentVersion"])
    assert any(d["deleted_at"] for d in restored["Document"])
    assert [c["by_user_id"] for c in restored["CheckIn"]] == [A_ACCOUNTS[1]]
    assert any(d["credential_version"] == 2 for d in restored["Delegate"])
    assert sorted(u["username"] for u in restored["User"]) == sorted(A_ACCOUNTS)
    assert all(u["password_hash"] and u["congress_id"] == SLUG for u in restored["User"])
    authors = {e["user_id"] for e in restored["AuditEvent"]}
    assert {INSTANCE_ADMIN, *A_ACCOUNTS} <= authors
    assert {e["object_id"] for e in restored["AuditEvent"] if e["object_type"] == "User"} == \
        set(A_ACCOUNTS)
    assert len(restored["Delegate"]) >= 150 and len(restored["AuditEvent"]) > 10


def restored_congress() -> Congress:
    return db.session.scalar(select(Congress).where(Congress.slug == SLUG))


def test_every_member_is_listed_once_and_verifies_with_sha256sum(archive, tmp_path):
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
        zf.extractall(tmp_path)
        manifest = json.loads(zf.read("manifest.json"))
    shas = {v["sha256"] for d in manifest["documents"] for v in d["versions"]}
    assert sorted(names) == sorted(["manifest.json", "checksums.sha256",
                                    *(f"files/{s}" for s in shas)])
    assert manifest["format_version"] == file_format.FORMAT_VERSION == 2
    assert manifest["full"] is True and all(a["password_hash"] for a in manifest["accounts"])
    listed = (tmp_path / "checksums.sha256").read_text().splitlines()
    assert len(listed) == len(names) - 1
    if shutil.which("sha256sum"):
        check = subprocess.run(["sha256sum", "--strict", "-c", "checksums.sha256"],
                               cwd=tmp_path, capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    for line in listed:
        sha, name = line.split("  ")
        assert hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() == sha


@pytest.mark.parametrize("kind", ["full", "plain"])
def test_another_congress_s_accounts_and_events_never_appear_in_the_archive(
        source, exports, kind):
    """Read every member's body: nothing of congress B, and of the account serving every
    congress nothing but its username, where A's records name it."""
    members = _members(exports[kind].path)
    manifest = json.loads(members["manifest.json"])
    with source.app_context():
        b = db.session.scalar(select(Congress).where(Congress.slug == B_SLUG))
        b_secrets = _secrets(B_SLUG)
        b_events = db.session.scalars(select(AuditEvent).where(AuditEvent.congress_id == b.id))
        b_details = [e.detail for e in b_events if e.detail]
        b_shas = list(db.session.scalars(
            select(DocumentVersion.sha256).join(Document).where(Document.congress_id == b.id)))
        admin = db.session.scalar(select(User).where(User.username == INSTANCE_ADMIN))
        admin_id, admin_hash = admin.id, admin.password_hash
    # B really has what must stay out: accounts with hashes, cards, events, a file.
    assert len(b_secrets["passwords"]) == 2 and len(b_secrets["cards"]) == 2
    assert len(b_details) >= 4 and len(b_shas) == 1
    forbidden = [B_MARKER, B_SLUG, *B_ACCOUNTS, *b_secrets["cards"], *b_secrets["passwords"],
                 *b_details, *b_shas, admin_hash]
    for name, body in members.items():
        for word in forbidden:
            assert word.lower().encode() not in body.lower(), (name, word)
    assert sorted(a["username"] for a in manifest["accounts"]) == sorted(A_ACCOUNTS)
    assert manifest["other_accounts"] == [{"id": admin_id, "username": INSTANCE_ADMIN}]
    assert len(manifest["audit_events"]) == len(exports[kind].snapshot["AuditEvent"])


def test_the_ordinary_archive_holds_no_secret_and_the_full_backup_does(source, exports):
    with source.app_context():
        secrets = _secrets(SLUG)
        admin_hash = db.session.scalar(
            select(User.password_hash).where(User.username == INSTANCE_ADMIN))
    assert len(secrets["cards"]) >= 300 and len(secrets["passwords"]) == 2
    plain, full = _members(exports["plain"].path), _members(exports["full"].path)
    for secret in (*secrets["cards"], *secrets["passwords"], admin_hash):
        assert not any(secret.encode() in body for body in plain.values()), secret
    for secret in (*secrets["cards"], *secrets["passwords"]):
        assert secret.encode() in full["manifest.json"], secret
    assert not any(admin_hash.encode() in body for body in full.values())
    manifest = json.loads(plain["manifest.json"])
    assert manifest["full"] is False
    for field in ("password_hash", "token_hash", "pin_hash"):
        assert f'"{field}"'.encode() not in plain["manifest.json"]
    assert sum(d["has_card"] for d in manifest["delegates"]) == len(secrets["cards"]) // 2


def test_every_column_of_every_table_has_a_decision():
    """A new column fails here until services/archive/fields.py FIELDS says what the archive does
    with it: a value, a secret (full backup only), a link (an id), or excluded with a reason."""
    fields = archive_fields.FIELDS
    assert {table.name for table in db.metadata.sorted_tables} == \
        {model.__tablename__ for model in (*fields, *archive_fields.NOT_ARCHIVED)}, \
        "a table the archive has not decided on"
    for model, decided in fields.items():
        named = decided.named()
        assert len(named) == len(set(named)), f"{model.__name__}: a column decided twice"
        columns = model.__table__.columns
        undecided = sorted(set(columns.keys()) - set(named))
        assert not undecided, (f"{model.__tablename__}.{', '.join(undecided)}: add it to "
                               f"FIELDS[{model.__name__}] in services/archive/fields.py")
        assert set(named) <= set(columns.keys()), f"{model.__name__}: no such column"
        for column in columns:
            if column.primary_key or column.foreign_keys:
                assert column.key in {*decided.links, *decided.excluded}, \
                    f"{model.__tablename__}.{column.key} holds ids: a link, not a value"
            if column.key.endswith("_hash"):
                assert column.key in {*decided.secrets, *decided.excluded}, \
                    f"{model.__tablename__}.{column.key} is a hash: a secret"
        assert all(reason.strip() for reason in (*decided.links.values(),
                                                 *decided.excluded.values()))


def test_search_finds_a_vietnamese_phrase_in_the_restored_congress(source, target):
    def codes(app: Flask, query: str) -> list[str]:
        with app.app_context():
            congress = db.session.scalar(select(Congress).where(Congress.slug == SLUG))
            return [hit.document.code for hit in search_service.search(congress, query, None).hits]

    found = codes(target, PHRASE)
    assert found and found == codes(source, PHRASE)
    assert codes(target, "chuyen doi so") == found  # typed without diacritics


def test_printed_cards_and_passwords_keep_working_with_the_same_secret(source, target):
    with source.app_context():
        delegate = db.session.scalar(select(Delegate).where(Delegate.credential_version == 2))
        number = delegate.number
        token, pin = delegate_service.card_token(delegate), delegate_service.card_pin(delegate)
    with target.app_context():
        congress = db.session.scalar(select(Congress).where(Congress.slug == SLUG))
        assert delegate_service.delegate_by_token(token, congress).number == number
        assert delegate_service.check_pin(congress, number, pin).number == number
        assert user_service.authenticate(A_ACCOUNTS[0], PASSWORD).congress_id == congress.id


def test_the_ordinary_archive_restores_everything_but_the_secrets(
        source, exports, fresh_app):
    """Accounts come back deactivated without a password; card hashes are made from this
    instance's key, which is the exporting one's here, so printed cards keep working."""
    app = fresh_app()
    _instance_admin(app)
    result = _cli(app, "import-congress", str(exports["plain"].path))
    assert result.exit_code == 0, result.output
    assert "deactivated" in result.output and "NOTE" in result.output
    assert "reprint" in result.output
    expected = exports["plain"].snapshot
    with app.app_context():
        restored = _snapshot()
        for model in expected:
            if model != "User":
                assert restored[model] == expected[model], model

        def without_secrets(rows):
            return [{k: v for k, v in row.items() if k not in ("password_hash", "active")}
                    for row in rows]

        assert without_secrets(restored["User"]) == without_secrets(expected["User"])
        for account in db.session.scalars(select(User).where(User.congress_id.is_not(None))):
            assert not account.active
            assert account.password_hash == archive_restore.NO_PASSWORD
            assert not account.check_password(PASSWORD)
        summary = archive_restore.last_import(restored_congress())
        assert summary["cards_unchecked"] >= 150 and summary["cards_reissued"] == 0
        assert summary["full"] is False and summary["accounts"] == 2
    with source.app_context():
        delegate = db.session.scalar(select(Delegate).where(Delegate.credential_version == 2))
        token = delegate_service.card_token(delegate)
    with app.app_context():
        assert delegate_service.delegate_by_token(token, restored_congress()) is not None


def test_another_secret_means_new_cards_and_missing_accounts_are_named(
        source, archive, fresh_app):
    """A full backup on an instance with another SECRET_KEY and without the account that
    served every congress: the cards are reissued, the records lose only that author."""
    with source.app_context():
        delegate = db.session.scalar(select(Delegate).order_by(Delegate.number).limit(1))
        old_token = delegate_service.card_token(delegate)
    other = fresh_app(SECRET_KEY="another-test-secret")
    result = _cli(other, "import-congress", str(archive))
    assert result.exit_code == 0, result.output
    assert "WARNING" in result.output and "reprint" in result.output
    assert f"({INSTANCE_ADMIN})" in result.output
    with other.app_context():
        congress = restored_congress()
        summary = archive_restore.last_import(congress)
        assert summary["cards_reissued"] >= 150
        assert summary["missing_accounts"] == [INSTANCE_ADMIN]
        assert delegate_service.delegate_by_token(old_token, congress) is None
        delegate = delegate_service.delegate_by_number(congress, delegate.number)
        new_token = delegate_service.card_token(delegate)  # a reprinted card works
        assert delegate_service.delegate_by_token(new_token, congress).id == delegate.id
        # A full backup keeps the congress's own accounts signing in.
        assert user_service.authenticate(A_ACCOUNTS[1], PASSWORD) is not None
        assert db.session.scalar(select(User).where(User.username == INSTANCE_ADMIN)) is None
        reissue = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "delegate.reissue"))
        assert reissue.user_id is None and reissue.object_id is not None


@pytest.mark.parametrize(("version", "message"), [
    (1, "format version 1 .*which lists every account of the instance.* export the "
        "congress again"),
    (3, "format version 3; this version of the app reads version 2"),
])
def test_an_archive_of_another_format_is_refused_with_a_clear_message(
        archive, fresh_app, tmp_path, version, message):
    def other_version(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["format_version"] = version
        return json.dumps(manifest, ensure_ascii=False).encode()

    old = _rewritten(archive, tmp_path / "old.zip", other_version, fix_checksums=True)
    app = fresh_app()
    with _nothing_changes(app), app.app_context(), \
            pytest.raises(file_format.ArchiveRefused, match=message):
        archive_restore.import_congress(old)


def test_an_account_name_already_taken_here_refuses_the_import(archive, fresh_app):
    app = fresh_app()
    with app.app_context():
        user_service.create_user(A_ACCOUNTS[0], "someone else's password", Role.ADMIN)
    with _nothing_changes(app):
        result = _cli(app, "import-congress", str(archive))
    assert result.exit_code == 1
    assert f"already used on this instance: {A_ACCOUNTS[0]}" in result.output
    assert "Nothing was imported" in result.output


@pytest.mark.parametrize(("tamper", "message"), [
    ("file", r"files/[0-9a-f]{64} does not match its checksum"),
    ("manifest", "manifest.json does not match its checksum"),
    ("raw bytes", "damaged|changed"),
    ("not a zip", "not a readable ZIP archive"),
])
def test_a_tampered_archive_is_refused_and_nothing_is_written(archive, fresh_app, tmp_path,
                                                              tamper, message):
    bad = tmp_path / "bad.zip"
    if tamper == "file":
        _flip_first_file_byte.done = False
        _rewritten(archive, bad, _flip_first_file_byte)
    elif tamper == "manifest":
        _rewritten(archive, bad, lambda name, data: data.replace(
            "Thanh Xuân".encode(), "Thanh Xuăn".encode(), 1) if name == "manifest.json" else data)
    elif tamper == "raw bytes":
        data = bytearray(archive.read_bytes())
        data[len(data) // 3] ^= 0xFF  # inside some file's compressed bytes
        bad.write_bytes(bytes(data))
    else:
        bad.write_bytes(b"PK\x03\x04 not really")
    app = fresh_app()
    with _nothing_changes(app), app.app_context(), \
            pytest.raises(file_format.ArchiveRefused, match=message):
        archive_restore.import_congress(bad)


def test_an_import_that_fails_while_writing_leaves_no_rows_and_no_files(
        archive, fresh_app, tmp_path):
    """Checksums that match but records that cannot be stored (two delegates with one
    number): the files already copied into the store are removed again."""
    def duplicate_number(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["delegates"][1]["number"] = manifest["delegates"][0]["number"]
        return json.dumps(manifest, ensure_ascii=False).encode()

    bad = _rewritten(archive, tmp_path / "inconsistent.zip", duplicate_number,
                     fix_checksums=True)
    app = fresh_app()
    with _nothing_changes(app), app.app_context(), \
            pytest.raises(file_format.ArchiveRefused, match="do not fit"):
        archive_restore.import_congress(bad)
    with app.app_context():
        assert [p for p in file_store().root.rglob("*") if p.is_file()] == []


def test_importing_the_same_congress_twice_is_refused(archive, target):
    with _nothing_changes(target):
        result = _cli(target, "import-congress", str(archive))
    assert result.exit_code == 1
    assert f"already has a congress with the slug “{SLUG}”" in result.output
    assert "Nothing was imported" in result.output


def test_export_writes_atomically_and_keeps_no_half_archive(source, tmp_path, monkeypatch):
    target = tmp_path / "backup.zip"
    target.write_bytes(b"previous backup")

    def broken(*args, **kwargs):
        raise file_format.ArchiveRefused("disk trouble")

    monkeypatch.setattr(archive_export, "build_manifest", broken)
    with source.app_context(), pytest.raises(file_format.ArchiveRefused):
        archive_export.export_congress(db.session.scalar(select(Congress)), target)
    assert target.read_bytes() == b"previous backup"
    assert os.listdir(tmp_path) == ["backup.zip"]


# The organiser's download ---------------------------------------------------------------


@pytest.fixture
def admin(sign_in_as, congress):
    """An admin serving every congress, signed in, reading English; the congress has an
    account of its own and a delegate with a card, whose hashes are the secrets."""
    auth = sign_in_as(Role.ADMIN, "admin")
    ward = add_user("ward-editor", Role.EDITOR, congress)
    delegate = add_delegate(congress, 12)
    auth.secrets = [ward.password_hash, delegate.token_hash, delegate.pin_hash]
    return auth


def _zip_bodies(response) -> dict[str, bytes]:
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Cache-Control"] == "no-store"
    with zipfile.ZipFile(io.BytesIO(response.data)) as zf:
        assert zf.testzip() is None
        return {name: zf.read(name) for name in zf.namelist()}


def _exports() -> list[dict]:
    db.session.expire_all()
    return [{"by": db.session.get(User, e.user_id).username, **json.loads(e.detail)}
            for e in db.session.scalars(select(AuditEvent).where(
                AuditEvent.action == "congress.export"))]


def test_an_admin_downloads_the_archive_without_secrets_from_the_backup_page(
        client, admin, make_document):
    document = make_document()
    dashboard = client.get("/organiser/").get_data(as_text=True)
    assert 'href="/organiser/export"' in dashboard
    page = client.get("/organiser/export")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'href="/organiser/export.zip"' in html and 'action="/organiser/export-full.zip"' in html
    assert "This file contains secrets: keep it as safe as the database." in html

    response = client.get("/organiser/export.zip")
    bodies = _zip_bodies(response)
    assert "filename*=UTF-8''Sao%20l%C6%B0u%20%C4%91%E1%BA%A1i%20h%E1%BB%99i%20test" in \
        response.headers["Content-Disposition"]
    manifest = json.loads(bodies["manifest.json"])
    assert manifest["full"] is False
    assert [d["code"] for d in manifest["documents"]] == [document.code]
    assert [a["username"] for a in manifest["accounts"]] == ["ward-editor"]
    for secret in admin.secrets:
        assert not any(secret.encode() in body for body in bodies.values())
    assert [e for e in manifest["audit_events"] if e["action"] == "congress.export"]
    assert _exports() == [{"by": "admin", "full": False, "via": "web"}]


def test_the_full_backup_is_an_admin_s_explicit_choice(client, admin):
    refused = admin.post("/organiser/export-full.zip")
    assert refused.status_code == 400 and refused.mimetype == "text/html"
    assert "Tick the box to confirm" in refused.get_data(as_text=True)
    assert _exports() == []

    response = admin.post("/organiser/export-full.zip", {"understood": "y"})
    bodies = _zip_bodies(response)
    assert "Sao%20l%C6%B0u%20%C4%91%E1%BA%A7y%20%C4%91%E1%BB%A7" in \
        response.headers["Content-Disposition"]
    assert json.loads(bodies["manifest.json"])["full"] is True
    for secret in admin.secrets:
        assert secret.encode() in bodies["manifest.json"]
    assert _exports() == [{"by": "admin", "full": True, "via": "web"}]


def test_a_closed_congress_can_still_be_backed_up_in_full(client, admin, congress):
    closing_service.close(congress)
    bodies = _zip_bodies(admin.post("/organiser/export-full.zip", {"understood": "y"}))
    assert json.loads(bodies["manifest.json"])["congress"]["closed_at"]


def test_an_admin_of_one_ward_backs_up_that_ward(app, client, auth, congress):
    other = Congress(slug="binh-minh-2025", title=f"Đại hội {B_MARKER}", organisation="B",
                     starts_on=date(2025, 7, 24), ends_on=date(2025, 7, 24))
    db.session.add(other)
    db.session.commit()
    add_user("admin-b", Role.ADMIN, other)
    add_user("editor-a", Role.EDITOR, congress)
    auth.login("admin-b", "pass word")
    bodies = _zip_bodies(client.get("/organiser/export.zip"))
    manifest = json.loads(bodies["manifest.json"])
    assert manifest["congress"]["slug"] == "binh-minh-2025"
    assert [a["username"] for a in manifest["accounts"]] == ["admin-b"]
    assert b"editor-a" not in bodies["manifest.json"]


@pytest.mark.parametrize("role", [Role.EDITOR, Role.CHECKIN])
def test_only_an_admin_may_export(client, auth, congress, role):
    for path in ("/organiser/export", "/organiser/export.zip"):
        anonymous = client.get(path)
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]

    add_user("staff", role)
    auth.login("staff", "pass word")
    assert client.get("/organiser/export").status_code == 403
    assert client.get("/organiser/export.zip").status_code == 403
    full = auth.post("/organiser/export-full.zip", {"understood": "y",
                                                    "csrf_token": auth.csrf_token("/")})
    assert full.status_code == 403
    if role == Role.EDITOR:
        assert "/organiser/export" not in client.get("/organiser/").get_data(as_text=True)
    assert _exports() == []
