"""The visibility matrix of a congress's records: comments, votes and ballots, the
credentials report and attendance per session. Two congresses share the instance, each with
a delegate's comment, a draft vote, an open named phone vote with a ballot in it and a
closed show of hands; every kind of visitor walks every GET route of the app (read from the
URL map, so a route added later is walked the day it is added) and no answer — page, JSON,
PDF or spreadsheet — may name a record that visitor may not know of.

The routes these records added are sorted below into who may open them; a new route of
these blueprints fails `test_every_route_of_the_records_is_sorted` until it is sorted, and
then the walks of its kind check it.
"""

from __future__ import annotations

import io
import re
import uuid
from dataclasses import dataclass
from datetime import date, time, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from congress_app.extensions import db
from congress_app.models import (
    AgendaItem,
    Comment,
    Congress,
    CongressSession,
    Role,
    User,
    Vote,
    VoteBallot,
    VoteMethod,
    utcnow,
)
from congress_app.services import attendance, intake
from congress_app.services import comments as comment_service
from congress_app.services import votes as vote_service

from .conftest import add_delegate, add_user, signed_in_client
from .routes import open_route, route_path
from .test_visibility_matrix import PLACEHOLDER, readable

# Who may open each route the records added (endpoint → kind).
ORGANISERS = "organisers"  # admins and editors of the congress
STAFF = "staff"  # the door phones too
DELEGATES = "delegates"  # signed in with their card; their own records only
ROUTE_KINDS = {
    **dict.fromkeys([
        "comment_triage.index", "comment_triage.classify", "comment_triage.duplicate",
        "comment_triage.separate", "comment_triage.adopt", "comment_triage.counts",
        "comment_triage.higher_level_csv", "comment_triage.higher_level_json",
        "comment_triage.report_csv", "comment_triage.report_pdf", "comment_triage.report_xlsx",
        "organiser.comments_open", "organiser.comments_close",
        "votes.index", "votes.detail", "votes.annul", "votes.close_vote", "votes.counts",
        "votes.minutes_pdf", "votes.congress_minutes_pdf", "votes.open_vote", "votes.create",
        "votes.set_rule",
        "credentials.report_pdf", "credentials.screen", "credentials.figures",
        "checkin.check_out", "checkin.absence", "cards.attendance_sheet_pdf",
    ], ORGANISERS),
    **dict.fromkeys(["checkin.choose_session", "checkin.attendance",
                     "checkin.attendance_json"], STAFF),
    **dict.fromkeys(["comments.write", "comments.mine", "comments.edit", "comments.withdraw",
                     "ballots.ballot"], DELEGATES),
}
# Blueprints that are the records' own: every route of theirs must be sorted above.
RECORD_BLUEPRINTS = ("comments", "comment_triage", "votes", "ballots", "credentials")


def _routes(app, kind: str) -> list[tuple[str, str, str]]:
    """(endpoint, rule, method) of the routes of one kind."""
    return sorted((rule.endpoint, rule.rule, method) for rule in app.url_map.iter_rules()
                  if ROUTE_KINDS.get(rule.endpoint) == kind
                  for method in rule.methods - {"HEAD", "OPTIONS"})


# Two congresses, each with its records -------------------------------------------------------


@dataclass
class Records:
    """One congress's records and the marker words in their texts."""

    congress: Congress
    slug: str
    author: object  # the delegate who wrote the comment and voted
    other: object  # another delegate of the same congress, present too
    ids: dict
    comment: str
    draft_vote: str
    open_vote: str
    closed_vote: str


