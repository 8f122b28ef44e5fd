"""One archive per congress: export the demo congress, restore it on a fresh instance, and
refuse archives that were changed, damaged or already imported, leaving nothing behind."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import zipfile

import pytest
from flask import Flask
from sqlalchemy import func, select

from congress_app.extensions import db
from congress_app.models import (
    Absence,
    AuditEvent,
    CheckIn,
    Comment,
    CommentWindow,
    Congress,
    Delegate,
    Document,
    DocumentVersion,
    Role,
    User,
    VoteState,
)
from congress_app.services import delegates as delegate_service
from congress_app.services import search as search_service
from congress_app.services import users as user_service
from congress_app.services.archive import export as archive_export
from congress_app.services.archive import fields as archive_fields
from congress_app.services.archive import file_format
from congress_app.services.archive import restore as archive_restore
from congress_app.storage import file_store

from .archive_samples import (
    A_ACCOUNTS,
    B_ACCOUNTS,
    B_MARKER,
    B_SLUG,
    INSTANCE_ADMIN,
    PASSWORD,
    PHRASE,
    SLUG,
    _a_files,
    _cli,
    _flip_first_file_byte,
    _instance_admin,
    _members,
    _nothing_changes,
    _rewritten,
    _secrets,
    _snapshot,
    _stored_files,
)

# The journey ----------------------------------------------------------------------------


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
    assert {c["by_user_id"] for c in restored["CheckIn"]} == {A_ACCOUNTS[1]}
    assert [c["checked_out_by_user_id"] for c in restored["CheckIn"]
            if c["checked_out_by_user_id"]] == [A_ACCOUNTS[0]]
    # The votes: a named one with its choices, a secret one whose ballots hold none (its
    # counters do, apart), a show of hands with the reason its sum differs.
    votes = {v["question"]: v for v in restored["Vote"]}
    assert (votes["Thông qua Chương trình"]["state"], votes["Thông qua Chương trình"]
            ["for_count"]) == (VoteState.CLOSED, 2)
    assert votes["Thông qua Quy chế"]["mismatch_reason"] == "Một đại biểu ra ngoài khi giơ thẻ"
    secret = ("vote", "Bầu Đoàn Chủ tịch")
    assert sorted(str(b["choice"]) for b in restored["VoteBallot"] if b["vote_id"] == secret) \
        == ["None", "None"]
    assert sorted((str(c["choice"]), c["count"]) for c in restored["VoteCount"]
                  if c["vote_id"] == secret) == [("abstain", 1), ("against", 0), ("for", 1)]
    assert len({c["session_id"] for c in restored["CheckIn"]}) == 2
    assert [(a["excused"], a["note"], a["by_user_id"]) for a in restored["Absence"]] == [
        (True, "Ốm, có giấy", A_ACCOUNTS[0])]
    assert any(d["credential_version"] == 2 for d in restored["Delegate"])
    # The credentials report's details of the demo roster (an ethnic minority among them).
    assert any(d["ethnicity"] not in ("", "Kinh") and d["birth_year"] and d["theory_level"]
               for d in restored["Delegate"])
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
    assert manifest["format_version"] == file_format.FORMAT_VERSION == 3
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
            # Surrogate ids and foreign keys hold ids; a vote counter's choice, part of its
            # key, is a value.
            if (column.primary_key and column.key == "id") or column.foreign_keys:
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
    (4, "format version 4; this version of the app reads versions 2 and 3"),
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


def test_a_version_2_archive_restores_as_a_congress_without_comments(archive, fresh_app,
                                                                    tmp_path):
    """Version 2 came before comments: it has none of their keys, and is read all the same."""
    def version_2(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        for key in ("comment_windows", "comments", "comment_report_adoption"):
            del manifest[key]
        manifest["format_version"] = 2
        return json.dumps(manifest, ensure_ascii=False).encode()

    older = _rewritten(archive, tmp_path / "v2.zip", version_2, fix_checksums=True)
    app = fresh_app()
    with app.app_context():
        archive_restore.import_congress(older)
        restored = db.session.scalar(select(Congress).where(Congress.slug == SLUG))
        assert restored is not None
        assert db.session.scalar(select(func.count()).select_from(Comment)) == 0
        assert db.session.scalar(select(func.count()).select_from(CommentWindow)) == 0


def test_an_archive_from_before_attendance_per_session_restores_its_check_ins(
        archive, fresh_app, tmp_path):
    """Format 3 written before sessions had attendance: one congress-wide `checkin` per
    delegate, no absences; each check-in comes back without a session."""
    kept_checkins = 0

    def one_checkin(name: str, data: bytes) -> bytes:
        nonlocal kept_checkins
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        for delegate in manifest["delegates"]:
            checkins = delegate.pop("checkins")
            delegate.pop("absences")
            for c in checkins:
                for key in ("session", "checked_out_by", "checked_out_at"):
                    c.pop(key)
            delegate["checkin"] = checkins[0] if checkins else None
            kept_checkins += bool(checkins)
        return json.dumps(manifest, ensure_ascii=False).encode()

    older = _rewritten(archive, tmp_path / "v3-old.zip", one_checkin, fix_checksums=True)
    app = fresh_app()
    with app.app_context():
        archive_restore.import_congress(older)
        rows = db.session.execute(select(CheckIn.session_id, Delegate.number).join(Delegate)
                                  ).all()
        assert len(rows) == kept_checkins and all(r.session_id is None for r in rows)
        assert db.session.scalar(select(func.count()).select_from(Absence)) == 0


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
