"""Every organiser-side view with an id in its URL loads it through web.access.own_or_404.

Organisers tied to congress A (an admin and an editor) request every such route (found in
app.url_map, so a route added later is covered the day it is added) with the ids of
congress B's rows, one foreign id at a time among A's own: each must answer exactly as
for a row that does not exist, a 404, and change nothing. A view that loads its row by
id without the scoped loader answers B's row (200, a redirect, a 400 for the form) and
fails here.
"""

from __future__ import annotations

import io
import re
import uuid
from datetime import date, time

import pytest
from sqlalchemy import func, select

from congress_app.extensions import db
from congress_app.models import (
    AgendaItem,
    AuditEvent,
    CheckIn,
    Comment,
    CommentTriage,
    Congress,
    CongressSession,
    Delegate,
    Role,
    Stance,
    User,
    Vote,
    VoteMethod,
    VoteState,
)
from congress_app.services import intake

from .conftest import add_user, csrf_token_from
from .routes import route_path

ORGANISER_SIDE = ("/organiser", "/checkin")
# URL values that are not rows of a congress: a version number (its document is the row),
# a printable's slug, a stage direction, a kept roster upload's token.
NOT_ROWS = frozenset({"number", "slug", "direction", "token"})
NOT_VALUES = {"number": 1, "slug": "programme", "direction": "up", "token": "x"}
MISSING = 987654  # an id no table holds
PARAM = re.compile(r"<(?:[^:>]+:)?(\w+)>")


