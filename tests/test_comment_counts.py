"""“Ý kiến đã nhận: N” while a document takes comments: on the organisers' dashboard, and on
the hall's projector, whose polled /stage.json carries the live count (and changes its ETag
when a comment arrives or is withdrawn)."""

from __future__ import annotations

import io
import re

import pytest

from congress_app.models import Visibility
from congress_app.services import comments as comment_service
from congress_app.services import intake

from .comments_fixtures import DRAFT_TITLE
from .conftest import add_delegate
from .triage_fixtures import write


def _counts_shown(html: str) -> dict[str, str]:
    """What each `data-comment-count` element says, by document code."""
    return dict(re.findall(r'data-comment-count="([^"]+)">([^<]*)<', html))


@pytest.fixture
def hidden_draft(congress, draft_pdf, open_comments):
    """A delegates-only draft taking comments: the organisers count it, the hall does not."""
    document = intake.create_document(
        congress, title="Dự thảo Nghị quyết (nội bộ)", category="draft_resolution",
        upload=intake.Upload(io.BytesIO(draft_pdf), "du-thao-nghi-quyet.pdf"),
        visibility=Visibility.DELEGATES)
    open_comments(document)
    return document


def test_the_dashboard_counts_the_comments_of_each_open_document(
        client, signed_in, commented, hidden_draft):
    client.set_cookie("lang", "vi")
    html = client.get("/organiser/").get_data(as_text=True)
    # Five comments on the draft, one of them withdrawn: four received.
    assert _counts_shown(html) == {commented.draft.code: "Ý kiến đã nhận: 4",
                                   hidden_draft.code: "Ý kiến đã nhận: 0"}
    assert DRAFT_TITLE in html


def test_the_dashboard_stops_counting_once_comments_close(client, signed_in, commented,
                                                          organiser):
    window = comment_service.window_of(commented.draft)
    comment_service.close_window(commented.draft.congress, window, user=organiser)
    html = client.get("/organiser/").get_data(as_text=True)
    assert _counts_shown(html) == {}


def test_the_projector_shows_the_live_count_of_public_drafts_only(
        client, commented, hidden_draft):
    client.set_cookie("lang", "vi")
    html = client.get("/screen").get_data(as_text=True)
    assert _counts_shown(html) == {commented.draft.code: "Ý kiến đã nhận: 4"}
    assert f'data-comments="{commented.draft.code}"' in html
    assert hidden_draft.title not in html


def test_stage_json_carries_the_counts_and_its_etag_follows_them(client, congress, commented):
    client.set_cookie("lang", "en")
    first = client.get("/stage.json")
    etag = first.headers["ETag"]
    assert first.get_json()["comments"] == [{
        "code": commented.draft.code, "title": DRAFT_TITLE, "count": 4,
        "label": "Comments received: 4"}]
    assert client.get("/stage.json", headers={"If-None-Match": etag}).status_code == 304

    # A comment written: the phone's next poll gets the new count, under a new ETag.
    write(congress, commented.draft, add_delegate(congress, number=31), paragraph=None,
          stance="agree", text="")
    moved = client.get("/stage.json", headers={"If-None-Match": etag})
    assert moved.status_code == 200 and moved.headers["ETag"] != etag
    assert moved.get_json()["comments"][0]["count"] == 5

    # Withdrawn again: counted out, and the ETag moves once more.
    comment_service.withdraw_comment(congress, commented.authors[0], commented.wording)
    again = client.get("/stage.json", headers={"If-None-Match": moved.headers["ETag"]})
    assert again.status_code == 200 and again.headers["ETag"] != moved.headers["ETag"]
    assert again.get_json()["comments"][0]["count"] == 4


def test_without_open_comments_stage_json_lists_none(client, congress):
    assert client.get("/stage.json").get_json()["comments"] == []
    assert "data-comment-count" not in client.get("/screen").get_data(as_text=True)


def test_a_closed_congress_shows_no_live_count(client, congress, commented):
    from congress_app.services import closing

    closing.close(congress)
    assert client.get("/stage.json").get_json()["comments"] == []
