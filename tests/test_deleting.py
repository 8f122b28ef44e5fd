"""Admins delete a congress (typed confirmation, the archive offered first), a delegate who
was never checked in, and reset the demo congress."""

from __future__ import annotations

import io
import shutil
from datetime import date, time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

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
from congress_app.services import deletion as deletion_service
from congress_app.services import documents as document_service
from congress_app.services import intake
from congress_app.services import seed as seed_service
from congress_app.services.page_images import pages_root
from congress_app.storage import file_store

from .conftest import (
    FAST_HASH,
    PASSWORD,
    add_delegate,
    add_user,
    csrf_token_from,
    signed_in_client,
)


def _post(client, path: str, **data):
    """POST a form read off its own page (its CSRF token), as the browser sends it."""
    page = client.get(path)
    token = csrf_token_from(page.get_data(as_text=True)) if page.status_code == 200 else \
        csrf_token_from(client.get("/organiser/").get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def wards(app, client, congress, make_document, pdf_bytes):
    """Congress A (`congress`, slug "test") and B: a file both upload, a file only A has,
    A's delegates (one checked in), an account tied to each, and page images of both files."""
    shared_pdf = pdf_bytes("Hướng dẫn chung của thành phố")
    shared_a = make_document(title="Hướng dẫn chung", pdf=shared_pdf)
    own_a = make_document(title="Báo cáo riêng của phường A")
    item = congress.sessions[0].items[0]
    db.session.add(AgendaItemDocument(item=item, document=own_a, position=1))
    db.session.commit()
    checked_in = add_delegate(congress, number=1, full_name="Nguyễn Văn Đã Đến")
    add_delegate(congress, number=2, full_name="Trần Thị Chưa Đến")
    attendance_service.check_in(checked_in)

    b = Congress(slug="phuong-b-2025", title="Đại hội Đảng bộ phường B lần thứ I",
                 organisation="Đảng bộ phường B", starts_on=date(2025, 7, 24),
                 ends_on=date(2025, 7, 24))
    session = CongressSession(congress=b, name="Phiên B", date=date(2025, 7, 24),
                              starts_at=time(8, 0), position=1)
    session.items = [AgendaItem(position=1, starts_at=time(8, 0), title="Khai mạc B")]
    db.session.add_all([b, session])
    db.session.commit()
    shared_b = intake.create_document(
        b, title="Hướng dẫn chung (B)", category="other",
        upload=intake.Upload(io.BytesIO(shared_pdf), "huong-dan.pdf"))
    b_delegate = add_delegate(b, number=1, full_name="Lê Văn Phường B")
    tied_a = add_user("thu-ky-a", Role.EDITOR, congress)
    add_user("thu-ky-b", Role.EDITOR, b)
    add_user("quan-tri", Role.ADMIN, None)
    for version in (shared_a.current_version, own_a.current_version):
        (pages_root() / version.sha256 / "480").mkdir(parents=True, exist_ok=True)
    return {"a": congress, "b": b, "shared_sha": shared_a.current_version.sha256,
            "own_sha": own_a.current_version.sha256, "shared_b": shared_b,
            "b_delegate": b_delegate, "checked_in": checked_in, "tied_a": tied_a}


def _b_state(wards) -> tuple:
    b = wards["b"].id
    return (_count(Document, Document.congress_id == b),
            _count(Delegate, Delegate.congress_id == b),
            _count(CongressSession, CongressSession.congress_id == b),
            _count(AuditEvent, AuditEvent.congress_id == b),
            _count(User, User.congress_id == b))


# Deleting a congress ------------------------------------------------------------------------


def test_the_confirmation_page_offers_the_archive_first(app, wards):
    admin = signed_in_client(app, "quan-tri")
    page = admin.get(f"/organiser/congresses/{wards['a'].id}/delete")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'href="/organiser/export.zip"' in html  # A is the congress being worked on
    assert "thu-ky-a" in html and "thu-ky-b" not in html  # the accounts that go
    assert "Documents: 2, with 2 file versions" in html
    assert "Sessions: 1; agenda items: 2." in html
    assert "Delegates: 2; check-ins: 1." in html
    other = admin.get(f"/organiser/congresses/{wards['b'].id}/delete").get_data(as_text=True)
    assert "Work on this congress to download its archive" in other
    assert f'action="/organiser/congresses/{wards["b"].id}/choose"' in other
    switched = admin.post(f"/organiser/congresses/{wards['b'].id}/choose",
                          data={"csrf_token": csrf_token_from(other), "then": "delete"})
    assert switched.headers["Location"] == f"/organiser/congresses/{wards['b'].id}/delete"
    now = admin.get(switched.headers["Location"]).get_data(as_text=True)
    assert 'href="/organiser/export.zip"' in now


@pytest.mark.parametrize("typed", ["", "tes", "TEST", "Đại hội", "phuong-b-2025"])
def test_a_wrong_confirmation_deletes_nothing(app, wards, typed):
    admin = signed_in_client(app, "quan-tri")
    before = (_count(Congress), _count(Document), _count(DocumentVersion), _count(Delegate),
              _count(User), _count(AgendaItem), _count(CheckIn))
    response = _post(admin, f"/organiser/congresses/{wards['a'].id}/delete", confirmation=typed)
    assert response.status_code == 400
    db.session.expire_all()
    assert (_count(Congress), _count(Document), _count(DocumentVersion), _count(Delegate),
            _count(User), _count(AgendaItem), _count(CheckIn)) == before
    assert file_store().exists(wards["own_sha"])


@pytest.mark.parametrize("typed", ["test", "  test  ", "title"])
def test_deleting_a_congress_removes_all_of_it_and_nothing_of_the_other(app, wards, typed):
    a_id, store = wards["a"].id, file_store()
    if typed == "title":
        typed = wards["a"].title
    b_before = _b_state(wards)
    admin = signed_in_client(app, "quan-tri")
    response = _post(admin, f"/organiser/congresses/{a_id}/delete", confirmation=typed)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert "has been deleted" in admin.get(response.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()

    assert db.session.get(Congress, a_id) is None
    for model, column in ((Document, Document.congress_id), (Delegate, Delegate.congress_id),
                          (CheckIn, CheckIn.congress_id), (AuditEvent, AuditEvent.congress_id),
                          (CongressSession, CongressSession.congress_id),
                          (User, User.congress_id)):
        assert _count(model, column == a_id) == 0, model
    assert _count(AgendaItemDocument) == 0 and _count(AgendaItem) == 1  # B's item stays
    assert _count(DocumentVersion) == 1
    # The file B also uses stays, with its page images; A's own file goes with them.
    assert store.exists(wards["shared_sha"]) and not store.exists(wards["own_sha"])
    assert (pages_root() / wards["shared_sha"]).is_dir()
    assert not (pages_root() / wards["own_sha"]).exists()
    assert _b_state(wards) == b_before
    assert db.session.scalar(select(User).where(User.username == "thu-ky-a")) is None
    shared_b = db.session.get(Document, wards["shared_b"].id)
    assert admin.get(f"/d/{shared_b.code}").status_code == 200

    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == deletion_service.DELETE_ACTION))
    assert event.congress_id is None and event.object_id is None
    assert event.user.username == "quan-tri"
    details = deletion_service.audit.details(event)
    assert details["slug"] == "test" and details["accounts_deleted"] == ["thu-ky-a"]
    assert details["congress_id"] == a_id
    assert details["documents"] == 2 and details["delegates"] == 2
    log = admin.get("/organiser/audit").get_data(as_text=True)
    assert "Congress deleted" in log


