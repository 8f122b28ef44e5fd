"""Votes through the pages: the organisers' list and vote page (create, open, count, close,
annul, the minutes PDF), the delegate's phone (banner, three buttons, a double tap, after
closing), the projector's stage.json, and who may open what."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from congress_app.extensions import db
from congress_app.models import Role, Vote, VoteBallot, VoteMethod, VoteState
from congress_app.services import votes as vote_service

from .conftest import add_user, csrf_token_from, signed_in_client
from .pdf_reading import pdf_text
from .routes import blueprint_routes, open_route, route_path
from .votes_fixtures import PRESENT

RULES = blueprint_routes("votes")
ORGANISER_RULES = [r for r in RULES if r[1].startswith("/organiser")]


@pytest.fixture
def editor(app, congress):
    add_user("thuky", Role.EDITOR, congress)
    return signed_in_client(app, "thuky")


def _token(client, path="/organiser/votes") -> str:
    return csrf_token_from(client.get(path).get_data(as_text=True))


def _text(response) -> str:
    return response.get_data(as_text=True)


def _ballots() -> int:
    return db.session.scalar(select(func.count(VoteBallot.id)))


# The organisers ----------------------------------------------------------------------------


def test_a_show_of_hands_from_creation_to_the_minutes(editor, congress, hall):
    item = congress.sessions[0].items[1]
    token = _token(editor)
    response = editor.post("/organiser/votes/new", data={
        "csrf_token": token, "item_id": item.id, "question": "Thông qua Quy chế làm việc",
        "method": "hands"})
    assert response.status_code == 302
    vote = db.session.scalar(select(Vote))
    path = f"/organiser/votes/{vote.id}"
    assert urlsplit(response.headers["Location"]).path == path
    assert "Thông qua Quy chế làm việc" in _text(editor.get("/organiser/votes"))
    assert editor.post(f"{path}/open", data={"csrf_token": token}).status_code == 302

    # 6 of 7 present, no reason: refused with the sum named, nothing saved.
    counts = {"csrf_token": token, "for_count": "5", "against_count": "1",
              "abstain_count": "0"}
    refused = editor.post(f"{path}/counts", data=counts)
    assert refused.status_code == 409
    assert "add up to 6, but 7 delegates are present" in _text(refused)
    over = editor.post(f"{path}/counts", data=counts | {"for_count": "9"})
    assert over.status_code == 400 and "cannot exceed the 7 delegates" in _text(over)
    db.session.expire_all()
    assert db.session.get(Vote, vote.id).for_count is None
    assert editor.post(f"{path}/counts", data=counts | {
        "confirmed": "y", "reason": "Một đại biểu ra ngoài"}).status_code == 302
    assert editor.post(f"{path}/close", data={"csrf_token": token}).status_code == 302

    page = _text(editor.get(path))
    assert "Passed" in page and "71.4%" in page  # 5 of 7 present
    assert "Một đại biểu ra ngoài" in page
    pdf = editor.get(f"{path}/minutes.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    text = " ".join(pdf_text(pdf.data).split())
    for expected in ("RESULT OF THE VOTE", "Thông qua Quy chế làm việc", "PASSED",
                     "71.4%", "ON BEHALF OF THE PRESIDIUM", "ON BEHALF OF THE SECRETARIAT",
                     "ĐẢNG CỘNG SẢN VIỆT NAM"):
        assert expected in text, expected


def test_annulling_from_the_page_needs_a_reason(editor, make_vote, hall):
    vote = make_vote(method=VoteMethod.HANDS)
    token = _token(editor)
    path = f"/organiser/votes/{vote.id}"
    refused = editor.post(f"{path}/annul", data={"csrf_token": token, "reason": " "})
    assert refused.status_code == 400 and "Say why the vote is annulled" in _text(refused)
    assert editor.post(f"{path}/annul", data={"csrf_token": token,
                                              "reason": "Sai câu hỏi"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Vote, vote.id).state == VoteState.ANNULLED
    assert editor.get(f"{path}/minutes.pdf").status_code == 409


def test_a_phone_vote_s_split_stays_hidden_until_it_closes(editor, make_vote, hall):
    vote = make_vote()
    for delegate in hall["present"][:3]:
        vote_service.cast(vote, delegate, "for")
    page = _text(editor.get(f"/organiser/votes/{vote.id}"))
    assert f"Voted: 3 / {PRESENT}" in page and "Share of the base" not in page
    editor.post(f"/organiser/votes/{vote.id}/close", data={"csrf_token": _token(editor)})
    assert "Share of the base" in _text(editor.get(f"/organiser/votes/{vote.id}"))


# The delegate's phone ----------------------------------------------------------------------


def test_a_delegate_votes_with_one_tap_and_a_double_tap_counts_once(
        make_vote, hall, delegate_phone):
    vote = make_vote(secret=True)
    phone = delegate_phone(hall["present"][0])
    home = _text(phone.get("/"))
    assert "Vote now:" in home and f"/vote/{vote.id}" in home  # the banner
    page = _text(phone.get(f"/vote/{vote.id}"))
    for label in ("For", "Against", "Abstain"):
        assert f">{label}</button>" in page
    client_id = re.search(r'name="client_id" type="hidden" value="([^"]+)"', page)
    data = {"csrf_token": csrf_token_from(page), "client_id": client_id.group(1),
            "choice": "for"}
    first = phone.post(f"/vote/{vote.id}", data=data, follow_redirects=True)
    assert "Your vote has been recorded" in _text(first)
    again = phone.post(f"/vote/{vote.id}", data=data, follow_redirects=True)
    assert again.status_code == 200 and "counted once" in _text(again)
    other = phone.post(f"/vote/{vote.id}", data=data | {"client_id": "x", "choice": "against"})
    assert other.status_code == 409 and "already voted" in _text(other)
    assert _ballots() == 1
    assert "Vote now:" not in _text(phone.get("/"))  # the banner goes once the ballot is in
    vote_service.close_vote(vote, None)
    closed = phone.post(f"/vote/{vote.id}", data=data | {"client_id": "y"})
    assert closed.status_code == 423
    assert "Not passed" in _text(phone.get(f"/vote/{vote.id}"))  # 1 of 7


def test_who_may_not_vote_on_the_phone(app, make_vote, hall, delegate_phone, other_congress,
                                       client):
    vote = make_vote()
    alternate = delegate_phone(hall["alternate"])
    assert "Vote now:" not in _text(alternate.get("/"))
    page = alternate.get(f"/vote/{vote.id}")
    refused = alternate.post(f"/vote/{vote.id}", data={
        "csrf_token": csrf_token_from(_text(page)), "choice": "for"})
    assert refused.status_code == 403 and "alternates" in _text(refused)
    absent = delegate_phone(hall["absent"][0])
    refused = absent.post(f"/vote/{vote.id}", data={
        "csrf_token": csrf_token_from(_text(absent.get("/"))), "choice": "for"})
    assert refused.status_code == 403 and "checked in" in _text(refused)
    from congress_app.models import Delegate
    stranger = db.session.scalar(select(Delegate).where(
        Delegate.congress_id == other_congress.id))
    outsider = delegate_phone(stranger)
    assert outsider.get(f"/vote/{vote.id}").status_code == 404
    no_token = delegate_phone(hall["present"][1]).post(f"/vote/{vote.id}",
                                                       data={"choice": "for"})
    assert no_token.status_code == 400
    anonymous = client.get(f"/vote/{vote.id}")
    assert anonymous.status_code == 302 and "/delegate/sign-in" in anonymous.headers["Location"]
    add_user("thuky2", Role.EDITOR, vote.item.session.congress)
    assert signed_in_client(app, "thuky2").get(f"/vote/{vote.id}").status_code == 403
    draft = make_vote(opened=False)
    assert delegate_phone(hall["present"][2]).get(f"/vote/{draft.id}").status_code == 404
    assert _ballots() == 0


# Who may open the organisers' pages ----------------------------------------------------------


def _ids(vote) -> dict:
    return {"vote_id": vote.id}


def test_anonymous_visitors_are_sent_to_sign_in(client, make_vote, hall):
    vote = make_vote()
    token = _token(client, "/login")
    for _endpoint, rule, method in ORGANISER_RULES:
        path = route_path(rule, _ids(vote))
        response = open_route(client, method, path, token)
        assert response.status_code == 302, (method, path)
        assert urlsplit(response.headers["Location"]).path == "/login"


def test_delegates_and_door_staff_are_refused(app, make_vote, hall, delegate_phone):
    vote = make_vote()
    add_user("door", Role.CHECKIN, vote.item.session.congress)
    for browser in (delegate_phone(hall["present"][0]), signed_in_client(app, "door")):
        token = csrf_token_from(_text(browser.get("/")))
        for _endpoint, rule, method in ORGANISER_RULES:
            path = route_path(rule, _ids(vote))
            assert open_route(browser, method, path, token).status_code == 403, (method, path)
    assert db.session.get(Vote, vote.id).state == VoteState.OPEN


# The projector ---------------------------------------------------------------------------


def test_the_projector_shows_the_live_count_then_the_result(client, congress, make_vote, hall):
    from congress_app.services import stage as stage_service

    client.set_cookie("lang", "en")
    item = congress.sessions[0].items[0]
    stage_service.set_on_stage(congress, item, None)
    vote = make_vote()
    vote_service.cast(vote, hall["present"][0], "for")
    first = client.get("/stage.json")
    live = first.get_json()["vote"]
    assert (live["voted"], live["present"]) == (1, PRESENT)
    assert live["label"] == f"Voted: 1 / {PRESENT}" and "result" not in live
    etag = first.headers["ETag"].strip('"')
    assert client.get("/stage.json", headers={"If-None-Match": etag}).status_code == 304
    vote_service.cast(vote, hall["present"][1], "against")
    moved = client.get("/stage.json", headers={"If-None-Match": etag})
    assert moved.status_code == 200 and moved.get_json()["vote"]["voted"] == 2
    assert f"Voted: 2 / {PRESENT}" in _text(client.get("/screen"))
    vote_service.close_vote(vote, None)
    result = client.get("/stage.json").get_json()["vote"]["result"]
    assert (result["for"], result["against"], result["base"], result["passed"]) == (
        1, 1, PRESENT, False)
    screen = _text(client.get("/screen"))
    assert "Not passed" in screen and "14.3%" in screen


def test_the_same_new_vote_form_sent_twice_makes_one_vote(editor, congress):
    page = _text(editor.get("/organiser/votes"))
    item = congress.sessions[0].items[0]
    once = re.search(rf'name="item_id" value="{item.id}">\s*<input type="hidden" '
                     r'name="once" value="([^"]+)"', page).group(1)
    form = {"csrf_token": csrf_token_from(page), "item_id": item.id, "once": once,
            "question": "Thông qua Chương trình", "method": "phones", "secret": "y"}
    first = editor.post("/organiser/votes/new", data=form)
    again = editor.post("/organiser/votes/new", data=form)
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    assert db.session.scalar(select(func.count(Vote.id))) == 1
    assert db.session.scalar(select(Vote)).secret is True
    empty = editor.post("/organiser/votes/new", data=form | {
        "once": re.findall(r'name="once" value="([^"]+)"', page)[1], "question": " "})
    assert empty.status_code == 400 and "Type the question" in _text(empty)
    assert db.session.scalar(select(func.count(Vote.id))) == 1


# Bad input, in Vietnamese: a clear message, the proper status, nothing changed ------------


def _snapshot(vote_id: int) -> tuple:
    """Everything a refused request could have changed: the vote's row, its ballots and a
    secret vote's counters."""
    from congress_app.models import VoteCount

    db.session.expire_all()
    vote = db.session.get(Vote, vote_id)
    ballots = db.session.execute(select(VoteBallot.delegate_id, VoteBallot.choice)
                                 .where(VoteBallot.vote_id == vote_id)
                                 .order_by(VoteBallot.delegate_id)).all()
    counters = db.session.execute(select(VoteCount.choice, VoteCount.count)
                                  .where(VoteCount.vote_id == vote_id)
                                  .order_by(VoteCount.choice)).all()
    return (vote.state, vote.for_count, vote.against_count, vote.abstain_count,
            vote.mismatch_reason, tuple(ballots), tuple(counters))