def _records(congress: Congress, tag: str, pdf: bytes, organiser) -> Records:
    """A draft open for comments with a comment on it, three votes, two present delegates."""
    if not congress.sessions:
        session = CongressSession(congress=congress, name=f"Phiên {tag}", position=1,
                                  date=congress.starts_on, starts_at=time(8, 0))
        session.items = [AgendaItem(position=1, starts_at=time(8, 0), title=f"Mục {tag}"),
                         AgendaItem(position=2, starts_at=time(9, 0), title=f"Mục 2 {tag}")]
        db.session.add(session)
        db.session.commit()
    author = add_delegate(congress, number=21, full_name=f"Tác Giả {tag}")
    other = add_delegate(congress, number=22, full_name=f"Người Khác {tag}")
    for delegate in (author, other):
        attendance.check_in(delegate)
    draft = intake.create_document(
        congress, title=f"Dự thảo {tag}", category="higher_draft",
        upload=intake.Upload(io.BytesIO(pdf), f"du-thao-{tag}.pdf"))
    now = utcnow()
    comment_service.open_window(congress, draft, opens_at=now,
                                closes_at=now + timedelta(hours=48), scope="document",
                                user=organiser)
    markers = {k: f"Mtx{k.title().replace('_', '')}{tag}"
               for k in ("comment", "draft_vote", "open_vote", "closed_vote")}
    comment, _new = comment_service.write_comment(
        congress, draft, author, client_id=str(uuid.uuid4()), paragraph=None,
        stance="disagree", text=f"Ý kiến riêng {markers['comment']} của đại biểu")
    item = congress.sessions[0].items[0]
    draft_vote = vote_service.create(congress, item, None, question=markers["draft_vote"],
                                     method=VoteMethod.PHONES)
    closed = vote_service.create(congress, item, None, question=markers["closed_vote"],
                                 method=VoteMethod.HANDS)
    vote_service.open_vote(closed, None)
    vote_service.record_counts(closed, None, for_count="2", against_count="0",
                               abstain_count="0")
    vote_service.close_vote(closed, None)
    named = vote_service.create(congress, item, None, question=markers["open_vote"],
                                method=VoteMethod.PHONES)
    vote_service.open_vote(named, None)
    vote_service.cast(named, author, "against", client_id=str(uuid.uuid4()))
    ids = {"congress_id": congress.id, "session_id": congress.sessions[0].id,
           "item_id": item.id, "document_id": draft.id, "code": draft.code,
           "delegate_id": author.id, "comment_id": comment.id, "vote_id": named.id,
           "closed_vote_id": closed.id, "draft_vote_id": draft_vote.id}
    return Records(congress, congress.slug, author, other, ids, **markers)


@pytest.fixture
def two(congress, draft_pdf, organiser):
    """Congress A (the `congress` fixture) and B, each with its records."""
    b = Congress(slug="ben-canh", title="Đại hội Đảng bộ xã Bên Cạnh",
                 organisation="Đảng bộ xã Bên Cạnh", starts_on=date(2025, 7, 24),
                 ends_on=date(2025, 7, 24))
    db.session.add(b)
    db.session.commit()
    return _records(congress, "Tx", draft_pdf, organiser), \
        _records(b, "Bc", draft_pdf, organiser)


@pytest.fixture
def viewers(app, client, two, delegate_phone):
    """A browser for every kind of visitor, by name; "_b" ones are congress B's."""
    a, b = two
    accounts = {"door": (Role.CHECKIN, a), "editor": (Role.EDITOR, a),
                "admin": (Role.ADMIN, a), "editor_b": (Role.EDITOR, b),
                "admin_b": (Role.ADMIN, b), "door_b": (Role.CHECKIN, b)}
    for name, (role, records) in accounts.items():
        add_user(name.replace("_", "-"), role, records.congress)
    client.set_cookie("lang", "en")
    return {"anonymous": client, "author": delegate_phone(a.author),
            "other_delegate": delegate_phone(a.other),
            "delegate_b": delegate_phone(b.author),
            **{name: signed_in_client(app, name.replace("_", "-")) for name in accounts}}


# The routes are sorted ----------------------------------------------------------------------


def test_every_route_of_the_records_is_sorted(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    records = {e for e in endpoints if e.split(".")[0] in RECORD_BLUEPRINTS}
    unsorted = records - set(ROUTE_KINDS)
    assert not unsorted, f"sort these routes into ROUTE_KINDS: {sorted(unsorted)}"
    gone = set(ROUTE_KINDS) - endpoints
    assert not gone, f"ROUTE_KINDS names routes that no longer exist: {sorted(gone)}"


# Who may open them -------------------------------------------------------------------------


def _token(client, path: str = "/") -> str | None:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                      client.get(path).get_data(as_text=True))
    return match.group(1) if match else None