def test_a_closed_congress_is_not_deleted(app, wards):
    closing_service.close(wards["a"])
    admin = signed_in_client(app, "quan-tri")
    page = admin.get(f"/organiser/congresses/{wards['a'].id}/delete")
    assert "reopen it first" in page.get_data(as_text=True)
    response = _post(admin, f"/organiser/congresses/{wards['a'].id}/delete",
                     confirmation="test")
    assert response.status_code == 423
    db.session.expire_all()
    assert db.session.get(Congress, wards["a"].id) is not None
    assert _count(Document, Document.congress_id == wards["a"].id) == 2
    # Another, open congress may be deleted while the one being worked on is closed.
    assert _post(admin, f"/organiser/congresses/{wards['b'].id}/delete",
                 confirmation="phuong-b-2025").status_code == 302


def test_only_an_admin_of_every_congress_deletes_a_congress(app, wards):
    path = f"/organiser/congresses/{wards['a'].id}/delete"
    editor = signed_in_client(app, "thu-ky-a")
    assert editor.get(path).status_code == 403
    assert _post(editor, path, confirmation="test").status_code == 403
    add_user("quan-tri-b", Role.ADMIN, wards["b"])
    admin_b = signed_in_client(app, "quan-tri-b")
    assert admin_b.get(path).status_code == 404
    assert _post(admin_b, path, confirmation="test").status_code == 404
    add_user("quan-tri-a", Role.ADMIN, wards["a"])
    admin_a = signed_in_client(app, "quan-tri-a")
    assert admin_a.get(path).status_code == 403  # their own account would go with it
    assert _post(admin_a, path, confirmation="test").status_code == 403
    anonymous = app.test_client()
    assert anonymous.get(path).headers["Location"].startswith("/login")
    db.session.expire_all()
    assert db.session.get(Congress, wards["a"].id) is not None


