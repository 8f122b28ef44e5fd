"""The secretariat's triage page as a browser uses it: only the congress's admins and editors
get in, the counts and comments are shown, an answer and a merge are sent as forms, a form
from an older page is refused with 409 and changes nothing."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from congress_app.extensions import db
from congress_app.models import AuditEvent, Classification, CommentTriage, Congress, Role

from .conftest import add_user, csrf_token_from, signed_in_client
from .routes import blueprint_routes, route_path, routes_not_refused, routes_not_sending_to_sign_in
from .triage_fixtures import REASON, WITHDRAWN_TEXT

ROUTES = blueprint_routes("comment_triage")


def _token(client, comment_id: int) -> str:
    page = client.get("/organiser/comments/").get_data(as_text=True)
    match = re.search(rf'name="c{comment_id}-csrf_token"[^>]*value="([^"]+)"', page)
    assert match, f"no form of comment {comment_id} on the page"
    return match.group(1)


def shown_count(page: str, name: str) -> str:
    """The count the page shows under data-count="name" (what triage.js redraws)."""
    match = re.search(rf'data-count="{name}">([^<]*)<', page)
    assert match, f"no count {name} on the page"
    return match.group(1)


def _version(client, comment_id: int) -> str:
    page = client.get("/organiser/comments/").get_data(as_text=True)
    return re.search(rf'name="c{comment_id}-edit_version"[^>]*value="(\d+)"', page).group(1)


def _classify(client, comment, classification, response="", version=None):
    prefix = f"c{comment.id}"
    return client.post(f"/organiser/comments/{comment.id}/classify", data={
        f"{prefix}-csrf_token": _token(client, comment.id),
        f"{prefix}-classification": classification, f"{prefix}-response": response,
        f"{prefix}-edit_version": version if version is not None else _version(client,
                                                                                comment.id)})


@pytest.fixture
def secretary(app, congress, commented):
    add_user("thu-ky", Role.EDITOR, congress)
    return signed_in_client(app, "thu-ky")


def test_the_routes_are_for_the_congress_s_organisers_only(app, client, congress, commented,
                                                           delegate_phone):
    assert {endpoint for endpoint, *_ in ROUTES} >= {
        "comment_triage.index", "comment_triage.classify", "comment_triage.duplicate",
        "comment_triage.separate", "comment_triage.report_pdf", "comment_triage.report_csv",
        "comment_triage.report_xlsx", "comment_triage.higher_level_json",
        "comment_triage.higher_level_csv", "comment_triage.adopt"}
    ids = {"comment_id": commented.wording.id}
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    assert routes_not_sending_to_sign_in(client, ROUTES, ids, token) == []
    phone = delegate_phone(commented.authors[0])
    token = csrf_token_from(phone.get("/delegate/comments").get_data(as_text=True))
    assert routes_not_refused(phone, ROUTES, ids, token) == []
    add_user("cua", Role.CHECKIN, congress)
    door = signed_in_client(app, "cua")
    token = csrf_token_from(door.get("/checkin/").get_data(as_text=True))
    assert routes_not_refused(door, ROUTES, ids, token) == []
    assert db.session.scalar(select(func.count()).select_from(CommentTriage)) == 0


def test_another_congress_s_organiser_sees_nothing_of_this_one(app, congress, commented):
    other = Congress(slug="ben-canh", title="Đại hội Đảng bộ xã Bên Cạnh",
                     organisation="Đảng bộ xã Bên Cạnh", starts_on=date(2025, 7, 24),
                     ends_on=date(2025, 7, 24))
    db.session.add(other)
    db.session.commit()
    add_user("editor-b", Role.EDITOR, other)
    client = signed_in_client(app, "editor-b")
    for path in ("/organiser/comments/", "/organiser/comments/report.csv",
                 "/organiser/comments/higher-level.json", "/organiser/comments/report.pdf"):
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.get_data()
        assert REASON.encode() not in body and commented.draft.code.encode() not in body, path
    token = csrf_token_from(client.get("/organiser/").get_data(as_text=True))
    for action in ("classify", "duplicate", "separate"):
        assert client.post(f"/organiser/comments/{commented.wording.id}/{action}",
                           data={"csrf_token": token}).status_code == 404, action


def test_the_page_shows_counts_comments_and_the_withdrawn_apart(secretary, commented):
    page = secretary.get("/organiser/comments/").get_data(as_text=True)
    assert shown_count(page, "total") == "4 comments"
    assert "Disagree <strong" in page and shown_count(page, "stance-disagree") == "2"
    assert "Not answered yet <strong" in page and shown_count(page, "answer-none") == "4"
    assert REASON in page and "Delegate No. 21, Lê Thị Thu Hà" in page
    withdrawn = page.index("Withdrawn by their authors")
    assert page.index(f'id="comment-{commented.wording.id}"') < withdrawn
    assert f'name="c{commented.withdrawn.id}-csrf_token"' not in page
    # The proposed wording is shown as a diff against the paragraph.
    assert "<ins>mạnh</ins>" in page
    assert "<ins>và cung cấp dịch vụ công</ins>" in page
    filtered = secretary.get("/organiser/comments/?stance=agree").get_data(as_text=True)
    assert f'id="comment-{commented.agree.id}"' in filtered
    assert f'id="comment-{commented.wording.id}"' not in filtered
    assert secretary.get("/organiser/comments/?document=abc&state=x&stance=y").status_code == 200
    assert WITHDRAWN_TEXT not in page  # listed by number, its text not shown


def test_an_answer_sent_from_the_page_is_saved_and_counted(secretary, commented):
    response = _classify(secretary, commented.wording, "explained", "Đã có ở Mục III.")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"#comment-{commented.wording.id}")
    page = secretary.get("/organiser/comments/").get_data(as_text=True)
    assert shown_count(page, "answer-explained") == "1" and "Đã có ở Mục III." in page
    # A refused answer comes back on its field, nothing saved.
    response = _classify(secretary, commented.agree, "not_accepted", "")
    assert response.status_code == 400
    assert "Write the response" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CommentTriage)) == 1


def test_two_secretaries_the_older_page_gets_409_and_nothing_changes(app, secretary,
                                                                     congress, commented):
    add_user("thu-ky-2", Role.ADMIN, congress)
    other = signed_in_client(app, "thu-ky-2")
    old_version = _version(other, commented.wording.id)  # both load the page
    assert _classify(secretary, commented.wording, "accepted", version=old_version
                     ).status_code == 302
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    response = _classify(other, commented.wording, "not_accepted", "Không.",
                         version=old_version)
    assert response.status_code == 409
    assert "Someone else changed this" in response.get_data(as_text=True)
    db.session.expire_all()
    row = db.session.scalar(select(CommentTriage))
    assert row.classification == Classification.ACCEPTED
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events


def test_a_merge_from_the_page_shows_the_duplicate_with_its_original(secretary, commented):
    prefix = f"c{commented.same.id}"
    response = secretary.post(f"/organiser/comments/{commented.same.id}/duplicate", data={
        f"{prefix}-csrf_token": _token(secretary, commented.same.id),
        f"{prefix}-original": f"#{commented.wording.id}", f"{prefix}-edit_version": "0"})
    assert response.status_code == 302
    page = secretary.get("/organiser/comments/").get_data(as_text=True)
    assert "Counted with it: 1 duplicate" in page and "Comments: 2" in page
    original = page.index(f'id="comment-{commented.wording.id}"')
    assert original < page.index(f'id="comment-{commented.same.id}"')
    # A merge into a comment of nothing: refused on the field.
    response = secretary.post(f"/organiser/comments/{commented.agree.id}/duplicate", data={
        f"c{commented.agree.id}-csrf_token": _token(secretary, commented.agree.id),
        f"c{commented.agree.id}-original": "987654",
        f"c{commented.agree.id}-edit_version": "0"})
    assert response.status_code == 400
    assert "There is no comment with this number" in response.get_data(as_text=True)
    # Separated again from the page.
    response = secretary.post(f"/organiser/comments/{commented.same.id}/separate", data={
        f"{prefix}-csrf_token": _token(secretary, commented.same.id),
        f"{prefix}-edit_version": _version(secretary, commented.same.id)})
    assert response.status_code == 302
    assert "Counted with it" not in secretary.get("/organiser/comments/").get_data(as_text=True)


def test_every_route_answers_a_signed_in_organiser(secretary, commented):
    for endpoint, rule, method in ROUTES:
        if method != "GET":
            continue
        path = route_path(rule, {"comment_id": commented.wording.id})
        assert secretary.get(path).status_code == 200, endpoint