def _counts() -> tuple:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Comment, Vote, VoteBallot))


def test_anonymous_visitors_are_sent_to_sign_in_and_change_nothing(app, viewers, two):
    a, _b = two
    client = viewers["anonymous"]
    token = _token(client, "/login")
    before, wrong = _counts(), []
    for kind, sign_in in ((ORGANISERS, "/login"), (STAFF, "/login"),
                          (DELEGATES, "/delegate/sign-in")):
        for endpoint, rule, method in _routes(app, kind):
            path = route_path(rule, {**a.ids, "paragraph": 1})
            response = open_route(client, method, path, token)
            location = urlsplit(response.headers.get("Location", ""))
            # Two congresses: the delegates' sign-in is the congress's own (/c/<slug>/…).
            if not (response.status_code == 302 and location.path.endswith(sign_in)
                    and parse_qs(location.query).get("next") == [path]):
                wrong.append(f"{method} {path} ({endpoint}): {response.status_code} "
                             f"{response.headers.get('Location')}")
    assert not wrong, "\n".join(wrong)
    db.session.expire_all()
    assert _counts() == before


@pytest.mark.parametrize("viewer", ["author", "delegate_b", "door", "door_b"])
def test_delegates_and_the_door_are_refused_the_organisers_routes(app, viewers, two, viewer):
    a, _b = two
    client = viewers[viewer]
    token = _token(client, "/delegate/comments" if viewer in ("author", "delegate_b")
                   else "/checkin/")
    kinds = (ORGANISERS, STAFF) if viewer in ("author", "delegate_b") else (ORGANISERS,)
    before, wrong = _counts(), []
    for kind in kinds:
        for endpoint, rule, method in _routes(app, kind):
            path = route_path(rule, {**a.ids, "paragraph": 1})
            status = open_route(client, method, path, token).status_code
            if status != 403:
                wrong.append(f"{method} {path} ({endpoint}): {status}")
    assert not wrong, "\n".join(wrong)
    db.session.expire_all()
    assert _counts() == before


@pytest.mark.parametrize("viewer", ["editor", "admin", "door", "editor_b", "admin_b",
                                    "door_b"])
def test_organiser_side_accounts_neither_write_comments_nor_vote(app, viewers, two, viewer):
    a, _b = two
    client = viewers[viewer]
    token = _token(client)
    before = _counts()
    for endpoint, rule, method in _routes(app, DELEGATES):
        path = route_path(rule, {**a.ids, "paragraph": 1})
        assert open_route(client, method, path, token).status_code == 403, (endpoint, method)
    db.session.expire_all()
    assert _counts() == before


@pytest.mark.parametrize("viewer", ["editor", "admin"])
def test_the_congress_s_organisers_open_every_page(app, viewers, two, viewer):
    a, _b = two
    client = viewers[viewer]
    values = {**a.ids, "vote_id": a.ids["closed_vote_id"]}  # minutes: a closed vote
    for endpoint, rule, method in _routes(app, ORGANISERS) + _routes(app, STAFF):
        if method == "GET":
            response = client.get(route_path(rule, values))
            assert response.status_code == 200, (endpoint, response.status_code)


def test_another_delegate_sees_nothing_of_the_author_s_comment_or_ballot(viewers, two):
    a, _b = two
    client = viewers["other_delegate"]
    comment = a.ids["comment_id"]
    for path in (f"/delegate/comments/{comment}/edit", f"/delegate/comments/{comment}/withdraw"):
        assert client.get(path).status_code == 404
        assert client.post(path, data={"csrf_token": _token(client, "/delegate/comments")}
                           ).status_code == 404
    assert a.comment.upper() not in readable(client.get("/delegate/comments"))
    # The named vote the author voted on: this delegate's page shows no ballot of theirs…
    page = client.get(f"/vote/{a.ids['vote_id']}").get_data(as_text=True)
    assert "You voted" not in page and 'class="ballot-against chosen"' not in page
    # …while the author's own page does.
    mine = viewers["author"].get(f"/vote/{a.ids['vote_id']}").get_data(as_text=True)
    assert "You voted: Against" in mine
    db.session.expire_all()
    assert db.session.get(Comment, comment).withdrawn_at is None