def test_the_last_congress_deleted_leaves_a_fresh_instance(app, congress, organiser, auth,
                                                           client):
    client.set_cookie("lang", "en")
    auth.login()
    response = auth.post(f"/organiser/congresses/{congress.id}/delete",
                         {"confirmation": "test"})
    assert response.headers["Location"] == "/organiser/"
    assert _count(Congress) == 0
    assert "There is no congress yet" in client.get("/organiser/").get_data(as_text=True)


def test_every_table_of_a_congress_is_deleted_with_it(app):
    """A new table that refers to a congress (or to its rows) must be added to the deletion:
    otherwise deleting a congress fails on PostgreSQL or leaves rows behind."""
    handled = set(deletion_service.CONGRESS_TABLES)
    account_columns = {(model.__tablename__, column.key)
                       for model, column in deletion_service.ACCOUNT_REFERENCES}
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            target = fk.column.table.name
            if target == "users":
                assert (table.name, fk.parent.name) in account_columns | {
                    ("users", "id")}, f"{table.name}.{fk.parent.name} names an account"
            elif target in handled:
                assert table.name in handled, f"{table.name} refers to {target}"


# Deleting a delegate ------------------------------------------------------------------------


def test_an_admin_deletes_a_delegate_who_was_never_checked_in(app, wards):
    admin = signed_in_client(app, "quan-tri")
    never = db.session.scalar(select(Delegate).where(Delegate.number == 2,
                                                     Delegate.congress_id == wards["a"].id))
    never_id = never.id
    page = admin.get(f"/organiser/delegates/{never_id}").get_data(as_text=True)
    assert f'href="/organiser/delegates/{never_id}/delete"' in page
    response = _post(admin, f"/organiser/delegates/{never_id}/delete")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Delegate, never_id) is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "delegate.delete"))
    assert event.congress_id == wards["a"].id and event.user.username == "quan-tri"
    assert "Trần Thị Chưa Đến" in event.detail
    # No event names the row any more: a delegate added later may be given its id.
    assert _count(AuditEvent, AuditEvent.object_type == "Delegate",
                  AuditEvent.object_id == never_id) == 0
    assert "Delegate deleted" in admin.get("/organiser/audit").get_data(as_text=True)


def test_a_checked_in_delegate_is_not_deleted(app, wards):
    admin = signed_in_client(app, "quan-tri")
    delegate_id = wards["checked_in"].id
    page = admin.get(f"/organiser/delegates/{delegate_id}").get_data(as_text=True)
    assert f"/organiser/delegates/{delegate_id}/delete" not in page
    assert admin.get(f"/organiser/delegates/{delegate_id}/delete").status_code == 409
    response = admin.post(f"/organiser/delegates/{delegate_id}/delete", data={
        "csrf_token": csrf_token_from(page)})
    assert response.status_code == 409
    assert "has been checked in" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Delegate, delegate_id) is not None
    assert _count(AuditEvent, AuditEvent.action == "delegate.delete") == 0


