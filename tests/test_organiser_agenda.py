"""Organisers edit the congress details and build the agenda: sessions, items, documents."""

from __future__ import annotations

import re
from datetime import date, time

import pytest
from sqlalchemy import func, select

from congress_app.extensions import db
from congress_app.models import AgendaItem, AuditEvent, Congress, CongressSession
from congress_app.services import agenda as agenda_service

from .samples import CONGRESS_FORM


def _fresh(model, id_):
    db.session.expire_all()  # the requests ran in their own sessions
    return db.session.get(model, id_)


def _session_named(name: str) -> CongressSession:
    db.session.expire_all()
    return db.session.scalar(select(CongressSession).where(CongressSession.name == name))


def _item_titled(title: str) -> AgendaItem:
    db.session.expire_all()
    return db.session.scalar(select(AgendaItem).where(AgendaItem.title == title))


def _titles(session: CongressSession) -> list[str]:
    db.session.expire_all()
    return [item.title for item in _fresh(CongressSession, session.id).items]


def _snapshot() -> tuple:
    """The whole programme and the audit trail, to prove a refused form changed nothing."""
    db.session.expire_all()
    congress = db.session.scalar(select(Congress))
    return (
        {c.key: getattr(congress, c.key) for c in Congress.__table__.columns
         if c.key != "updated_at"},
        [(s.id, s.name, s.date, s.starts_at, s.ends_at, s.position,
          [(i.id, i.title, i.starts_at, i.position, [lk.document_id for lk in i.document_links])
           for i in s.items])
         for s in congress.sessions],
        db.session.scalar(select(func.count(AuditEvent.id))),
    )


def _cases(*rows):
    """(field, value, message) rows with readable ids: long values shown by their length."""
    return [
        pytest.param(*row, id=f"{row[0]}={row[1] if len(row[1]) <= 20 else len(row[1])}")
        for row in rows
    ]


# The congress details ----------------------------------------------------------------

def test_editing_the_congress_details_changes_the_home_page(client, signed_in):
    response = signed_in.post("/organiser/congress", CONGRESS_FORM)
    assert response.status_code == 302
    congress = db.session.scalar(select(Congress))
    db.session.refresh(congress)
    assert (congress.venue, congress.delegates_expected, congress.members_represented) == (
        "Trung tâm Hội nghị quận", 170, 7700)
    assert "Trung tâm Hội nghị quận" in client.get("/").get_data(as_text=True)


def test_the_congress_form_opens_filled_in(client, signed_in):
    html = client.get("/organiser/congress").get_data(as_text=True)
    assert 'value="2025-07-22"' in html and 'value="Hội trường lớn"' in html


@pytest.mark.parametrize(("field", "value", "message"), _cases(
    ("title", "  ", "Enter the title of the congress."),
    ("title", "Đ" * 301, "This is too long (at most 300 characters)."),
    ("organisation", "", "Enter the organisation holding the congress."),
    ("starts_on", "", "Enter the first day of the congress."),
    ("starts_on", "22/13/2025", "Enter a date such as 2025-07-22."),
    ("ends_on", "2025-07-21", "The last day cannot be before the first day."),
    ("ends_on", "2025-07-22", "is on 23/07/2025, outside these dates"),
    ("delegates_expected", "-5", "Enter a whole number of 0 or more."),
    ("members_represented", "nhiều", "Enter a whole number of 0 or more."),
))
def test_congress_details_are_validated(client, signed_in, field, value, message):
    before = _snapshot()
    response = signed_in.post("/organiser/congress", {**CONGRESS_FORM, field: value})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _snapshot() == before


# Sessions and items ------------------------------------------------------------------


