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
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from werkzeug.security import generate_password_hash

from congress_app import ROOT, create_app
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
from congress_app.services import archive as archive_service
from congress_app.services import delegates as delegate_service
from congress_app.services import documents as document_service
from congress_app.services import search as search_service
from congress_app.services import seed as seed_service
from congress_app.storage import file_store

from .conftest import _config, database_copy

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


@pytest.fixture(scope="module")
def source(tmp_path_factory, migrated_db, postgres) -> Iterator[Flask]:
    """The demo congress, plus what the seed lacks: a second file version shared with another
    document, a deleted document, a reissued card and a check-in by an account."""
    app = _new_app(tmp_path_factory.mktemp("source"), migrated_db, postgres)
    with app.app_context():
        seed_service.load_demo(SEEDS)
        congress = db.session.scalar(select(Congress))
        admin = db.session.scalar(select(User).where(User.username == "bantochuc"))
        first, second, third = document_service.congress_documents(congress)[:3]
        with file_store().path_for(second.current_version.sha256).open("rb") as pdf:
            document_service.replace_file(first, document_service.Upload(pdf, "bản mới.pdf"),
                                          user=admin, note="Sửa lỗi chính tả")
        document_service.delete_document(third, user=admin)
        delegates = db.session.scalars(select(Delegate).order_by(Delegate.number)).all()
        delegate_service.reissue_credentials(delegates[0], user=admin)
        delegate_service.check_in(delegates[1], user=admin)
    yield app
    _dispose(app)


@pytest.fixture(scope="module")
def archive(source, tmp_path_factory) -> Path:
    """The demo congress exported through the CLI, with accounts."""
    path = tmp_path_factory.mktemp("archive") / "đại hội.zip"
    result = _cli(source, "export-congress", "--slug", SLUG, "--with-accounts", str(path))
    assert result.exit_code == 0, result.output
    assert "MB" in result.output
    return path


@pytest.fixture(scope="module")
def target(archive, tmp_path_factory, migrated_db, postgres) -> Iterator[Flask]:
    """A fresh instance with the same secret key, where the archive was imported by the CLI."""
    app = _new_app(tmp_path_factory.mktemp("target"), migrated_db, postgres)
    result = _cli(app, "import-congress", str(archive))
    assert result.exit_code == 0, result.output
    assert "Delegate cards keep working" in result.output
    yield app
    _dispose(app)


# What an instance holds, by natural keys ------------------------------------------------


def _values(row, *skip: str) -> dict:
    """Every column except the surrogate id, the foreign keys and the ones named."""
    return {c.key: getattr(row, c.key) for c in row.__table__.columns
            if not c.primary_key and not c.foreign_keys and c.key not in skip}


def _natural_key(object_type: str, object_id: int | None):
    """What an audit event names, independent of the instance's ids (None if gone)."""
    model = {m.__name__: m for m in (Congress, CongressSession, AgendaItem, AgendaItemDocument,
                                     Document, DocumentVersion, Delegate, CheckIn, User)}
    row = db.session.get(model[object_type], object_id) if object_type in model else None
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
        case Delegate() | CheckIn():
            return ("delegate", row.number if isinstance(row, Delegate) else row.delegate.number)
        case User():
            return row.username


def _snapshot() -> dict:
    """Every row of the congress as plain values, ids replaced by natural keys."""
    congress = db.session.scalar(select(Congress).where(Congress.slug == SLUG))
    username = {u.id: u.username for u in db.session.scalars(select(User))}
    documents = db.session.scalars(select(Document).where(Document.congress_id == congress.id))
    delegates = db.session.scalars(select(Delegate).where(Delegate.congress_id == congress.id))
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action != "congress.import"))
    return {
        "congress": _values(congress),
        "sessions": [
            {**_values(s), "items": [
                {**_values(i), "documents": [(link.document.code, link.position)
                                             for link in i.document_links]}
                for i in s.items]}
            for s in congress.sessions
        ],
        "documents": {
            d.code: {**_values(d), "versions": [
                {**_values(v), "uploaded_by": username.get(v.uploaded_by_id)}
                for v in d.versions]}
            for d in documents
        },
        "delegates": {
            d.number: {**_values(d), "checkin": None if d.checkin is None else {
                **_values(d.checkin), "by": username.get(d.checkin.by_user_id)}}
            for d in delegates
        },
        "users": {u.username: _values(u) for u in db.session.scalars(select(User))},
        "audit": sorted(
            (
                {**_values(e, "object_id"), "user": username.get(e.user_id),
                 "object": _natural_key(e.object_type, e.object_id)}
                for e in events
            ),
            key=lambda e: (e["at"], e["action"], e["detail"]),
        ),
    }


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
        members[archive_service.CHECKSUMS] = "".join(
            f"{hashlib.sha256(data).hexdigest()}  {name}\n"
            for name, data in members.items() if name != archive_service.CHECKSUMS
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


def test_a_restored_congress_has_every_row_and_every_file(source, target):
    with source.app_context():
        expected, files = _snapshot(), _stored_files()
        shas = set(db.session.scalars(select(DocumentVersion.sha256)))
    with target.app_context():
        restored = _snapshot()
        for part in expected:
            assert restored[part] == expected[part], part
        restored_files = _stored_files()
        assert {k: v for k, v in restored_files.items() if not k.startswith("tmp")} == \
            {k: v for k, v in files.items() if not k.startswith("tmp")}
        assert {f"{s[:2]}/{s[2:]}" for s in shas} == set(restored_files)
        assert all(path.replace("/", "") == sha for path, sha in restored_files.items())
        # The demo has what the round trip must carry.
        assert any(len(d["versions"]) > 1 for d in restored["documents"].values())
        assert any(d["deleted_at"] for d in restored["documents"].values())
        assert any(d["checkin"] and d["checkin"]["by"] for d in restored["delegates"].values())
        assert any(d["credential_version"] == 2 for d in restored["delegates"].values())
        assert len(restored["delegates"]) >= 150 and len(restored["audit"]) > 10
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "congress.import"))
        assert json.loads(event.detail)["cards_reissued"] == 0