def test_deleting_a_delegate_is_for_admins_of_its_congress(app, wards):
    never = db.session.scalar(select(Delegate).where(Delegate.number == 2,
                                                     Delegate.congress_id == wards["a"].id))
    editor = signed_in_client(app, "thu-ky-a")
    assert editor.get(f"/organiser/delegates/{never.id}/delete").status_code == 403
    assert _post(editor, f"/organiser/delegates/{never.id}/delete").status_code == 403
    add_user("quan-tri-b", Role.ADMIN, wards["b"])
    admin_b = signed_in_client(app, "quan-tri-b")
    assert _post(admin_b, f"/organiser/delegates/{never.id}/delete").status_code == 404
    db.session.expire_all()
    assert db.session.get(Delegate, never.id) is not None


# Resetting the demo -------------------------------------------------------------------------


@pytest.fixture
def small_demo(app, client, tmp_path) -> Path:
    """The demo with only its first document (each takes a while to render) and its roster."""
    real = (ROOT / "seeds" / "congress.toml").read_text(encoding="utf-8")
    start = real.index("[[documents]]")
    first = real[start:real.index("[[documents]]", start + 1)]
    congress_only = real[:start]
    (tmp_path / "seeds" / "documents").mkdir(parents=True)
    (tmp_path / "seeds" / "congress.toml").write_text(
        "sessions = []\n" + congress_only + first, encoding="utf-8")
    for name in ("documents/chuong-trinh-dai-hoi.md", "delegates.csv"):
        shutil.copy(ROOT / "seeds" / name, tmp_path / "seeds" / name)
    app.config["DEMO_SEEDS"] = str(tmp_path / "seeds")
    return tmp_path / "seeds"


def test_resetting_the_demo_loads_it_again_and_leaves_the_rest(app, small_demo, pdf_bytes):
    seed_service.load_demo(small_demo)
    demo = seed_service.demo_congress(small_demo)
    own = Congress(slug="phuong-rieng-2025", title="Đại hội của phường", organisation="Phường",
                   starts_on=date(2025, 8, 1), ends_on=date(2025, 8, 1))
    db.session.add(own)
    db.session.commit()
    intake.create_document(
        demo, title="Tài liệu thử thêm", category="other",
        upload=intake.Upload(io.BytesIO(pdf_bytes("thử")), "thu.pdf"))
    db.session.delete(db.session.scalar(select(Delegate).where(Delegate.number == 1)))
    db.session.commit()
    demo_organiser = db.session.scalar(select(User).where(User.username == "bantochuc"))
    demo_organiser.password_hash = generate_password_hash(PASSWORD, FAST_HASH)
    db.session.commit()
    old_id, code = demo.id, demo.slug

    admin = signed_in_client(app, "bantochuc")
    listing = admin.get("/organiser/congresses/").get_data(as_text=True)
    assert 'href="/organiser/congresses/demo/reset"' in listing
    assert _post(admin, "/organiser/congresses/demo/reset",
                 confirmation="wrong").status_code == 400
    assert _count(Document) == 2
    response = _post(admin, "/organiser/congresses/demo/reset", confirmation=code)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()

    again = seed_service.demo_congress(small_demo)
    assert again is not None and again.id != old_id
    assert [d.code for d in document_service.congress_documents(again)] == ["W2QQRG"]
    assert _count(Delegate, Delegate.congress_id == again.id) == 180
    assert db.session.get(Congress, own.id) is not None
    assert db.session.scalar(select(User).where(User.username == "bantochuc")).check_password(
        "pass word")  # accounts serving every congress are left alone
    assert _count(AuditEvent, AuditEvent.action == seed_service.RESET_ACTION,
                  AuditEvent.congress_id == again.id) == 1
    assert admin.get("/d/W2QQRG").status_code == 200


def test_the_reset_is_only_offered_while_the_demo_is_there(app, small_demo, wards):
    admin = signed_in_client(app, "quan-tri")
    assert "demo/reset" not in admin.get("/organiser/congresses/").get_data(as_text=True)
    assert admin.get("/organiser/congresses/demo/reset").status_code == 404
    editor = signed_in_client(app, "thu-ky-a")
    assert editor.get("/organiser/congresses/demo/reset").status_code == 403
    # A congress that only shares the demo's slug is not the demo.
    wards["b"].slug = "thanh-xuan-2025"
    db.session.commit()
    assert seed_service.demo_congress(small_demo) is None