def test_building_the_agenda_step_by_step(client, signed_in, congress, make_document):
    report, resolution = make_document(title="Báo cáo chính trị"), make_document(
        title="Dự thảo Nghị quyết", category="draft_resolution")

    response = signed_in.post("/organiser/sessions/new", {
        "name": "Phiên bế mạc", "date": "2025-07-23", "starts_at": "14:00", "ends_at": "16:30"})
    assert response.status_code == 302
    session = _session_named("Phiên bế mạc")
    assert (session.date, session.starts_at, session.ends_at) == (
        date(2025, 7, 23), time(14, 0), time(16, 30))
    assert response.headers["Location"].endswith(f"/organiser/agenda#session-{session.id}")

    for start, title in [("14:00", "Thông qua Nghị quyết"), ("15:30", "Bế mạc")]:
        response = signed_in.post(f"/organiser/sessions/{session.id}/items/new", {
            "session": session.id, "starts_at": start, "title": title})
        assert response.status_code == 302
    assert _titles(session) == ["Thông qua Nghị quyết", "Bế mạc"]

    closing = _item_titled("Bế mạc")
    response = signed_in.post(f"/organiser/items/{closing.id}/edit", {
        "session": session.id, "starts_at": "16:00", "title": "Bế mạc Đại hội",
        "presenter": "Đoàn Chủ tịch", "notes": "Chào cờ, hát Quốc tế ca"})
    assert response.status_code == 302
    closing = _fresh(AgendaItem, closing.id)
    assert (closing.title, closing.starts_at, closing.presenter) == (
        "Bế mạc Đại hội", time(16, 0), "Đoàn Chủ tịch")

    assert signed_in.post(f"/organiser/items/{closing.id}/move",
                          {"direction": "up"}).status_code == 302
    assert _titles(session) == ["Bế mạc Đại hội", "Thông qua Nghị quyết"]
    signed_in.post(f"/organiser/items/{closing.id}/move", {"direction": "down"})
    assert _titles(session) == ["Thông qua Nghị quyết", "Bế mạc Đại hội"]

    vote = _item_titled("Thông qua Nghị quyết")
    for document in (report, resolution):
        response = signed_in.post(f"/organiser/items/{vote.id}/documents",
                                  {"document": document.id})
        assert response.status_code == 302
    assert [lk.document.title for lk in _fresh(AgendaItem, vote.id).document_links] == [
        "Báo cáo chính trị", "Dự thảo Nghị quyết"]
    signed_in.post(f"/organiser/items/{vote.id}/documents/{resolution.id}/move",
                   {"direction": "up"})
    assert [lk.document.title for lk in _fresh(AgendaItem, vote.id).document_links] == [
        "Dự thảo Nghị quyết", "Báo cáo chính trị"]

    programme = client.get("/programme").get_data(as_text=True)
    assert programme.index("Dự thảo Nghị quyết") < programme.index("Bế mạc Đại hội")

    signed_in.post(f"/organiser/items/{vote.id}/documents/{report.id}/unlink")
    assert [lk.document.title for lk in _fresh(AgendaItem, vote.id).document_links] == [
        "Dự thảo Nghị quyết"]

    # The sessions can be reordered too: the new one goes before the official session.
    signed_in.post(f"/organiser/sessions/{session.id}/move", {"direction": "up"})
    db.session.expire_all()
    assert [s.name for s in _fresh(Congress, congress.id).sessions] == [
        "Phiên bế mạc", "Phiên chính thức"]


def test_deleting_an_item_asks_first_and_keeps_its_documents(client, signed_in, congress,
                                                              make_document):
    document = make_document()
    item = congress.sessions[0].items[1]
    agenda_service.link_document(item, document)

    confirm = client.get(f"/organiser/items/{item.id}/delete")
    assert confirm.status_code == 200
    assert "Delete the agenda item “Báo cáo chính trị”?" in confirm.get_data(as_text=True)
    assert _fresh(AgendaItem, item.id) is not None

    assert signed_in.post(f"/organiser/items/{item.id}/delete").status_code == 302
    assert _fresh(AgendaItem, item.id) is None
    assert client.get(f"/d/{document.code}").status_code == 200


def test_deleting_a_session_asks_first_and_takes_its_items(client, signed_in, congress):
    session = congress.sessions[0]
    confirm = client.get(f"/organiser/sessions/{session.id}/delete").get_data(as_text=True)
    assert "Its 2 agenda items are deleted with it." in confirm

    assert signed_in.post(f"/organiser/sessions/{session.id}/delete").status_code == 302
    assert _fresh(CongressSession, session.id) is None
    assert db.session.scalar(select(func.count(AgendaItem.id))) == 0


def test_a_move_past_the_end_changes_nothing(client, signed_in, congress):
    first = congress.sessions[0].items[0]
    before = _snapshot()
    assert signed_in.post(f"/organiser/items/{first.id}/move",
                          {"direction": "up"}).status_code == 302
    assert _snapshot() == before  # nothing moved, nothing recorded
    assert signed_in.post(f"/organiser/items/{first.id}/move",
                          {"direction": "sideways"}).status_code == 400


def test_an_item_moved_to_another_session_goes_to_its_end(client, signed_in, congress):
    congress_id = congress.id
    signed_in.post("/organiser/sessions/new", {
        "name": "Phiên trù bị", "date": "2025-07-22", "starts_at": "14:00"})
    preparatory = _session_named("Phiên trù bị")
    signed_in.post(f"/organiser/sessions/{preparatory.id}/items/new", {
        "session": preparatory.id, "starts_at": "14:00", "title": "Bầu Đoàn Chủ tịch"})
    greeting = _fresh(Congress, congress_id).sessions[0].items[0]
    response = signed_in.post(f"/organiser/items/{greeting.id}/edit", {
        "session": preparatory.id, "starts_at": "14:30", "title": greeting.title})
    assert response.status_code == 302
    assert _titles(preparatory) == ["Bầu Đoàn Chủ tịch", "Chào cờ"]


SESSION_FORM = {"name": "Phiên bế mạc", "date": "2025-07-23", "starts_at": "14:00",
                "ends_at": "16:30"}


