"""Two organisers editing the same item, session or document: the second save based on an
older version is refused with a 409 that keeps what they typed; nothing is overwritten."""

from __future__ import annotations

import io
import re
import threading

import pytest
from sqlalchemy import event, select

from congress_app.extensions import db
from congress_app.models import AgendaItem, CongressSession, Document, DocumentVersion
from congress_app.services import agenda as agenda_service
from congress_app.services import intake
from congress_app.services.errors import EditConflict

from .threads import join_all

CONFLICT_EN = "Someone else changed this while you were editing it"
CONFLICT_VI = "Người khác vừa thay đổi nội dung này trong lúc bạn đang sửa"


def _item_case(congress, make_document):
    item = congress.sessions[0].items[1]
    return (f"/organiser/items/{item.id}/edit", AgendaItem, item.id, "title",
            {"session": congress.sessions[0].id, "starts_at": "08:00", "presenter": "",
             "notes": ""})


def _session_case(congress, make_document):
    session = congress.sessions[0]
    return (f"/organiser/sessions/{session.id}/edit", CongressSession, session.id, "name",
            {"date": "2025-07-23", "starts_at": "07:30", "ends_at": "11:30"})


def _document_case(congress, make_document):
    document = make_document()
    return (f"/organiser/documents/{document.id}/edit", Document, document.id, "title",
            {"category": "political_report", "visibility": "public", "published": "y"})


def _loaded_version(html: str) -> str:
    match = re.search(r'name="edit_version"[^>]*value="(\d+)"', html)
    assert match, "the form carries no edit_version"
    return match.group(1)


@pytest.mark.parametrize("case", [_item_case, _session_case, _document_case],
                         ids=["agenda item", "session", "document"])
def test_the_second_of_two_organisers_saving_the_same_form_gets_a_409(
    client, signed_in, congress, make_document, case
):
    path, model, object_id, name_field, other_fields = case(congress, make_document)
    first_tab = client.get(path).get_data(as_text=True)
    second_tab = client.get(path).get_data(as_text=True)
    assert _loaded_version(first_tab) == _loaded_version(second_tab) == "1"

    saved = signed_in.post(path, {**other_fields, name_field: "Sửa của người thứ nhất",
                                  "edit_version": _loaded_version(first_tab)})
    assert saved.status_code == 302
    refused = signed_in.post(path, {**other_fields, name_field: "Sửa của người thứ hai",
                                    "edit_version": _loaded_version(second_tab)})

    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert CONFLICT_EN in html and "Reload the page" in html
    assert 'value="Sửa của người thứ hai"' in html  # what they typed is still in the form
    db.session.expire_all()
    row = db.session.get(model, object_id)
    assert getattr(row, name_field) == "Sửa của người thứ nhất"
    assert row.edit_version == 2

    reloaded = client.get(path).get_data(as_text=True)
    assert _loaded_version(reloaded) == "2"
    again = signed_in.post(path, {**other_fields, name_field: "Sửa của người thứ hai",
                                  "edit_version": _loaded_version(reloaded)})
    assert again.status_code == 302
    db.session.expire_all()
    assert getattr(db.session.get(model, object_id), name_field) == "Sửa của người thứ hai"


def test_the_conflict_message_is_in_vietnamese_by_default(client, signed_in, congress):
    item = congress.sessions[0].items[0]
    client.set_cookie("lang", "vi")
    fields = {"session": congress.sessions[0].id, "title": "Chào cờ", "starts_at": "07:30"}
    signed_in.post(f"/organiser/items/{item.id}/edit", {**fields, "edit_version": "1"})
    refused = signed_in.post(f"/organiser/items/{item.id}/edit",
                             {**fields, "edit_version": "1"})
    assert refused.status_code == 409
    assert CONFLICT_VI in refused.get_data(as_text=True)


def test_publishing_meanwhile_is_a_change_the_details_form_would_undo(
    client, signed_in, make_document
):
    document = make_document()
    path = f"/organiser/documents/{document.id}/edit"
    version = _loaded_version(client.get(path).get_data(as_text=True))
    assert signed_in.post(f"/organiser/documents/{document.id}/unpublish").status_code == 302
    refused = signed_in.post(path, {"title": document.title, "category": "political_report",
                                    "visibility": "public", "published": "y",
                                    "edit_version": version})
    assert refused.status_code == 409
    db.session.expire_all()
    assert db.session.get(Document, document.id).published is False


