"""Now on stage: the organisers' control, /stage.json for phones, and the projector."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, time

import pytest
from sqlalchemy import func, select

from congress_app.extensions import db
from congress_app.models import AgendaItem, AuditEvent, Role
from congress_app.services import agenda as agenda_service
from congress_app.services import congress as congress_service
from congress_app.services import stage as stage_service

from .conftest import add_user, csrf_token_from
from .threads import join_all

HOSTILE = '<script>alert("x")</script> & <b>bold</b>'


@pytest.fixture
def items(congress):
    """The two items of the congress fixture, plus a third, in programme order."""
    session = congress.sessions[0]
    session.items.append(AgendaItem(position=3, starts_at=time(9, 0), title="Thảo luận",
                                    presenter="Đoàn Chủ tịch"))
    db.session.commit()
    return stage_service.programme_order(congress)


def flagged():
    """Titles of the items flagged on stage, read fresh from the database."""
    db.session.expire_all()
    return list(db.session.scalars(select(AgendaItem.title).where(AgendaItem.on_stage)))


def tap(client, path):
    """Press a button of the control page: read its CSRF token off the page, post the form."""
    token = csrf_token_from(client.get("/organiser/stage").get_data(as_text=True))
    return client.post(path, data={"csrf_token": token})


# The control page ----------------------------------------------------------------------


def test_the_control_page_shows_the_programme_and_the_buttons(client, signed_in, items):
    html = client.get("/organiser/stage").get_data(as_text=True)
    for label in ("Next item", "Previous", "Put this item on stage"):
        assert label in html
    for item in items:
        assert f'action="/organiser/stage/item/{item.id}"' in html
    assert "Clear (follow the clock)" not in html  # nothing chosen yet


def test_next_previous_set_and_clear_through_the_control_page(client, signed_in, items):
    first, second, third = items
    # Long after the congress: by the clock nothing is on stage, so "next" starts at the top.
    response = tap(client, "/organiser/stage/next")
    assert response.status_code == 302 and response.location.endswith("/organiser/stage")
    assert flagged() == [first.title]

    tap(client, "/organiser/stage/next")
    assert flagged() == [second.title]
    tap(client, "/organiser/stage/previous")
    assert flagged() == [first.title]

    tap(client, f"/organiser/stage/item/{third.id}")
    assert flagged() == [third.title]
    page = client.get("/organiser/stage").get_data(as_text=True)
    assert "On stage now: Thảo luận" in page
    assert re.search(rf'class="stage-item is-now" id="item-{third.id}"', page)

    tap(client, "/organiser/stage/next")  # already the last item: nothing moves
    assert flagged() == [third.title]
    assert "This is the last item of the programme." in client.get(
        "/organiser/stage").get_data(as_text=True)

    tap(client, "/organiser/stage/clear")
    assert flagged() == []
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-5:] == ["stage.set", "stage.set", "stage.set", "stage.set", "stage.clear"]


def test_a_post_without_the_csrf_token_changes_nothing(client, signed_in, items):
    assert client.post("/organiser/stage/next").status_code == 400
    assert flagged() == []


def test_an_item_of_no_congress_is_404(client, signed_in, items):
    assert tap(client, "/organiser/stage/item/9999").status_code == 404
    assert tap(client, "/organiser/stage/sideways").status_code == 404


@pytest.mark.parametrize("path", ["/organiser/stage", "/organiser/stage/next",
                                  "/organiser/stage/previous", "/organiser/stage/clear"])
def test_anonymous_visitors_are_sent_to_sign_in(client, items, path):
    if path == "/organiser/stage":
        response = client.get(path)
    else:  # with a valid token from the login form: still refused
        token = csrf_token_from(client.get("/login").get_data(as_text=True))
        response = client.post(path, data={"csrf_token": token})
    assert response.status_code == 302 and "/login" in response.location
    assert flagged() == []


def test_a_check_in_account_may_not_use_the_control(client, auth, items):
    add_user("door", Role.CHECKIN)
    auth.login("door", "pass word")
    assert client.get("/organiser/stage").status_code == 403
    token = csrf_token_from(client.get("/").get_data(as_text=True))  # the sign-out form
    for path in ("/organiser/stage/next", f"/organiser/stage/item/{items[0].id}",
                 "/organiser/stage/clear"):
        assert client.post(path, data={"csrf_token": token}).status_code == 403
    assert flagged() == []


# At most one item on stage --------------------------------------------------------------


def test_setting_an_item_clears_every_other_flag(app, organiser, items):
    congress = congress_service.first_congress()
    for item in items:  # as if an old bug or a hand edit had left several flagged
        item.on_stage = True
    db.session.commit()
    stage_service.set_on_stage(congress, items[1], organiser)
    assert flagged() == [items[1].title]


def test_two_organisers_tapping_at_once_leave_one_item_on_stage(app, items):
    """Each thread has its own app context, database session and SQLite connection."""
    rounds, errors = 10, []

    def organiser_taps(barrier, direction, index):
        try:
            with app.app_context():
                congress = congress_service.first_congress()
                ordered = stage_service.programme_order(congress)
                barrier.wait(5)
                if direction == "set":
                    stage_service.set_on_stage(congress, ordered[index], None)
                else:
                    current = congress_service.on_stage(
                        congress, datetime(2025, 7, 1, tzinfo=UTC)).current
                    stage_service.step(congress, direction, None, current)
                db.session.remove()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    for n in range(rounds):
        barrier = threading.Barrier(2)
        plan = [("set", 0), ("set", 2)] if n % 2 else [("next", 0), ("next", 0)]
        threads = [threading.Thread(target=organiser_taps, args=(barrier, d, i)) for d, i in plan]
        for thread in threads:
            thread.start()
        join_all(threads, 10)
        assert not errors
        assert len(flagged()) == 1
        assert db.session.scalar(
            select(func.count()).select_from(AgendaItem).where(AgendaItem.on_stage)) == 1


# /stage.json ------------------------------------------------------------------------------


def test_stage_json_says_what_is_on_stage_and_next(client, organiser, items, make_document):
    public = make_document(title="Báo cáo chính trị")
    hidden = make_document(title="Danh sách nhân sự", visibility="delegates")
    agenda_service.link_document(items[1], public)
    agenda_service.link_document(items[1], hidden)
    stage_service.set_on_stage(congress_service.first_congress(), items[1], organiser)

    data = client.get("/stage.json").get_json()
    assert data["current"]["id"] == items[1].id
    assert data["current"]["title"] == "Báo cáo chính trị"
    assert data["current"]["presenter"] == "Bí thư Đảng ủy phường"
    assert data["current"]["starts_at"] == "08:00"
    assert [d["code"] for d in data["current"]["documents"]] == [public.code]
    assert data["current"]["documents"][0]["qr"] == f"/d/{public.code}/qr.svg"
    assert data["next"]["id"] == items[2].id and data["next"]["day"] == ""
    assert data["version"]


def test_stage_json_answers_304_until_the_stage_moves(client, organiser, items):
    congress = congress_service.first_congress()
    first = client.get("/stage.json")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache"
    again = client.get("/stage.json", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""

    stage_service.set_on_stage(congress, items[0], organiser)
    moved = client.get("/stage.json", headers={"If-None-Match": etag})
    assert moved.status_code == 200 and moved.headers["ETag"] != etag
    assert moved.get_json()["current"]["id"] == items[0].id

    stage_service.set_on_stage(congress, None, organiser)
    cleared = client.get("/stage.json", headers={"If-None-Match": moved.headers["ETag"]})
    assert cleared.status_code == 200 and cleared.get_json()["current"] is None


# The delegate's pages ----------------------------------------------------------------------


def test_home_and_programme_show_the_organisers_choice(client, organiser, items):
    stage_service.set_on_stage(congress_service.first_congress(), items[2], organiser)
    client.set_cookie("lang", "en")
    home = client.get("/").get_data(as_text=True)
    assert re.search(r'<p class="now-title">Thảo luận</p>', home)
    assert 'id="stage-live"' in home and "js/stage.js" in home
    programme = client.get("/programme").get_data(as_text=True)
    assert f'class="item is-now" id="item-{items[2].id}"' in programme
    assert programme.count('class="item is-now"') == 1
    assert '"mode": "programme"' in programme and '"now": "Now"' in programme


# The projector -----------------------------------------------------------------------------


def test_the_screen_shows_the_item_and_only_its_public_qr_codes(
    client, organiser, items, make_document
):
    public = make_document(title="Báo cáo chính trị")
    second = make_document(title="Báo cáo kiểm điểm")
    delegates_only = make_document(title="Danh sách nhân sự", visibility="delegates")
    draft = make_document(title="Dự thảo nghị quyết", published=False)
    elsewhere = make_document(title="Tài liệu khác")
    for document in (public, delegates_only, draft, second):
        agenda_service.link_document(items[1], document)
    agenda_service.link_document(items[0], elsewhere)
    stage_service.set_on_stage(congress_service.first_congress(), items[1], organiser)

    client.set_cookie("lang", "en")
    html = client.get("/screen").get_data(as_text=True)
    assert "Báo cáo chính trị" in html and "Bí thư Đảng ủy phường" in html
    assert "Thảo luận" in html  # next up
    images = re.findall(r'<img src="(/d/[^"]+/qr\.svg)"', html)
    assert images == [f"/d/{public.code}/qr.svg", f"/d/{second.code}/qr.svg"]
    for hidden in (delegates_only, draft, elsewhere):
        assert hidden.code not in html and hidden.title not in html
    assert client.get(images[0]).status_code == 200  # a stranger's phone can open it


def test_the_screen_with_nothing_on_stage_shows_the_congress(client, congress):
    client.set_cookie("lang", "en")
    # The congress fixture is in 2025: by the clock today, nothing is on stage.
    html = client.get("/screen").get_data(as_text=True)
    assert congress.title in html and congress.motto in html
    assert "22 Jul 2025 – 23 Jul 2025" in html
    assert "<img" not in html


def test_a_hostile_title_is_escaped_everywhere(client, signed_in, items, make_document):
    items[0].title = HOSTILE
    items[0].presenter = HOSTILE
    db.session.commit()
    document = make_document(title=HOSTILE)
    agenda_service.link_document(items[0], document)
    stage_service.set_on_stage(congress_service.first_congress(), items[0], None)

    for path in ("/", "/programme", "/screen", "/organiser/stage"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<b>bold</b>" not in html, path
        assert "&lt;script&gt;alert" in html, path
    data = client.get("/stage.json").get_json()
    assert data["current"]["title"] == HOSTILE  # data stays data; stage.js uses textContent


def test_stage_js_never_writes_html():
    from congress_app.config import ROOT

    script = (ROOT / "static" / "js" / "stage.js").read_text()
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script
    assert "outerHTML" not in script and "document.write" not in script


def _press_as_seen(client, direction: str):
    """Press Next/Previous with the form exactly as the control page rendered it (its CSRF
    token and the item it showed on stage), without posting it yet."""
    html = client.get("/organiser/stage").get_data(as_text=True)
    form = html[html.index(f'action="/organiser/stage/{direction}"'):]
    seen = re.search(r'name="seen" value="([^"]*)"', form).group(1)
    return {"csrf_token": csrf_token_from(html), "seen": seen}


def test_two_controllers_pressing_next_on_the_same_page_move_one_item(client, signed_in,
                                                                      items):
    first, second, third = items
    tap(client, f"/organiser/stage/item/{first.id}")
    mine = _press_as_seen(client, "next")
    theirs = _press_as_seen(client, "next")  # a second phone showing the same stage

    assert client.post("/organiser/stage/next", data=theirs).status_code == 302
    assert flagged() == [second.title]
    stale = client.post("/organiser/stage/next", data=mine)
    assert stale.status_code == 409
    assert "already moved on to “Báo cáo chính trị”" in stale.get_data(as_text=True)
    assert flagged() == [second.title]  # not skipped to the third item


def test_a_stale_press_when_nothing_was_on_stage_says_so(client, signed_in, items):
    first, _second, _third = items
    mine = _press_as_seen(client, "next")
    assert mine["seen"] == ""
    tap(client, f"/organiser/stage/item/{first.id}")
    stale = client.post("/organiser/stage/next", data=mine)
    assert stale.status_code == 409
    assert flagged() == [first.title]


@pytest.mark.parametrize("seen", ["abc", "²", "9" * 40])
def test_a_malformed_seen_item_is_refused(client, signed_in, items, seen):
    data = _press_as_seen(client, "next")
    assert client.post("/organiser/stage/next", data={**data, "seen": seen}).status_code == 400
    assert flagged() == []