def test_another_congress_s_delegate_gets_no_vote_and_no_comment_of_this_one(viewers, two):
    a, _b = two
    client = viewers["delegate_b"]
    for key in ("vote_id", "closed_vote_id", "draft_vote_id"):
        assert client.get(f"/vote/{a.ids[key]}").status_code == 404, key
    assert client.get(f"/delegate/comments/{a.ids['comment_id']}/edit").status_code == 404
    before = _counts()
    token = _token(client, "/delegate/comments")
    response = client.post(f"/vote/{a.ids['vote_id']}",
                           data={"csrf_token": token, "choice": "for",
                                 "client_id": str(uuid.uuid4())})
    assert response.status_code == 404
    db.session.expire_all()
    assert _counts() == before


# No answer names what its visitor may not know of ----------------------------------------

# What each visitor may know of, of congress A's records and of B's ("own": A's for a
# visitor of A). The author sees their own comment; the organisers see everything of their
# own congress; the projector (public) shows a congress's open and closed votes' questions
# under its own address, so any visitor may read those there.
MAY_KNOW = {
    "anonymous": set(),
    "other_delegate": set(),
    "door": set(),
    "author": {"comment"},
    "delegate_b": {"comment"},  # congress B's author
    "editor_b": {"comment", "draft_vote"},
    "admin_b": {"comment", "draft_vote"},
}
WALKERS = tuple(MAY_KNOW)
OWN_CONGRESS = {"anonymous": "a", "other_delegate": "a", "door": "a", "author": "a",
                "delegate_b": "b", "editor_b": "b", "admin_b": "b"}


def _allowed(viewer: str, which: str, records: Records, kind: str, url: str) -> bool:
    """Whether this visitor may read this record's marker at this URL."""
    own = OWN_CONGRESS[viewer] == which
    if kind in ("open_vote", "closed_vote"):
        # The stage of a congress is public: its address names the congress (/c/<slug>/),
        # or a visitor of that congress asks without one; the phones' banner and /vote/<id>
        # are its delegates'.
        return own or url.startswith(f"/c/{records.slug}/")
    return own and kind in MAY_KNOW[viewer]


def _values(name: str, converter: str, a: Records, b: Records) -> list:
    both = {key: [a.ids[key], b.ids[key]] for key in a.ids}
    known = {
        **both,
        "vote_id": [*both["vote_id"], *both["closed_vote_id"], *both["draft_vote_id"]],
        "congress_slug": [a.slug, b.slug],
        "paragraph": [1], "number": [1], "n": [1],
        "fmt": ["svg", "pdf"], "rest": ["file", "version.json"],
        "token": ["NOTACARDTOKEN"], "slug": ["programme"],
        "user_id": list(db.session.scalars(select(User.id))),
    }
    if name in known:
        return known[name]
    return [1] if converter == "int" else ["x"]


SESSION_ARG = ("checkin.attendance", "checkin.attendance_json", "cards.attendance_sheet_pdf")


def _urls(app, a: Records, b: Records) -> list[str]:
    """Every GET URL, placeholders filled with both congresses' ids; the attendance of
    each congress's session and the triage filtered by each congress's document too."""
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or "GET" not in rule.methods:
            continue
        paths = [rule.rule]
        for converter, name in PLACEHOLDER.findall(rule.rule):
            pattern = re.compile(rf"<(?:\w+(?:\([^)]*\))?:)?{name}>")
            paths = [pattern.sub(str(value), path, count=1) for path in paths
                     for value in _values(name, converter, a, b)]
        urls += paths
        if rule.endpoint in SESSION_ARG:
            urls += [f"{paths[0]}?session={r.ids['session_id']}" for r in (a, b)]
        if rule.endpoint.startswith("comment_triage."):
            urls += [f"{paths[0]}?document={r.ids['document_id']}" for r in (a, b)]
    return sorted(set(urls))