def test_moving_an_item_does_not_make_an_open_form_stale(client, signed_in, congress):
    """Reordering and the on-stage flag are not what the form edits: no false conflicts."""
    item = congress.sessions[0].items[1]
    path = f"/organiser/items/{item.id}/edit"
    version = _loaded_version(client.get(path).get_data(as_text=True))
    assert signed_in.post(f"/organiser/items/{item.id}/move",
                          {"direction": "up"}).status_code == 302
    saved = signed_in.post(path, {"session": congress.sessions[0].id, "starts_at": "08:00",
                                  "title": "Báo cáo chính trị (sửa)", "edit_version": version})
    assert saved.status_code == 302
    db.session.expire_all()
    item = db.session.get(AgendaItem, item.id)
    assert (item.title, item.position, item.edit_version) == ("Báo cáo chính trị (sửa)", 1, 2)


def _run_together(app, statement_prefix: str, work) -> tuple[list, list[BaseException]]:
    """Run work(i) in two threads, each with its own app context and session, held at a
    barrier just before the SQL statement that writes, so both have read the old state."""
    both_read = threading.Barrier(2, timeout=10)
    held = threading.local()
    results: list = []
    errors: list[BaseException] = []

    def hold(conn, cursor, statement, *args):
        # Only the first write of each thread waits: a retry must not wait for a partner.
        if statement.startswith(statement_prefix) and not getattr(held, "done", False):
            held.done = True
            both_read.wait()

    def run(i: int) -> None:
        try:
            with app.app_context():
                results.append(work(i))
                db.session.remove()
        except BaseException as error:  # reported by the caller, not lost in the thread
            errors.append(error)

    event.listen(db.engine, "before_cursor_execute", hold)
    try:
        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        join_all(threads, 30)
    finally:
        event.remove(db.engine, "before_cursor_execute", hold)
    db.session.expire_all()
    return results, errors


def test_two_saves_at_the_same_moment_end_in_one_and_a_conflict(app, congress):
    """Both pass the version check before either writes; the UPDATE's own version check
    (SQLAlchemy's version_id_col) refuses the second."""
    item_id = congress.sessions[0].items[1].id
    session_id = congress.sessions[0].id

    def save(i: int) -> str:
        item = db.session.get(AgendaItem, item_id)
        agenda_service.update_item(item, session=db.session.get(CongressSession, session_id),
                                   title=f"Tiêu đề {i}", expected_version=1)
        return f"Tiêu đề {i}"

    results, errors = _run_together(app, "UPDATE agenda_items", save)

    assert len(results) == 1 and len(errors) == 1, (results, errors)
    assert isinstance(errors[0], EditConflict) and errors[0].status == 409
    item = db.session.get(AgendaItem, item_id)
    assert (item.title, item.edit_version) == (results[0], 2)


def test_two_replacements_at_the_same_moment_both_become_versions(app, make_document, pdf_bytes):
    """Both reach the document's lock (services.intake._take_turn) before either takes it:
    the second waits for the first, then takes number 3."""
    document_id = make_document().id
    files = [pdf_bytes(f"Bản sửa {i}", 1) for i in range(2)]

    def replace(i: int) -> int:
        document = db.session.get(Document, document_id)
        version = intake.replace_file(
            document, intake.Upload(io.BytesIO(files[i]), f"sua-{i}.pdf"))
        return version.number

    results, errors = _run_together(app, "UPDATE documents SET deleted_at", replace)

    assert not errors, errors
    assert sorted(results) == [2, 3]
    versions = db.session.scalars(select(DocumentVersion).where(
        DocumentVersion.document_id == document_id).order_by(DocumentVersion.number)).all()
    assert [v.number for v in versions] == [1, 2, 3]
    assert {v.original_filename for v in versions[1:]} == {"sua-0.pdf", "sua-1.pdf"}