def _ballot_form(phone, vote_id: int, choice: str = "for", client_id: str = "") -> dict:
    page = _text(phone.get(f"/vote/{vote_id}"))
    return {"csrf_token": csrf_token_from(page), "choice": choice, "client_id": client_id}


def test_refused_ballots_say_why_in_vietnamese_and_change_nothing(
        app, make_vote, hall, delegate_phone, other_congress):
    from congress_app.models import Delegate

    vote = make_vote(secret=True)
    voter = delegate_phone(hall["present"][0], lang="vi")
    assert voter.post(f"/vote/{vote.id}", data=_ballot_form(voter, vote.id, "for", "a")
                      ).status_code == 302
    before = _snapshot(vote.id)

    twice = voter.post(f"/vote/{vote.id}", data=_ballot_form(voter, vote.id, "against", "b"))
    assert twice.status_code == 409
    assert "Đồng chí đã biểu quyết trong cuộc biểu quyết bí mật này; phiếu bí mật không " \
           "thể thay đổi." in _text(twice)

    alternate = delegate_phone(hall["alternate"], lang="vi")
    refused = alternate.post(f"/vote/{vote.id}", data=_ballot_form(alternate, vote.id))
    assert refused.status_code == 403
    assert "Chỉ đại biểu chính thức được biểu quyết; đại biểu dự khuyết và khách mời không " \
           "biểu quyết." in _text(refused)

    absent = delegate_phone(hall["absent"][0], lang="vi")
    refused = absent.post(f"/vote/{vote.id}", data=_ballot_form(absent, vote.id))
    assert refused.status_code == 403
    assert "Chỉ đại biểu đã điểm danh có mặt mới được biểu quyết. Vui lòng điểm danh ở cửa " \
           "trước." in _text(refused)

    stranger = db.session.scalar(select(Delegate).where(
        Delegate.congress_id == other_congress.id))
    outsider = delegate_phone(stranger, lang="vi")
    form = {"csrf_token": csrf_token_from(_text(outsider.get("/"))), "choice": "for"}
    refused = outsider.post(f"/vote/{vote.id}", data=form)
    assert refused.status_code == 404 and "Không có biểu quyết này." in _text(refused)

    late = delegate_phone(hall["present"][1], lang="vi")
    form = _ballot_form(late, vote.id)
    assert _snapshot(vote.id) == before
    vote_service.close_vote(db.session.get(Vote, vote.id), None)
    closed_before = _snapshot(vote.id)
    refused = late.post(f"/vote/{vote.id}", data=form)
    assert refused.status_code == 423
    assert "Biểu quyết này không đang diễn ra: không có gì được ghi nhận." in _text(refused)
    assert _snapshot(vote.id) == closed_before


