"""Closing a congress makes the organiser side read-only; a purge then drops personal data."""

from __future__ import annotations

import io
import json
import uuid
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from congress_app import create_app
from congress_app.extensions import db
from congress_app.models import (
    AuditEvent,
    CheckIn,
    Comment,
    Congress,
    Delegate,
    DelegateKind,
    Role,
    Stance,
)
from congress_app.services import agenda as agenda_service
from congress_app.services import attendance as attendance_service
from congress_app.services import closing as closing_service
from congress_app.services import delegates as delegate_service
from congress_app.services import votes as vote_service
from congress_app.services.errors import InputRefused
from congress_app.web.closing import ALLOWED_WHEN_CLOSED, ORGANISER_BLUEPRINTS

from .conftest import add_delegate, add_user
from .routes import blueprint_routes, open_route, route_path

CLOSING_RULES = blueprint_routes("closing")


def _organiser_side_blueprints() -> set[str]:
    """Every blueprint with a route under /organiser or /checkin, read from the URL map."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return {rule.endpoint.split(".")[0] for rule in app.url_map.iter_rules()
            if rule.rule.startswith(("/organiser", "/checkin"))}


def _write_rules() -> list[tuple[str, str, str]]:
    return [rule for blueprint in sorted(_organiser_side_blueprints())
            for rule in blueprint_routes(blueprint)
            if rule[2] == "POST" and rule[0] not in ALLOWED_WHEN_CLOSED]


def _add_delegate(congress, number: int, kind=DelegateKind.OFFICIAL, **fields) -> Delegate:
    return add_delegate(congress, number, f"Đại biểu {number}", search_name=f"dai bieu {number}",
                        unit="Chi bộ 1", kind=kind, seat=f"A-{number:02d}", **fields)


@pytest.fixture
def admin(sign_in_as, congress):
    return sign_in_as(Role.ADMIN, "admin")


@pytest.fixture
def sample_ids(congress, make_document) -> dict:
    """Real objects behind every URL parameter of the organiser-side routes."""
    document = make_document()
    item = congress.sessions[0].items[0]
    agenda_service.link_document(item, document)
    delegate = _add_delegate(congress, 1)
    checkin, _created = attendance_service.check_in(delegate)
    comment = Comment(client_id=str(uuid.uuid4()), congress_id=congress.id,
                      document_id=document.id, version_id=document.current_version.id,
                      stance=Stance.DISAGREE, text="Ý kiến", author_id=delegate.id)
    db.session.add(comment)
    db.session.commit()
    vote = vote_service.create(congress, item, None, question="Thông qua Chương trình",
                               method="hands")
    vote_service.open_vote(vote, None)
    return {"vote_id": vote.id, "session_id": congress.sessions[0].id, "item_id": item.id,
            "document_id": document.id, "delegate_id": delegate.id, "number": 1,
            "direction": "next", "checkin_id": checkin.id,
            "user_id": add_user("door-staff", Role.CHECKIN).id, "comment_id": comment.id}


def _snapshot() -> dict[str, list[tuple]]:
    """Every row of every table: a refused request must leave all of them as they were."""
    db.session.expire_all()
    return {table.name: [tuple(row) for row in db.session.execute(
                select(table).order_by(*table.primary_key.columns)).all()]
            for table in db.metadata.sorted_tables}


def _close(congress) -> None:
    closing_service.close(congress)


# Who may close, reopen and purge -----------------------------------------------------


def test_the_closing_blueprint_has_its_pages():
    assert {e for e, _, _ in CLOSING_RULES} == {
        "closing.index", "closing.close", "closing.reopen", "closing.purge"}


def test_anonymous_visitors_are_sent_to_sign_in(client, congress):
    token = client.get("/login").get_data(as_text=True).split('name="csrf_token"')[1]
    token = token.split('value="')[1].split('"')[0]
    for _endpoint, rule, method in CLOSING_RULES:
        response = open_route(client, method, rule, token)
        assert response.status_code == 302, (method, rule)
        assert urlsplit(response.headers["Location"]).path == "/login"


@pytest.mark.parametrize("role", [Role.EDITOR, Role.CHECKIN])
def test_only_admins_may_close_reopen_or_purge(client, auth, congress, role):
    add_user("someone", role)
    auth.login("someone", "pass word")
    token = auth.csrf_token("/")
    for _endpoint, rule, method in CLOSING_RULES:
        assert open_route(client, method, rule, token).status_code == 403, (method, rule)
    db.session.expire_all()
    assert db.session.get(Congress, congress.id).closed_at is None


def test_admins_close_after_a_confirmation_page(client, admin, congress):
    page = client.get("/organiser/").get_data(as_text=True)
    assert 'href="/organiser/closing/close"' in page
    confirm = client.get("/organiser/closing/close")
    assert confirm.status_code == 200 and 'name="csrf_token"' in confirm.get_data(as_text=True)
    assert client.post("/organiser/closing/close").status_code == 400  # no CSRF token
    db.session.expire_all()
    assert db.session.get(Congress, congress.id).closed_at is None

    assert admin.post("/organiser/closing/close").status_code == 302
    db.session.expire_all()
    assert db.session.get(Congress, congress.id).closed_at is not None
    closed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "congress.close"))
    assert closed.user.username == "admin"
    assert "The congress is closed" in client.get("/organiser/agenda").get_data(as_text=True)


# A closed congress is read-only ------------------------------------------------------


def test_every_organiser_side_blueprint_is_guarded():
    assert _organiser_side_blueprints() <= ORGANISER_BLUEPRINTS


def test_every_write_route_is_refused_on_a_closed_congress_and_changes_nothing(
    client, admin, congress, sample_ids
):
    rules = _write_rules()
    assert len(rules) > 20  # organiser, roster, check-in, stage and closing writes
    _close(congress)
    token = admin.csrf_token("/organiser/")
    before = _snapshot()
    wrong = []
    for endpoint, rule, method in rules:
        path = route_path(rule, sample_ids)
        response = open_route(client, method, path, token)
        if response.status_code != 423:
            wrong.append(f"{method} {path} ({endpoint}): {response.status_code}")
        elif "reopen it to make changes" not in response.get_data(as_text=True):
            wrong.append(f"{method} {path} ({endpoint}): no explanation")
    assert not wrong, "\n".join(wrong)
    assert _snapshot() == before


def test_a_real_upload_and_a_real_check_in_are_refused(client, admin, congress, pdf_bytes):
    delegate = _add_delegate(congress, 5)
    _close(congress)
    before = _snapshot()
    response = admin.post("/organiser/documents/new", {
        "title": "Nghị quyết", "category": "draft_resolution", "visibility": "public",
        "published": "y", "file": (io.BytesIO(pdf_bytes("Nghị quyết")), "Nghị quyết.pdf"),
    }, content_type="multipart/form-data")
    assert response.status_code == 423
    scan = client.post("/checkin/scan", json={"token": delegate_service.card_token(delegate)},
                       headers={"X-CSRFToken": admin.csrf_token("/checkin/"),
                                "Accept": "application/json"})
    assert scan.status_code == 423
    assert scan.get_json()["status"] == "closed" and "reopen" in scan.get_json()["message"]
    assert _snapshot() == before


def test_reading_and_delegates_keep_working_on_a_closed_congress(
    app, client, admin, congress, make_document
):
    document = make_document(title="Báo cáo chính trị")
    delegate = _add_delegate(congress, 3)
    _close(congress)
    for path in ("/organiser/", "/organiser/agenda", "/organiser/documents",
                 f"/organiser/documents/{document.id}", "/organiser/delegates/",
                 "/checkin/attendance", "/organiser/audit"):
        assert client.get(path).status_code == 200, path
    phone = app.test_client()
    assert phone.get(f"/d/{document.code}").status_code == 200
    assert phone.get(f"/K/{delegate_service.card_token(delegate)}").status_code == 302


def test_reopening_allows_changes_again(client, admin, congress):
    _close(congress)
    assert admin.post("/organiser/sessions/new", {
        "name": "Phiên bế mạc", "date": "2025-07-23", "starts_at": "14:00"}).status_code == 423
    assert admin.post("/organiser/closing/reopen").status_code == 302
    db.session.expire_all()
    assert db.session.get(Congress, congress.id).closed_at is None
    assert admin.post("/organiser/sessions/new", {
        "name": "Phiên bế mạc", "date": "2025-07-23", "starts_at": "14:00"}).status_code == 302
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.action.like("congress.%")).order_by(AuditEvent.id)).all()
    assert actions == ["congress.close", "congress.reopen"]


# Purging personal data ---------------------------------------------------------------


@pytest.fixture
def attended(congress):
    """Three official delegates (two checked in), one alternate checked in, one guest."""
    delegates = [_add_delegate(congress, n) for n in (1, 2, 3)]
    delegates.append(_add_delegate(congress, 4, DelegateKind.ALTERNATE))
    delegates.append(_add_delegate(congress, 5, DelegateKind.GUEST))
    for delegate in (delegates[0], delegates[1], delegates[3]):
        attendance_service.check_in(delegate)
    return delegates


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_purge_needs_a_closed_congress(client, admin, congress, attended):
    assert client.get("/organiser/closing/purge").status_code == 409
    assert admin.post("/organiser/closing/purge",
                      {"confirmation": congress.slug}).status_code == 409
    with pytest.raises(InputRefused):
        closing_service.purge_personal_data(congress, congress.slug)
    assert _count(CheckIn) == 3


@pytest.mark.parametrize("typed", ["", "TEST", "yes", "tes"])
def test_a_purge_needs_the_typed_congress_code(client, admin, congress, attended, typed):
    _close(congress)
    before = _snapshot()
    response = admin.post("/organiser/closing/purge", {"confirmation": typed})
    assert response.status_code == 400
    assert "Type the congress code" in response.get_data(as_text=True)
    assert _snapshot() == before


def test_a_purge_drops_card_secrets_and_check_ins_and_keeps_the_counts(
    app, client, admin, congress, attended
):
    tokens = {d.number: delegate_service.card_token(d) for d in attended}
    pins = {d.number: delegate_service.card_pin(d) for d in attended}
    phone = app.test_client()
    assert phone.get(f"/K/{tokens[1]}").status_code == 302  # a phone signed in before
    _close(congress)

    assert client.get("/organiser/closing/purge").status_code == 200
    assert admin.post("/organiser/closing/purge",
                      {"confirmation": f" {congress.slug} "}).status_code == 302

    db.session.expire_all()
    delegates = db.session.scalars(select(Delegate).order_by(Delegate.number)).all()
    assert [(d.number, d.full_name, d.unit) for d in delegates] == [
        (n, f"Đại biểu {n}", "Chi bộ 1") for n in (1, 2, 3, 4, 5)]
    assert all(d.token_hash is None and d.pin_hash is None and d.seat == "" for d in delegates)
    assert _count(CheckIn) == 0
    # The check-in events keep their time and staff account, not the delegate.
    checkin_events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "delegate.checkin")).all()
    assert len(checkin_events) == 3
    assert all(e.object_id is None and e.detail == "" for e in checkin_events)

    (purge,) = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "congress.purge")).all()
    counts = json.loads(purge.detail)
    assert purge.user.username == "admin" and purge.object_id == congress.id
    assert {k: counts[k] for k in ("delegates", "checkins", "present", "expected",
                                   "alternates_present", "guests_present")} == {
        "delegates": 5, "checkins": 3, "present": 2, "expected": 3,
        "alternates_present": 1, "guests_present": 0}

    # Cards and PINs fail with the normal page; the phone signed in before is signed out.
    fresh = app.test_client()
    fresh.set_cookie("lang", "en")
    for number in (1, 4):
        response = fresh.get(f"/K/{tokens[number]}")
        assert response.status_code == 403
        assert "This card is not valid" in response.get_data(as_text=True)
    page = fresh.get("/delegate/sign-in").get_data(as_text=True)
    token = page.split('name="csrf_token"')[1].split('value="')[1].split('"')[0]
    assert fresh.post("/delegate/sign-in", data={
        "number": "2", "pin": pins[2], "csrf_token": token}).status_code == 401
    assert "Signed in as delegate" not in phone.get("/?lang=en").get_data(as_text=True)

    attendance = client.get("/checkin/attendance").get_data(as_text=True)
    assert "Personal data was purged" in attendance
    assert "2 of 3 official delegates present" in attendance


def test_reopening_after_a_purge_keeps_the_purge(client, admin, congress, attended):
    _close(congress)
    closing_service.purge_personal_data(congress, congress.slug)
    assert admin.post("/organiser/closing/reopen").status_code == 302
    page = client.get("/organiser/closing/").get_data(as_text=True)
    assert "Personal data was purged" in page
    db.session.expire_all()
    assert all(d.token_hash is None for d in db.session.scalars(select(Delegate)))
