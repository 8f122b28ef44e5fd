"""Hostile input to the comment forms, sent by a signed-in delegate: no answer is a 5xx, and
whatever is stored keeps the rules (a stance, a reason for "disagree", the stated limits,
one comment per client id). CSRF is off: the fuzz is about what the views do with values.

    FUZZ_EXAMPLES=300 pytest -q tests/test_comments_fuzz.py -p no:cacheprovider
"""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from congress_app.extensions import db
from congress_app.models import Comment, Stance
from congress_app.services import comments as comment_service

from .conftest import add_delegate
from .fuzz_strategies import HOSTILE_TEXT, NUMBERS
from .fuzzing import fuzz_settings

STANCES = st.one_of(st.sampled_from([s.value for s in Stance]), HOSTILE_TEXT)
CLIENT_IDS = st.one_of(st.uuids().map(str), st.just(str(uuid.UUID(int=1))), HOSTILE_TEXT)
PARAGRAPHS = st.one_of(st.sampled_from(["", "1", "2", "4"]), st.sampled_from(NUMBERS))


@pytest.fixture
def phone(app, congress, draft, open_comments, delegate_phone):
    open_comments(draft)
    author = add_delegate(congress, number=12, full_name="Trần Văn Bình")
    app.config["WTF_CSRF_ENABLED"] = False
    return delegate_phone(author)


def _stored_comments_keep_the_rules() -> None:
    db.session.expire_all()
    for comment in db.session.scalars(select(Comment)):
        assert comment.stance in set(Stance)
        assert len(comment.text) <= comment_service.TEXT_MAX
        assert len(comment.proposed_wording) <= comment_service.WORDING_MAX
        assert comment.text or comment.stance != Stance.DISAGREE
        assert str(uuid.UUID(comment.client_id)) == comment.client_id
        assert comment.paragraph is None or 1 <= comment.paragraph <= 4


@given(paragraph=PARAGRAPHS, stance=STANCES, text=HOSTILE_TEXT, wording=HOSTILE_TEXT,
       client_id=CLIENT_IDS)
@fuzz_settings(examples=40)
def test_hostile_comments_never_break_the_form(phone, draft, paragraph, stance, text, wording,
                                               client_id):
    path = f"/d/{draft.code}/comment" + (f"/{paragraph}" if paragraph else "")
    response = phone.post(path, data={"stance": stance, "text": text,
                                      "proposed_wording": wording, "client_id": client_id})
    assert response.status_code < 500, (path, response.status_code)
    if response.status_code == 302:
        assert response.headers["Location"].startswith(f"/d/{draft.code}?mode=text")
    _stored_comments_keep_the_rules()


@given(stance=STANCES, text=HOSTILE_TEXT, edit_version=HOSTILE_TEXT)
@fuzz_settings(examples=25)
def test_hostile_edits_never_break_the_edit_form(phone, draft, stance, text, edit_version):
    sent = phone.post(f"/d/{draft.code}/comment/2",
                      data={"stance": "agree", "client_id": str(uuid.uuid4())})
    assert sent.status_code == 302
    comment = db.session.scalars(select(Comment).order_by(Comment.id.desc())).first()
    response = phone.post(f"/delegate/comments/{comment.id}/edit",
                          data={"stance": stance, "text": text, "edit_version": edit_version})
    assert response.status_code < 500, response.status_code
    _stored_comments_keep_the_rules()