@pytest.mark.parametrize(("counts", "status", "message"), [
    ({"for_count": "-1"}, 400, "Tán thành: hãy nhập một số nguyên, từ 0 trở lên."),
    ({"against_count": "ba"}, 400, "Không tán thành: hãy nhập một số nguyên, từ 0 trở lên."),
    ({"abstain_count": ""}, 400, "Không biểu quyết: hãy nhập một số nguyên, từ 0 trở lên."),
    ({"for_count": "8", "against_count": "0"}, 400,
     f"Số phiếu không thể vượt quá {PRESENT} đại biểu có mặt."),
    ({"for_count": "5", "against_count": "1"}, 409,
     f"Tổng số Tán thành, Không tán thành và Không biểu quyết là 6, nhưng có {PRESENT} đại "
     "biểu có mặt. Hãy đếm lại, hoặc xác nhận và ghi lý do."),
    ({"for_count": "5", "against_count": "1", "confirmed": "y", "reason": "  "}, 409,
     "hoặc xác nhận và ghi lý do."),
])
def test_refused_counts_of_a_show_of_hands_say_why_in_vietnamese(
        app, congress, make_vote, hall, counts, status, message):
    add_user("thukyvi", Role.EDITOR, congress)
    secretary = signed_in_client(app, "thukyvi", lang="vi")
    vote = make_vote(method=VoteMethod.HANDS)
    before = _snapshot(vote.id)
    form = {"csrf_token": _token(secretary), "for_count": "7", "against_count": "0",
            "abstain_count": "0"} | counts
    refused = secretary.post(f"/organiser/votes/{vote.id}/counts", data=form)
    assert refused.status_code == status
    assert message in _text(refused)
    assert _snapshot(vote.id) == before


def test_another_congress_s_organiser_cannot_touch_this_vote(
        app, make_vote, hall, other_congress):
    vote = make_vote(method=VoteMethod.HANDS)
    add_user("thukykhac", Role.EDITOR, other_congress)
    outsider = signed_in_client(app, "thukykhac", lang="vi")
    before = _snapshot(vote.id)
    token = _token(outsider)
    path = f"/organiser/votes/{vote.id}"
    assert outsider.get(path).status_code == 404
    for action, data in (("counts", {"for_count": "7", "against_count": "0",
                                     "abstain_count": "0"}),
                         ("close", {}), ("annul", {"reason": "Thử"})):
        response = outsider.post(f"{path}/{action}", data={"csrf_token": token, **data})
        assert response.status_code == 404, action
    assert _snapshot(vote.id) == before
