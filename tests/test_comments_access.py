"""Comments are never public: anonymous visitors are sent to sign in, another delegate and
another congress's staff get nothing of a delegate's comments, and organiser-side staff
write none. The comments blueprint's routes are read from the URL map, so a route added
later is walked the day it is added."""

from __future__ import annotations

import io
import re
import uuid
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from congress_app.extensions import db
from congress_app.models import Comment, Congress, Document, Role
from congress_app.services import comments as comment_service
from congress_app.services import intake

from .conftest import add_delegate, add_user, csrf_token_from, signed_in_client
from .routes import blueprint_routes, open_route, route_path

RULES = blueprint_routes("comments")
SECRET = "Ý kiến riêng của đại biểu số 12 về đoạn 2"


@pytest.fixture
def written(congress, draft, open_comments):
    """Delegate No. 12's comment on § 2 of the open draft; the ids the routes need."""
    open_comments(draft)
    author = add_delegate(congress, number=12, full_name="Trần Văn Bình")
    comment, _new = comment_service.write_comment(
        congress, draft, author, client_id=str(uuid.uuid4()), paragraph=2,
        stance="disagree", text=SECRET)
    return {"code": draft.code, "paragraph": 2, "comment_id": comment.id,
            "document_id": draft.id, "author": author}


@pytest.fixture
def elsewhere():
    congress = Congress(slug="ben-canh", title="Đại hội Đảng bộ xã Bên Cạnh",
                        organisation="Đảng bộ xã Bên Cạnh", starts_on=date(2025, 7, 24),
                        ends_on=date(2025, 7, 24))
    db.session.add(congress)
    db.session.commit()
    return congress


def _comment_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Comment))


def _walk(client, written, token):
    """Every comments route, opened as a browser would: (method, path, response)."""
    for _endpoint, rule, method in RULES:
        path = route_path(rule, written)
        yield method, path, open_route(client, method, path, token)


def test_the_comments_blueprint_has_its_pages():
    assert {endpoint for endpoint, _, _ in RULES} == {
        "comments.write", "comments.mine", "comments.edit", "comments.withdraw"}


def test_anonymous_visitors_are_sent_to_the_delegate_sign_in_and_see_nothing(client, written):
    token = csrf_token_from(client.get("/delegate/sign-in").get_data(as_text=True))
    for method, path, response in _walk(client, written, token):
        location = urlsplit(response.headers.get("Location", ""))
        assert response.status_code == 302, (method, path, response.status_code)
        assert location.path == "/delegate/sign-in", (method, path)
        assert parse_qs(location.query)["next"] == [path]
        assert SECRET not in response.get_data(as_text=True)
    assert _comment_count() == 1


def test_another_delegate_gets_nothing_of_the_comment(congress, written, delegate_phone):
    other = delegate_phone(add_delegate(congress, number=13, full_name="Phạm Thị Dung"))
    token = csrf_token_from(other.get("/delegate/comments").get_data(as_text=True))
    statuses = {}
    for method, path, response in _walk(other, written, token):
        assert SECRET not in response.get_data(as_text=True), (method, path)
        statuses[(method, path)] = response.status_code
    comment = written["comment_id"]
    assert statuses[("GET", f"/delegate/comments/{comment}/edit")] == 404
    assert statuses[("POST", f"/delegate/comments/{comment}/edit")] == 404
    assert statuses[("GET", f"/delegate/comments/{comment}/withdraw")] == 404
    assert statuses[("POST", f"/delegate/comments/{comment}/withdraw")] == 404
    assert statuses[("GET", "/delegate/comments")] == 200
    # Nor does the reader show it: comments are never public.
    assert SECRET not in other.get(f"/d/{written['code']}?mode=text").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Comment, comment).withdrawn_at is None and _comment_count() == 1


def test_a_delegate_of_another_congress_cannot_comment(congress, written, elsewhere,
                                                       delegate_phone, pdf_bytes):
    outsider = delegate_phone(add_delegate(elsewhere, number=12, full_name="Vũ Văn Ngoài"))
    assert outsider.get(f"/d/{written['code']}/comment/2").status_code == 403
    assert SECRET not in outsider.get("/delegate/comments").get_data(as_text=True)
    assert outsider.get(f"/delegate/comments/{written['comment_id']}/edit").status_code == 404
    # A delegates-only draft of this congress does not exist for them.
    private = intake.create_document(
        congress, title="Dự thảo nội bộ", category="draft_resolution", visibility="delegates",
        upload=intake.Upload(io.BytesIO(pdf_bytes("Dự thảo nội bộ")), "noi-bo.pdf"))
    assert outsider.get(f"/d/{private.code}/comment").status_code == 404
    assert _comment_count() == 1


def test_organiser_side_accounts_write_no_comments(app, written, organiser):
    for username, role in (("editor-a", Role.EDITOR), ("door-a", Role.CHECKIN)):
        add_user(username, role)
        staff = signed_in_client(app, username)
        page = staff.get(f"/d/{written['code']}/comment/2")
        assert page.status_code == 403
        assert "Comments are written by delegates" in page.get_data(as_text=True)
        assert staff.get("/delegate/comments").status_code == 403
        assert staff.get(f"/delegate/comments/{written['comment_id']}/edit").status_code == 403
    assert _comment_count() == 1


def test_another_congress_s_organiser_cannot_open_close_or_count(app, written, elsewhere):
    add_user("editor-b", Role.EDITOR, elsewhere)
    staff = signed_in_client(app, "editor-b")
    token = csrf_token_from(staff.get("/organiser/").get_data(as_text=True))
    document = written["document_id"]
    assert staff.get(f"/organiser/documents/{document}").status_code == 404
    for action in ("open", "close"):
        response = staff.post(f"/organiser/documents/{document}/comments/{action}",
                              data={"csrf_token": token, "closes_at": "2030-01-01T10:00",
                                    "scope": "document"})
        assert response.status_code == 404, action
    assert comment_service.is_open(comment_service.window_of(db.session.get(Document,
                                                                           document)))


def test_check_in_staff_cannot_open_comments(app, written):
    add_user("door", Role.CHECKIN)
    staff = signed_in_client(app, "door")
    token = csrf_token_from(staff.get("/").get_data(as_text=True))
    for action in ("open", "close"):
        response = staff.post(f"/organiser/documents/{written['document_id']}/comments/"
                              f"{action}", data={"csrf_token": token})
        assert response.status_code == 403


def test_organisers_see_the_count_not_on_the_delegates_pages(client, written):
    html = client.get(f"/d/{written['code']}").get_data(as_text=True)
    assert not re.search(r"comments? received|ý kiến đã nhận", html)
