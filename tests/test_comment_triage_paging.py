"""The triage page of a big consultation: 50 comments to a page with the filters kept in the
page links and the forms, a bounded page number, and the counts polled from counts.json
(ETag, 304 while nothing moved), for the congress's organisers only."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import parse_qsl, urlsplit

import pytest

from congress_app.extensions import db
from congress_app.models import Congress, Role
from congress_app.services import comment_triage as triage
from congress_app.services import comments as comment_service

from .conftest import add_user, signed_in_client
from .test_comment_triage_pages import shown_count
from .triage_fixtures import write

EXTRA = 51  # with the fixture's 4 live comments: 55, one full page and 5 more
COUNTS = "/organiser/comments/counts.json"


@pytest.fixture
def many(congress, commented):
    """55 live comments: the fixture's 4 and 51 more, agreeing, by one more delegate."""
    from .conftest import add_delegate

    author = add_delegate(congress, number=31, full_name="Trần Văn Nhiều")
    extra = [write(congress, commented.draft, author, paragraph=2, stance="agree",
                   text=f"Ý kiến thêm số {n}.") for n in range(EXTRA)]
    return commented, extra


@pytest.fixture
def secretary(app, congress):
    add_user("thu-ky", Role.EDITOR, congress)
    return signed_in_client(app, "thu-ky")


def _shown(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<article class="card triage-entry" id="comment-(\d+)"',
                                       page)]


def _links(page: str, rel: str) -> list[str]:
    return [href.replace("&amp;", "&")
            for href in re.findall(rf'href="([^"]+)" rel="{rel}"', page)]


def _query(url: str) -> tuple[str, dict]:
    """A URL's path and its query as a dict, whatever the order of the arguments."""
    parts = urlsplit(url)
    return parts.path, dict(parse_qsl(parts.query))


def test_the_page_shows_50_comments_and_says_which(secretary, many):
    page = secretary.get("/organiser/comments/").get_data(as_text=True)
    assert len(_shown(page)) == 50
    assert "1–50 of 55" in page
    # The counts are of every live comment, not of the page.
    assert shown_count(page, "total") == "55 comments"
    assert shown_count(page, "stance-agree") == str(1 + EXTRA)
    (following,) = set(_links(page, "next"))
    assert following == "/organiser/comments/?page=2"
    second = secretary.get(following).get_data(as_text=True)
    assert "51–55 of 55" in second and len(_shown(second)) == 5
    assert not set(_shown(page)) & set(_shown(second))
    assert set(_links(second, "prev")) == {"/organiser/comments/"}
    assert _links(second, "next") == []


def test_the_page_links_and_forms_keep_the_filters(secretary, many):
    commented, extra = many
    page = secretary.get("/organiser/comments/?stance=agree&state=unclassified"
                         ).get_data(as_text=True)
    assert "1–50 of 52" in page
    (following,) = set(_links(page, "next"))
    assert _query(following) == ("/organiser/comments/", {
        "stance": "agree", "state": "unclassified", "page": "2"})
    second = secretary.get(following).get_data(as_text=True)
    assert "51–52 of 52" in second
    last = _shown(second)[-1]
    # A form on the second page comes back to it, filters included.
    action = re.search(rf'action="(/organiser/comments/{last}/classify[^"]*)"', second).group(1)
    action = action.replace("&amp;", "&")
    assert _query(action) == (f"/organiser/comments/{last}/classify", {
        "stance": "agree", "state": "unclassified", "page": "2"})
    token = re.search(rf'name="c{last}-csrf_token"[^>]*value="([^"]+)"', second).group(1)
    response = secretary.post(action, data={
        f"c{last}-csrf_token": token, f"c{last}-classification": "accepted",
        f"c{last}-response": "", f"c{last}-edit_version": "0"})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.endswith(f"#comment-{last}")
    assert _query(location.split("#")[0]) == ("/organiser/comments/", {
        "stance": "agree", "state": "unclassified", "page": "2"})


@pytest.mark.parametrize(("asked", "shown"), [
    ("999", "51–55 of 55"), ("99999999999999999999", "51–55 of 55"), ("0", "1–50 of 55"),
    ("-3", "1–50 of 55"), ("abc", "1–50 of 55"), ("2.5", "1–50 of 55"), ("", "1–50 of 55")])
def test_a_page_number_out_of_range_shows_the_nearest_page(secretary, many, asked, shown):
    response = secretary.get(f"/organiser/comments/?page={asked}")
    assert response.status_code == 200
    assert shown in response.get_data(as_text=True)


def test_no_match_says_so_without_a_page_line(secretary, many):
    page = secretary.get("/organiser/comments/?stance=partly&state=classified"
                         ).get_data(as_text=True)
    assert "No comments match." in page and "triage-pages" not in page


# The counts, polled ---------------------------------------------------------------------


def test_the_counts_json_says_what_the_page_says_and_304_while_nothing_moved(
        app, secretary, congress, commented, organiser):
    response = secretary.get(COUNTS)
    assert response.status_code == 200
    assert response.json == {
        "total": 4, "total_label": "4 comments",
        "stances": {"agree": 1, "disagree": 2, "partly": 1},
        "classifications": {"accepted": 0, "explained": 0, "not_accepted": 0,
                            "already_in_draft": 0, "none": 4}}
    etag = response.headers["ETag"]
    assert "private" in response.headers["Cache-Control"]
    unchanged = secretary.get(COUNTS, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.data == b""

    # Another secretary answers and merges: the counts move, and so does the tag.
    triage.classify(congress, commented.wording, classification="accepted", response="",
                    user=organiser)
    triage.mark_duplicate(congress, commented.same, original_id=commented.wording.id,
                          user=organiser)
    moved = secretary.get(COUNTS, headers={"If-None-Match": etag})
    assert moved.status_code == 200 and moved.headers["ETag"] != etag
    assert moved.json["classifications"]["accepted"] == 2  # the duplicate counts with it
    assert moved.json["classifications"]["none"] == 2
    page = secretary.get("/organiser/comments/").get_data(as_text=True)
    assert shown_count(page, "answer-accepted") == "2"


def test_counts_follow_withdrawn_comments_and_the_language(app, secretary, congress,
                                                          commented, organiser):
    triage.classify(congress, commented.wording, classification="accepted", response="",
                    user=organiser)
    triage.mark_duplicate(congress, commented.same, original_id=commented.wording.id,
                          user=organiser)
    # The original withdrawn: it is counted nowhere, and frees its duplicate (unanswered).
    comment_service.withdraw_comment(congress, commented.authors[0], commented.wording)
    tally = triage.counts(congress)
    assert tally.total == 3 and tally.classifications[None] == 3
    assert (tally.stances, tally.classifications) == (
        triage.board(congress).stance_counts, triage.board(congress).classification_counts)
    secretary.set_cookie("lang", "vi")
    assert secretary.get(COUNTS).json["total_label"] == "3 ý kiến"


def test_the_counts_are_the_organisers_own_congress_s(app, client, congress, commented):
    assert client.get(COUNTS).status_code == 302  # to the sign-in page
    other = Congress(slug="ben-canh", title="Đại hội Đảng bộ xã Bên Cạnh",
                     organisation="Đảng bộ xã Bên Cạnh", starts_on=date(2025, 7, 24),
                     ends_on=date(2025, 7, 24))
    db.session.add(other)
    db.session.commit()
    add_user("editor-b", Role.EDITOR, other)
    assert signed_in_client(app, "editor-b").get(COUNTS).json["total"] == 0
