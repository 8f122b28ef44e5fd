"""Present now, live: the organisers' dashboard shows the head count of the clock's session
(official delegates checked in and not checked out, against those convened) and follows
attendance.json; the credentials committee's projector page follows figures.json. Both
answer 304 while nothing moved, so a screen left open costs one small query a poll."""

from __future__ import annotations

import re

import pytest

from congress_app.models import DelegateKind
from congress_app.services import attendance

from .conftest import add_delegates

DASHBOARD = "/organiser/"
FIGURES = "/organiser/credentials/figures.json"
SCREEN = "/organiser/credentials/screen"


@pytest.fixture
def door(congress, organiser):
    """Five official delegates and an alternate: three officials and the alternate in, one
    of the three checked out again (left early)."""
    officials = add_delegates(congress, 5)
    alternate = add_delegates(congress, 1, start=6, kind=DelegateKind.ALTERNATE)[0]
    for delegate in [*officials[:3], alternate]:
        attendance.check_in(delegate)
    attendance.check_out(congress, officials[2].number, organiser, attendance.CLOCK)
    return officials


def _card(html: str) -> str:
    return html.split('id="present-now"', 1)[1].split("</section>", 1)[0]


def test_the_dashboard_shows_who_is_present_now(client, signed_in, congress, door):
    card = _card(client.get(DASHBOARD).get_data(as_text=True))
    # Two officials present (the alternate never counts, the early leaver no longer does),
    # against the 168 convened; the session is the one the clock says is on.
    assert '<strong data-field="present">2</strong>' in card
    assert '<span data-field="base">168</span>' in card
    assert "Phiên chính thức" in card and 'href="/checkin/attendance"' in card
    assert attendance.head_count(congress)[0] == len(attendance.present_now(congress)) == 2


def test_the_dashboard_s_version_is_attendance_json_s_so_the_first_poll_is_a_304(
        client, signed_in, congress, door):
    card = _card(client.get(DASHBOARD).get_data(as_text=True))
    etag = re.search(r'data-etag="([^"]+)"', card).group(1).replace("&#34;", '"')
    url = re.search(r'data-url="([^"]+)"', card).group(1)
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    attendance.check_in(door[3])
    moved = client.get(url, headers={"If-None-Match": etag})
    assert moved.status_code == 200 and moved.headers["ETag"] != etag
    assert moved.get_json()["present"] == 3 and moved.get_json()["base"] == 168
    assert '<strong data-field="present">3</strong>' in _card(
        client.get(DASHBOARD).get_data(as_text=True))


def test_the_dashboard_script_is_served_from_the_app(client, signed_in, door):
    page = client.get(DASHBOARD).get_data(as_text=True)
    assert '<script src="/static/js/dashboard.js" defer></script>' in page
    script = client.get("/static/js/dashboard.js")
    assert script.status_code == 200 and b"If-None-Match" in script.get_data()


def test_the_credentials_figures_follow_the_door(client, signed_in, congress, door):
    page = client.get(SCREEN).get_data(as_text=True)
    version = re.search(r'"version": "([0-9a-f]+)"', page).group(1)
    assert '<script src="/static/js/credentials.js" defer></script>' in page
    first = client.get(FIGURES)
    assert first.status_code == 200 and first.headers["ETag"] == f'"{version}"'
    assert first.headers["Cache-Control"] == "no-cache, private"
    html = first.get_json()["html"]
    assert '<p class="cred-big"><strong>2</strong>' in html and html in page
    assert client.get(FIGURES, headers={"If-None-Match": f'"{version}"'}).status_code == 304

    attendance.check_in(door[3])
    moved = client.get(FIGURES, headers={"If-None-Match": f'"{version}"'})
    assert moved.status_code == 200 and moved.headers["ETag"] != f'"{version}"'
    assert '<p class="cred-big"><strong>3</strong>' in moved.get_json()["html"]


def test_the_figures_speak_the_organiser_s_language(client, sign_in_as, congress, door):
    from congress_app.models import Role

    sign_in_as(Role.EDITOR, "bien-tap", lang=None)
    html = client.get(FIGURES).get_json()["html"]
    assert "Đại biểu chính thức có mặt" in html


def test_the_dashboard_card_speaks_vietnamese(client, sign_in_as, congress, door):
    from congress_app.models import Role

    sign_in_as(Role.EDITOR, "bien-tap", lang=None)
    card = _card(client.get(DASHBOARD).get_data(as_text=True))
    assert "Có mặt hiện nay" in card and "đại biểu chính thức có mặt" in card
    assert 'data-none="Toàn Đại hội"' in card