def test_every_member_is_listed_once_and_verifies_with_sha256sum(archive, tmp_path):
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
        zf.extractall(tmp_path)
        manifest = json.loads(zf.read("manifest.json"))
    shas = {v["sha256"] for d in manifest["documents"] for v in d["versions"]}
    assert sorted(names) == sorted(["manifest.json", "checksums.sha256",
                                    *(f"files/{s}" for s in shas)])
    assert manifest["format_version"] == archive_service.FORMAT_VERSION
    assert manifest["with_accounts"] is True and manifest["users"][0]["password_hash"]
    listed = (tmp_path / "checksums.sha256").read_text().splitlines()
    assert len(listed) == len(names) - 1
    if shutil.which("sha256sum"):
        check = subprocess.run(["sha256sum", "--strict", "-c", "checksums.sha256"],
                               cwd=tmp_path, capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    for line in listed:
        sha, name = line.split("  ")
        assert hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() == sha


def test_search_finds_a_vietnamese_phrase_in_the_restored_congress(source, target):
    def codes(app: Flask, query: str) -> list[str]:
        with app.app_context():
            congress = db.session.scalar(select(Congress).where(Congress.slug == SLUG))
            return [hit.document.code for hit in search_service.search(congress, query, None).hits]

    found = codes(target, PHRASE)
    assert found and found == codes(source, PHRASE)
    assert codes(target, "chuyen doi so") == found  # typed without diacritics


def test_printed_cards_keep_working_with_the_same_secret(source, target):
    with source.app_context():
        delegate = db.session.scalar(select(Delegate).where(Delegate.credential_version == 2))
        number = delegate.number
        token, pin = delegate_service.card_token(delegate), delegate_service.card_pin(delegate)
    with target.app_context():
        congress = db.session.scalar(select(Congress).where(Congress.slug == SLUG))
        assert delegate_service.delegate_by_token(token, congress).number == number
        assert delegate_service.check_pin(congress, number, pin).number == number


def test_another_secret_means_new_cards_and_accounts_come_without_passwords(
        source, fresh_app, tmp_path):
    path = tmp_path / "no-accounts.zip"
    with source.app_context():
        congress = db.session.scalar(select(Congress).where(Congress.slug == SLUG))
        archive_service.export_congress(congress, path)
        delegate = db.session.scalar(select(Delegate).order_by(Delegate.number).limit(1))
        old_token = delegate_service.card_token(delegate)
    with zipfile.ZipFile(path) as zf:
        assert all("password_hash" not in u for u in json.loads(zf.read("manifest.json"))["users"])

    other = fresh_app(SECRET_KEY="another-test-secret")
    result = _cli(other, "import-congress", str(path))
    assert result.exit_code == 0, result.output
    assert "WARNING" in result.output and "reprint" in result.output
    with other.app_context():
        congress = db.session.scalar(select(Congress).where(Congress.slug == SLUG))
        assert archive_service.last_import(congress)["cards_reissued"] >= 150
        assert delegate_service.delegate_by_token(old_token, congress) is None
        delegate = delegate_service.delegate_by_number(congress, delegate.number)
        new_token = delegate_service.card_token(delegate)  # a reprinted card works
        assert delegate_service.delegate_by_token(new_token, congress).id == delegate.id
        account = db.session.scalar(select(User).where(User.username == "bantochuc"))
        assert not account.active and not account.check_password(seed_service.DEMO_ORGANISER[1])


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
            pytest.raises(archive_service.ArchiveRefused, match=message):
        archive_service.import_congress(bad)


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
            pytest.raises(archive_service.ArchiveRefused, match="do not fit"):
        archive_service.import_congress(bad)
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
        raise archive_service.ArchiveRefused("disk trouble")

    monkeypatch.setattr(archive_service, "build_manifest", broken)
    with source.app_context(), pytest.raises(archive_service.ArchiveRefused):
        archive_service.export_congress(db.session.scalar(select(Congress)), target)
    assert target.read_bytes() == b"previous backup"
    assert os.listdir(tmp_path) == ["backup.zip"]


# The organiser's download ---------------------------------------------------------------


def test_the_organiser_downloads_the_archive_from_the_dashboard(
        client, signed_in, make_document, app):
    document = make_document()
    dashboard = client.get("/organiser/").get_data(as_text=True)
    assert "/organiser/export.zip" in dashboard

    response = client.get("/organiser/export.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Cache-Control"] == "no-store"
    assert "filename*=UTF-8''Sao%20l%C6%B0u%20%C4%91%E1%BA%A1i%20h%E1%BB%99i%20test" in \
        response.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.data)) as zf:
        assert zf.testzip() is None
        manifest = json.loads(zf.read("manifest.json"))
    assert [d["code"] for d in manifest["documents"]] == [document.code]
    assert all("password_hash" not in u for u in manifest["users"])
    assert [e for e in manifest["audit_events"] if e["action"] == "congress.export"]
    db.session.expire_all()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "congress.export"))
    assert db.session.get(User, event.user_id).username == "editor"


def test_the_archive_needs_an_organiser(client, auth, congress):
    anonymous = client.get("/organiser/export.zip")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]

    db.session.add(User(username="door", role=Role.CHECKIN,
                        password_hash=generate_password_hash("pass word", "pbkdf2:sha256:1")))
    db.session.commit()
    auth.login("door", "pass word")
    assert client.get("/organiser/export.zip").status_code == 403
