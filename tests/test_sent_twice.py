"""Back, then Save again (or a double tap): a "new …" form sent twice makes one thing, and
the second sending shows what the first one made."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from congress_app.extensions import db
from congress_app.models import AgendaItem, CongressSession, Document, FormSubmission

from .conftest import csrf_token_from


def _form(client, path: str) -> dict:
    """The hidden fields of the form as the page rendered it: what Back shows again."""
    html = client.get(path).get_data(as_text=True)
    once = re.search(r'name="once" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="once" value="([^"]+)"', html)
    assert once, "the form carries no one-time token"
    return {"csrf_token": csrf_token_from(html), "once": once.group(1)}


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_session_form_sent_twice_adds_one_session(client, signed_in, congress):
    data = {**_form(client, "/organiser/sessions/new"), "name": "Phiên bế mạc",
            "date": "2025-07-23", "starts_at": "14:00"}
    before = _count(CongressSession)
    first = client.post("/organiser/sessions/new", data=data)
    second = client.post("/organiser/sessions/new", data=data)
    assert _count(CongressSession) == before + 1
    assert first.status_code == second.status_code == 302
    assert second.location == first.location  # to the session the first one made
    page = client.get(second.location).get_data(as_text=True)
    assert "nothing was added twice" in page


def test_an_item_form_sent_twice_adds_one_item(client, signed_in, congress):
    session = congress.sessions[0]
    path = f"/organiser/sessions/{session.id}/items/new"
    data = {**_form(client, path), "session": str(session.id), "title": "Bế mạc",
            "starts_at": "11:00", "presenter": "", "notes": ""}
    before = _count(AgendaItem)
    first = client.post(path, data=data)
    second = client.post(path, data=data)
    assert _count(AgendaItem) == before + 1
    assert second.status_code == 302 and second.location == first.location


def test_an_upload_sent_twice_adds_one_document(client, signed_in, congress, pdf_bytes):
    fields = {**_form(client, "/organiser/documents/new"), "title": "Báo cáo chính trị",
              "category": "political_report", "visibility": "public"}

    def send():
        return client.post("/organiser/documents/new", content_type="multipart/form-data",
                           data={**fields, "file": (io.BytesIO(pdf_bytes("x")), "bc.pdf")})

    first, second = send(), send()
    assert _count(Document) == 1
    assert second.status_code == 302 and second.location == first.location


def test_a_refused_form_can_be_corrected_and_sent_with_the_same_token(client, signed_in,
                                                                       congress):
    session = congress.sessions[0]
    path = f"/organiser/sessions/{session.id}/items/new"
    data = {**_form(client, path), "session": str(session.id), "starts_at": "", "notes": "",
            "presenter": ""}
    before = _count(AgendaItem)
    assert client.post(path, data={**data, "title": ""}).status_code == 400
    assert _count(FormSubmission) == 0  # the refusal released the token
    assert client.post(path, data={**data, "title": "Bế mạc"}).status_code == 302
    assert _count(AgendaItem) == before + 1


def test_a_second_sending_while_the_first_is_saving_is_refused(client, signed_in, congress):
    data = {**_form(client, "/organiser/sessions/new"), "name": "Phiên bế mạc"}
    db.session.add(FormSubmission(token=data["once"], object_type="session"))
    db.session.commit()
    before = _count(CongressSession)
    response = client.post("/organiser/sessions/new", data=data)
    assert response.status_code == 409
    assert "being saved already" in response.get_data(as_text=True)
    assert _count(CongressSession) == before


@pytest.mark.parametrize("token", ["short", "x" * 65, "bad token with spaces!!!!!!"])
def test_a_damaged_token_is_refused(client, signed_in, congress, token):
    data = {**_form(client, "/organiser/sessions/new"), "name": "Phiên bế mạc", "once": token}
    before = _count(CongressSession)
    response = client.post("/organiser/sessions/new", data=data)
    assert response.status_code == 400
    assert _count(CongressSession) == before