@pytest.mark.parametrize("viewer", WALKERS)
def test_no_answer_names_a_record_its_visitor_may_not_know_of(app, viewers, two, viewer):
    a, b = two
    client = viewers[viewer]
    markers = [(which, records, kind, getattr(records, kind))
               for which, records in (("a", a), ("b", b))
               for kind in ("comment", "draft_vote", "open_vote", "closed_vote")]
    queue, walked, problems, ok = _urls(app, a, b), set(), [], 0
    while queue:
        url = queue.pop(0)
        if url in walked:
            continue
        walked.add(url)
        response = client.get(url)
        if response.status_code >= 500:
            problems.append(f"{url}: {response.status_code}")
        ok += response.status_code == 200
        text = readable(response)
        problems += [f"{url} names {marker}" for which, records, kind, marker in markers
                     if marker.upper() in text
                     and not _allowed(viewer, which, records, kind, url)]
        location = response.headers.get("Location", "")
        if 300 <= response.status_code < 400 and location.startswith("/"):
            queue.append(location)
    assert not problems, "\n".join(problems)
    assert ok >= 10
    # The walk could see: the author's own list names the comment; the public screen the
    # open vote.
    if viewer == "author":
        assert a.comment.upper() in readable(client.get("/delegate/comments"))
    assert a.open_vote.upper() in readable(client.get(f"/c/{a.slug}/stage.json"))


@pytest.mark.parametrize("viewer", ["editor", "admin"])
def test_the_organisers_reports_hold_their_congress_s_records_only(viewers, two, viewer):
    a, b = two
    client = viewers[viewer]
    reports = {
        "/organiser/comments/": [a.comment],
        "/organiser/comments/report.pdf": [a.comment],
        "/organiser/comments/report.csv": [a.comment],
        "/organiser/comments/report.xlsx": [],
        "/organiser/comments/higher-level.json": [a.comment],
        "/organiser/comments/higher-level.csv": [a.comment],
        "/organiser/comments/counts.json": [],
        "/organiser/votes": [a.draft_vote, a.open_vote, a.closed_vote],
        f"/organiser/votes/{a.ids['closed_vote_id']}/minutes.pdf": [a.closed_vote],
        "/organiser/votes/minutes.pdf": [a.draft_vote, a.open_vote, a.closed_vote],
        "/organiser/credentials/report.pdf": [],
        "/organiser/credentials/screen": [],
        "/organiser/credentials/figures.json": [],
        "/organiser/": [],
        "/checkin/attendance": [],
        "/checkin/attendance.json": [],
        "/organiser/print/attendance-sheet.pdf": [],
    }
    theirs = [b.comment, b.draft_vote, b.open_vote, b.closed_vote,
              b.author.full_name, b.other.full_name]
    for path, ours in reports.items():
        response = client.get(path)
        assert response.status_code == 200, path
        text = readable(response)
        for marker in ours:
            assert marker.upper() in text, (path, marker)
        for marker in theirs:
            assert "".join(marker.split()).upper() not in text, (path, marker)


@pytest.mark.parametrize("viewer", ["door_b", "editor_b", "admin_b"])
def test_another_congress_s_session_is_no_session_here(viewers, two, viewer):
    """?session= and the door's session form take ids too: another congress's is 404."""
    a, b = two
    client = viewers[viewer]
    foreign = a.ids["session_id"]
    paths = ["/checkin/attendance", "/checkin/attendance.json"]
    if viewer != "door_b":
        paths.append("/organiser/print/attendance-sheet.pdf")
    for path in paths:
        assert client.get(f"{path}?session={b.ids['session_id']}").status_code == 200, path
        assert client.get(f"{path}?session={foreign}").status_code == 404, path
    token = _token(client, "/checkin/")
    assert client.post("/checkin/session", data={"csrf_token": token, "session": foreign}
                       ).status_code == 404
    if viewer != "door_b":
        for action in ("checkout", "absence"):
            response = client.post(f"/checkin/{action}", data={
                "csrf_token": token, "session": foreign, "number": "21",
                "reason": "excused"})
            assert response.status_code == 404, action
