"""The audit log: every organiser action leaves a row, and only admins may read the log."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

import pytest
from sqlalchemy import select

from congress_app.extensions import db
from congress_app.models import AuditEvent, Delegate, Role, User
from congress_app.services import audit as audit_service
from congress_app.services import delegates as delegate_service

from .conftest import add_user
from .routes import blueprint_routes, open_route

RULES = blueprint_routes("audit")


@pytest.fixture
def admin(sign_in_as, congress):
    """An admin signed in through the login form, reading English."""
    return sign_in_as(Role.ADMIN, "admin")


def _events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _event(at: datetime, action: str, user: User | None = None, **detail) -> AuditEvent:
    event = audit_service.record(user, action, None, **detail)
    event.at = at
    db.session.commit()
    return event


# Who may read it ---------------------------------------------------------------------


def test_the_audit_blueprint_has_its_pages():
    assert {e for e, _, _ in RULES} == {"audit.index", "audit.export_csv"}


def test_anonymous_visitors_are_sent_to_sign_in(client, congress):
    for _endpoint, rule, method in RULES:
        response = open_route(client, method, rule, None)
        assert response.status_code == 302, rule
        assert urlsplit(response.headers["Location"]).path == "/login"


@pytest.mark.parametrize("role", [Role.EDITOR, Role.CHECKIN])
def test_editors_and_check_in_staff_are_refused(client, auth, congress, role):
    add_user("someone", role)
    auth.login("someone", "pass word")
    for _endpoint, rule, method in RULES:
        assert open_route(client, method, rule, None).status_code == 403, rule
    assert "/organiser/audit" not in client.get("/organiser/").get_data(as_text=True)


def test_admins_read_the_log_from_the_navigation(client, admin):
    assert 'href="/organiser/audit"' in client.get("/organiser/").get_data(as_text=True)
    for _endpoint, rule, method in RULES:
        assert open_route(client, method, rule, None).status_code == 200, rule


# Every organiser action leaves a row -------------------------------------------------


def test_document_upload_replace_visibility_and_delete_are_recorded(client, admin, pdf_bytes):
    response = admin.post("/organiser/documents/new", {
        "title": "Báo cáo chính trị", "category": "political_report", "visibility": "public",
        "published": "y", "file": (io.BytesIO(pdf_bytes("Báo cáo")), "Báo cáo.pdf"),
    }, content_type="multipart/form-data")
    assert response.status_code == 302
    document_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert [e.object_id for e in _events("document.create")] == [document_id]

    assert admin.post(f"/organiser/documents/{document_id}/replace", {
        "file": (io.BytesIO(pdf_bytes("Báo cáo sửa")), "Báo cáo sửa.pdf"), "note": "",
    }, content_type="multipart/form-data").status_code == 302
    assert audit_service.details(_events("document.replace")[0]) == {"version": 2}

    assert admin.post(f"/organiser/documents/{document_id}/edit", {
        "title": "Báo cáo chính trị", "category": "political_report",
        "visibility": "delegates", "published": "y",
    }).status_code == 302
    assert admin.post(f"/organiser/documents/{document_id}/unpublish").status_code == 302
    changes = [audit_service.details(e) for e in _events("document.update")]
    assert [(c["visibility"], c["published"]) for c in changes] == [
        ("delegates", True), ("delegates", False)]

    assert admin.post(f"/organiser/documents/{document_id}/delete").status_code == 302
    deleted = _events("document.delete")
    assert len(deleted) == 1 and deleted[0].user.username == "admin"


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html)
    assert match, f"no hidden {name} on the page"
    return match.group(1)


def test_a_roster_import_a_card_reissue_and_a_check_in_are_recorded(client, admin, congress):
    roster = ("\ufeffSTT;Họ và tên;Đơn vị\r\n"
              "1;Nguyễn Văn An;Chi bộ 1\r\n2;Trần Thị Bình;Chi bộ 2\r\n")
    preview = admin.post("/organiser/delegates/import", {
        "file": (io.BytesIO(roster.encode()), "danh sách.csv")},
        content_type="multipart/form-data", follow_redirects=True)  # to the preview's page
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert admin.post("/organiser/delegates/import/confirm", {
        "token": _hidden(html, "token"), "plan": _hidden(html, "plan"),
    }).status_code == 302
    (imported,) = _events("roster.import")
    assert audit_service.details(imported)["added"] == [1, 2]

    delegate = db.session.scalar(select(Delegate).where(Delegate.number == 2))
    assert admin.post(f"/organiser/delegates/{delegate.id}/reissue").status_code == 302
    (reissued,) = _events("delegate.reissue")
    assert (reissued.object_type, reissued.object_id) == ("Delegate", delegate.id)

    token = delegate_service.card_token(db.session.get(Delegate, delegate.id))
    response = client.post("/checkin/scan", json={"token": token},
                           headers={"X-CSRFToken": admin.csrf_token("/checkin/")})
    assert response.status_code == 200 and response.get_json()["status"] == "created"
    (checked_in,) = _events("delegate.checkin")
    assert checked_in.object_id == delegate.id and checked_in.user.username == "admin"


# The page: filters, labels, links ----------------------------------------------------


def test_the_log_is_newest_first_and_paginated_by_fifty(client, admin):
    for n in range(60):
        _event(datetime(2025, 7, 22, 1, n % 60, tzinfo=UTC), "stage.clear", n=n)
    first = client.get("/organiser/audit?action=stage.clear").get_data(as_text=True)
    assert first.count("n: 59") == 1 and "n: 10" in first and "n: 9<" not in first
    assert first.index("n: 59") < first.index("n: 58")
    second = client.get("/organiser/audit?action=stage.clear&page=2").get_data(as_text=True)
    assert "n: 9<" in second and "n: 0<" in second and "n: 10<" not in second


def test_filters_by_action_account_day_and_text(client, admin, organiser):
    admin_user = db.session.scalar(select(User).where(User.username == "admin"))
    # 23:30 UTC on 21 July is 06:30 on 22 July in Hanoi: it belongs to the 22nd.
    _event(datetime(2025, 7, 21, 23, 30, tzinfo=UTC), "document.create", admin_user,
           title="Dự thảo Nghị quyết")
    _event(datetime(2025, 7, 23, 2, 0, tzinfo=UTC), "document.delete", admin_user,
           code="ABC234")
    _event(datetime(2025, 7, 22, 3, 0, tzinfo=UTC), "auth.login_failed", None,
           username="khach")
    _event(datetime(2025, 7, 22, 4, 0, tzinfo=UTC), "something.new", organiser)

    def shown(query: str) -> str:
        response = client.get(f"/organiser/audit?{query}")
        assert response.status_code == 200
        return response.get_data(as_text=True)

    page = shown("since=2025-07-22&until=2025-07-22")
    assert "Dự thảo Nghị quyết" in page and "ABC234" not in page
    page = shown("account=system")
    assert "khach" in page and "Dự thảo" not in page
    page = shown(f"account={admin_user.id}&action=document.delete")
    assert "ABC234" in page and "Dự thảo" not in page and "Document deleted" in page
    page = shown("q=nghị quyết")
    assert "Dự thảo Nghị quyết" in page and "ABC234" not in page
    page = shown("q=100%25")
    assert "Dự thảo" not in page and "ABC234" not in page
    # An action without a label is shown as stored; the select lists every action present.
    page = shown("action=something.new")
    assert "<td>something.new</td>" in page
    assert '<option value="auth.login_failed">Failed sign-in</option>' in page


def test_a_bad_date_is_a_400_with_a_message(client, admin):
    response = client.get("/organiser/audit?since=22/7/2025")
    assert response.status_code == 400
    assert "is not a date" in response.get_data(as_text=True)
    assert client.get("/organiser/audit.csv?until=yesterday").status_code == 400


def test_objects_are_linked_while_they_exist(client, admin, make_document):
    document = make_document(title="Báo cáo kiểm điểm")
    admin_user = db.session.scalar(select(User).where(User.username == "admin"))
    audit_service.record(admin_user, "document.update", document, title=document.title)
    gone = audit_service.record(admin_user, "item.delete", None, title="Bế mạc")
    gone.object_type, gone.object_id = "AgendaItem", 9999
    db.session.commit()
    page = client.get("/organiser/audit").get_data(as_text=True)
    assert (f'<a href="/organiser/documents/{document.id}">{document.code} · '
            "Báo cáo kiểm điểm</a>") in page
    assert "<td>AgendaItem #9999</td>" in page


# The CSV -----------------------------------------------------------------------------


def test_the_csv_has_a_bom_a_vietnamese_name_and_the_same_filters(client, admin):
    admin_user = db.session.scalar(select(User).where(User.username == "admin"))
    _event(datetime(2025, 7, 22, 1, 0, tzinfo=UTC), "document.create", admin_user,
           title="Báo cáo chính trị")
    _event(datetime(2025, 7, 22, 2, 0, tzinfo=UTC), "auth.login_failed", None,
           username="=HYPERLINK(\"http://evil\")")
    response = client.get("/organiser/audit.csv?action=document.create")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    name = unquote(disposition.split("filename*=UTF-8''", 1)[1])
    assert name.startswith("Nhật ký hoạt động test ") and name.endswith(".csv")
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["Time", "Account", "Action", "Action code", "Object", "Object id",
                       "Details", "Details (data)"]
    assert rows[1:] == [["2025-07-22 08:00:00", "admin", "Document uploaded",
                         "document.create", "", "",
                         "Uploaded the document — “Báo cáo chính trị”",
                         '{"title": "Báo cáo chính trị"}']]

    everything = client.get("/organiser/audit.csv?action=auth.login_failed").get_data()
    (failed,) = list(csv.reader(io.StringIO(everything.decode("utf-8-sig"))))[1:]
    assert failed[1] == "system" and "HYPERLINK" in failed[6]
    assert _events("audit.export")[0].user.username == "admin"


def test_a_cell_starting_like_a_formula_is_neutralised(client, admin):
    _event(datetime(2025, 7, 22, 2, 0, tzinfo=UTC), "=cmd", None)
    body = client.get("/organiser/audit.csv?action==cmd").get_data().decode("utf-8-sig")
    (row,) = list(csv.reader(io.StringIO(body)))[1:]
    assert row[2] == "'=cmd" and row[3] == "'=cmd"
