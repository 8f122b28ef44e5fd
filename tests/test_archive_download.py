"""The organiser's download of a congress archive: admins choose between the archive without
secrets and the full backup, for their own ward only; other roles may not export."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date

import pytest
from sqlalchemy import select

from congress_app.extensions import db
from congress_app.models import (
    AuditEvent,
    Congress,
    Role,
    User,
)
from congress_app.services import closing as closing_service

from .archive_samples import B_MARKER
from .conftest import add_delegate, add_user

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