@pytest.mark.parametrize(("field", "value", "message"), _cases(
    ("name", "", "Enter the name of the session."),
    ("name", "P" * 201, "This is too long (at most 200 characters)."),
    ("date", "", "Enter the date of the session."),
    ("date", "2025-08-01", "The session must take place during the congress"),
    ("date", "hôm nay", "Enter a date such as 2025-07-22."),
    ("starts_at", "", "Enter the time the session starts."),
    ("starts_at", "25:00", "Enter a time such as 07:30."),
    ("ends_at", "13:00", "The session must end after it starts."),
))
def test_a_new_session_is_validated(client, signed_in, field, value, message):
    before = _snapshot()
    response = signed_in.post("/organiser/sessions/new", {**SESSION_FORM, field: value})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _snapshot() == before


def test_a_session_cannot_shrink_around_its_items(client, signed_in, congress):
    session = congress.sessions[0]  # 07:30–11:30, items at 07:30 and 08:00
    before = _snapshot()
    response = signed_in.post(f"/organiser/sessions/{session.id}/edit", {
        "name": session.name, "date": "2025-07-23", "starts_at": "07:45", "ends_at": "11:30"})
    assert response.status_code == 400
    assert "The item “Chào cờ” starts at 07:30, outside these times." in response.get_data(
        as_text=True)
    assert _snapshot() == before


@pytest.mark.parametrize(("field", "value", "message"), _cases(
    ("title", "", "Enter the title of the agenda item."),
    ("title", "T" * 501, "This is too long (at most 500 characters)."),
    ("starts_at", "06:00", "The item cannot start before its session starts (07:30)."),
    ("starts_at", "12:00", "The item cannot start after its session ends (11:30)."),
    ("starts_at", "8h", "Enter a time such as 07:30."),
    ("session", "999", "Choose one of the options in the list."),
    ("session", "x", "Choose one of the options in the list."),
    ("presenter", "P" * 301, "This is too long (at most 300 characters)."),
))
def test_an_agenda_item_is_validated(client, signed_in, congress, field, value, message):
    session = congress.sessions[0]
    before = _snapshot()
    response = signed_in.post(f"/organiser/sessions/{session.id}/items/new", {
        "session": session.id, "starts_at": "09:00", "title": "Thảo luận", field: value})
    assert response.status_code == 400
    assert response.get_data(as_text=True).count(message) == 1
    assert _snapshot() == before


def test_a_document_is_linked_only_once(client, signed_in, congress, make_document):
    document = make_document()
    item = congress.sessions[0].items[1]
    agenda_service.link_document(item, document)
    before = _snapshot()
    response = signed_in.post(f"/organiser/items/{item.id}/documents", {"document": document.id})
    # It is no longer offered, so the form refuses it as not one of the options.
    assert response.status_code == 400
    assert "Choose one of the options in the list." in response.get_data(as_text=True)
    assert _snapshot() == before


def test_the_service_refuses_a_second_link_with_409(congress, make_document):
    from congress_app.services.errors import InputRefused

    document = make_document()
    item = congress.sessions[0].items[1]
    agenda_service.link_document(item, document)
    with pytest.raises(InputRefused) as refused:
        agenda_service.link_document(item, document)
    assert refused.value.status == 409


def test_deleted_documents_cannot_be_linked(client, signed_in, congress, make_document):
    kept, deleted = make_document(title="Còn hiệu lực"), make_document(title="Đã rút")
    signed_in.post(f"/organiser/documents/{deleted.id}/delete")
    item = congress.sessions[0].items[1]
    html = client.get(f"/organiser/items/{item.id}/edit").get_data(as_text=True)
    options = re.findall(r"<option[^>]*>([^<]*)</option>", html)
    assert any("Còn hiệu lực" in o for o in options)
    assert not any("Đã rút" in o for o in options)
    response = signed_in.post(f"/organiser/items/{item.id}/documents", {"document": deleted.id})
    assert response.status_code == 400
    assert kept.id  # still linkable


def test_an_organiser_sets_up_the_congress_on_a_fresh_instance(client, auth, organiser):
    client.set_cookie("lang", "en")
    auth.login()
    assert "Set up the congress" in client.get("/organiser/").get_data(as_text=True)
    response = auth.post("/organiser/congress", {
        "title": "Đại hội đại biểu Đảng bộ phường Phương Liệt lần thứ I, nhiệm kỳ 2025–2030",
        "organisation": "Đảng bộ phường Phương Liệt", "starts_on": "2025-08-17",
        "ends_on": "2025-08-18", "delegates_expected": "156", "members_represented": "0",
    })
    assert response.status_code == 302
    congress = db.session.scalar(select(Congress))
    assert congress.slug == "dang-bo-phuong-phuong-liet-2025"
    assert congress.delegates_expected == 156
    assert "Phương Liệt" in client.get("/").get_data(as_text=True)