def id_routes(app) -> list[tuple[str, str, str, list[str]]]:
    """(endpoint, rule, method, row params) of every organiser-side route naming a row."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(ORGANISER_SIDE):
            continue
        rows = [name for name in PARAM.findall(rule.rule) if name not in NOT_ROWS]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if rows:
                routes.append((rule.endpoint, rule.rule, method, rows))
    return sorted(routes)


def _rows(congress: Congress, title: str, pdf: bytes, username: str) -> dict[str, int]:
    """One row of every kind a URL names, in this congress; their ids by URL name."""
    session = congress.sessions[0] if congress.sessions else None
    if session is None:
        session = CongressSession(congress=congress, name=f"Phiên {title}", position=1,
                                  date=congress.starts_on, starts_at=time(8, 0))
        session.items = [AgendaItem(position=1, starts_at=time(8, 0), title=f"Mục {title}")]
        db.session.add(session)
    delegate = Delegate(congress_id=congress.id, number=3, full_name=f"Đại biểu {title}",
                        search_name=title.lower())
    db.session.add(delegate)
    db.session.flush()
    checkin = CheckIn(delegate_id=delegate.id, congress_id=congress.id, method="number")
    db.session.add(checkin)
    db.session.commit()
    document = intake.create_document(
        congress, title=f"Văn kiện {title}", category="political_report",
        upload=intake.Upload(io.BytesIO(pdf), f"{title}.pdf"))
    account = add_user(username, Role.EDITOR, congress)
    comment = Comment(client_id=str(uuid.uuid4()), congress_id=congress.id,
                      document_id=document.id, version_id=document.current_version.id,
                      stance=Stance.DISAGREE, text=f"Ý kiến {title}", author_id=delegate.id)
    db.session.add(comment)
    vote = Vote(congress_id=congress.id, item_id=session.items[0].id, method=VoteMethod.HANDS,
                question=f"Biểu quyết {title}", state=VoteState.OPEN)
    db.session.add(vote)
    db.session.commit()
    return {"vote_id": vote.id, "congress_id": congress.id, "session_id": session.id,
            "item_id": session.items[0].id, "document_id": document.id,
            "delegate_id": delegate.id, "checkin_id": checkin.id, "user_id": account.id,
            "comment_id": comment.id}


@pytest.fixture
def two_congresses(congress, pdf_bytes):
    """Congress A (the `congress` fixture) and B, each with a row of every kind."""
    b = Congress(slug="ben-canh", title="Đại hội Đảng bộ xã Bên Cạnh",
                 organisation="Đảng bộ xã Bên Cạnh", starts_on=date(2025, 7, 24),
                 ends_on=date(2025, 7, 24))
    db.session.add(b)
    db.session.commit()
    return (_rows(congress, "ThanhXuan", pdf_bytes("A"), "staff-a"),
            _rows(b, "BenCanh", pdf_bytes("B"), "staff-b"))


def _counts() -> tuple:
    """What a request that went through would have changed."""
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (AuditEvent, CheckIn, Delegate, User, AgendaItem, CommentTriage,
                               Vote))


def _sign_in(app, username: str):
    client = app.test_client()
    client.set_cookie("lang", "en")
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": username, "password": "pass word",
                                           "csrf_token": token})
    assert response.status_code == 302
    return client, csrf_token_from(client.get("/organiser/").get_data(as_text=True))


def _open(client, token: str, method: str, rule: str, values: dict) -> int:
    data = {"csrf_token": token} if method == "POST" else None
    return client.open(route_path(rule, {**NOT_VALUES, **values}), method=method,
                       data=data).status_code


@pytest.mark.parametrize("role", [Role.ADMIN, Role.EDITOR])
def test_another_congress_s_ids_answer_404_on_every_organiser_route(app, two_congresses, role):
    own, other = two_congresses
    add_user("organiser-a", role, db.session.get(Congress, own["congress_id"]))
    client, token = _sign_in(app, "organiser-a")
    routes = id_routes(app)
    assert len(routes) > 25 and {endpoint for endpoint, *_ in routes} >= {
        "organiser.session_edit", "organiser.item_document_unlink", "organiser.version_file",
        "roster.delegate", "cards.delegate_card_pdf", "stage.put_on_stage", "checkin.undo",
        "accounts.account", "congresses.delete"}
    before = _counts()
    problems, refused_by_role, scoped = [], set(), 0
    for endpoint, rule, method, params in routes:
        unknown = set(params) - set(own)
        assert not unknown, f"{rule}: no sample row for {unknown}; add one to _rows"
        # A role that may not open the route at all is refused (403) before any id is read.
        missing = _open(client, token, method, rule, dict.fromkeys(params, MISSING))
        if missing == 403:
            refused_by_role.add(endpoint)
        elif missing != 404:
            problems.append(f"{method} {rule} ({endpoint}) with missing ids: {missing}")
        for foreign in params:
            values = {name: (other if name == foreign else own)[name] for name in params}
            status = _open(client, token, method, rule, values)
            if status != missing:
                problems.append(f"{method} {route_path(rule, {**NOT_VALUES, **values})} "
                                f"({endpoint}), {foreign} of congress B: {status}, "
                                f"not {missing} as for a row that does not exist")
            scoped += status == 404
    assert not problems, "\n".join(problems)
    db.session.expire_all()
    assert _counts() == before  # no request with a foreign id changed anything
    # Only the role decorators refused without a 404, and only where the role is lacking.
    if role == Role.ADMIN:
        assert refused_by_role == {"congresses.choose"}  # every-congress accounts only
    else:
        assert "organiser.session_edit" not in refused_by_role
        assert {"accounts.account", "roster.delete", "congresses.delete"} <= refused_by_role
    assert scoped > 30


# Ids sent in a form or a query string, not in the URL's path ----------------------------


def _field(html: str, name: str) -> str:
    return re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', html).group(1)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.EDITOR])
def test_another_congress_s_ids_in_forms_and_query_strings_answer_as_missing_ones(
        app, two_congresses, role):
    """The attendance's ?session=, the door's session form, a new vote's agenda item and a
    duplicate's original comment: congress B's id answers as an id no table holds."""
    own, other = two_congresses
    add_user("organiser-a", role, db.session.get(Congress, own["congress_id"]))
    client, token = _sign_in(app, "organiser-a")
    before = _counts()
    for path in ("/checkin/attendance", "/checkin/attendance.json",
                 "/organiser/print/attendance-sheet.pdf"):
        assert client.get(f"{path}?session={own['session_id']}").status_code == 200, path
        for value in (other["session_id"], MISSING):
            assert client.get(f"{path}?session={value}").status_code == 404, (path, value)
    for path, form in (("/checkin/session", {}),
                       ("/checkin/checkout", {"number": "3"}),
                       ("/checkin/absence", {"number": "3", "reason": "excused"})):
        for value in (other["session_id"], MISSING):
            response = client.post(path, data={"csrf_token": token, "session": value, **form})
            assert response.status_code == 404, (path, value)

    page = client.get("/organiser/votes").get_data(as_text=True)
    for value in (other["item_id"], MISSING):
        response = client.post("/organiser/votes/new", data={
            "csrf_token": token, "once": _field(page, "once"), "item_id": value,
            "question": "Biểu quyết ngoài", "method": "hands"})
        assert response.status_code == 404, value

    comment = own["comment_id"]
    page = client.get("/organiser/comments/").get_data(as_text=True)
    answers = []
    for value in (other["comment_id"], MISSING):
        response = client.post(f"/organiser/comments/{comment}/duplicate", data={
            "csrf_token": token, f"c{comment}-original": str(value),
            f"c{comment}-edit_version": _field(page, f"c{comment}-edit_version")})
        answers.append((response.status_code,
                        "There is no comment with this number" in response.get_data(
                            as_text=True)))
    assert answers[0] == answers[1] and answers[0][1], answers
    db.session.expire_all()
    assert _counts() == before
