"""Replacing a document's file: many organisers at once, the same file again, long titles.

Concurrent replacements run in real threads, each with its own app context and database
session, against the test database (an SQLite file, or PostgreSQL on the CI's second run).
"""

from __future__ import annotations

import io
import re
import threading
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask_babel import force_locale
from pypdf import PdfWriter
from sqlalchemy import func, select, text, update

from congress_app.extensions import db
from congress_app.models import AgendaItem, AuditEvent, Congress, Document, DocumentVersion
from congress_app.services import intake
from congress_app.services.errors import InputRefused

from .databases import ON_POSTGRES
from .threads import join_all

REPLACEMENTS = 80  # the figure of the report: 11 of 80 answered 500


def _distinct_pdf(i: int) -> bytes:
    """A small one-page PDF whose bytes differ for each i (its title in the metadata)."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": f"Bản sửa số {i}"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _stored_sha256s(app) -> set[str]:
    """The address of every file in the store (tmp/ aside, which must be empty anyway)."""
    root = Path(app.config["FILE_STORE"])
    assert not any((root / "tmp").iterdir()), "staging leftovers"
    return {folder.name + name.name for folder in root.iterdir() if folder.name != "tmp"
            for name in folder.iterdir()}


def _versions(document_id: int) -> list[DocumentVersion]:
    db.session.expire_all()
    return list(db.session.scalars(select(DocumentVersion).where(
        DocumentVersion.document_id == document_id).order_by(DocumentVersion.number)))


def _replace_together(app, document_id: int, files: list[bytes]):
    """Each file replaced by its own thread, all released at once; (results, refusals, errors)
    where results are version numbers and refusals the InputRefused raised."""
    start = threading.Barrier(len(files), timeout=60)
    results: list[int] = []
    refusals: list[InputRefused] = []
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            with app.app_context():
                try:
                    start.wait()  # before any query: a session holds its connection
                    document = db.session.get(Document, document_id)
                    version = intake.replace_file(
                        document, intake.Upload(io.BytesIO(files[i]), f"sua-{i}.pdf"))
                    results.append(version.number)
                except InputRefused as refused:
                    refusals.append(refused)
                finally:
                    db.session.remove()
        except BaseException as error:  # reported by the test, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(files))]
    for thread in threads:
        thread.start()
    join_all(threads, 300)
    return results, refusals, errors


def test_many_replacements_at_once_each_become_a_version_or_a_conflict(app, make_document):
    document_id = make_document().id
    files = [_distinct_pdf(i) for i in range(REPLACEMENTS)]

    results, refusals, errors = _replace_together(app, document_id, files)

    versions = _versions(document_id)
    unnamed = _stored_sha256s(app) - {v.sha256 for v in versions}
    assert not errors, (f"{len(errors)} of {REPLACEMENTS} failed ({errors[:2]}); "
                        f"{len(unnamed)} files in the store that no version names")
    assert len(results) + len(refusals) == REPLACEMENTS
    assert all(r.status == 409 for r in refusals), [str(r) for r in refusals]
    assert [v.number for v in versions] == list(range(1, len(versions) + 1))
    assert sorted(results) == list(range(2, len(versions) + 1))
    assert not unnamed


def test_a_replacement_that_cannot_get_its_turn_is_refused_and_stores_nothing(
    app, make_document
):
    """Another replacement holds the document (its row lock) past this one's lock wait."""
    document = make_document()
    stored = _stored_sha256s(app)
    table = Document.__table__
    with db.engine.connect() as other:
        other.execute(update(table).where(table.c.id == document.id)
                      .values(deleted_at=table.c.deleted_at))  # held until its rollback
        # A short wait, so the test does not sit out the real one (15 s on SQLite).
        db.session.execute(text("SET LOCAL lock_timeout = '200ms'") if ON_POSTGRES
                           else text("PRAGMA busy_timeout = 200"))
        with pytest.raises(InputRefused) as refused:
            intake.replace_file(document, intake.Upload(
                io.BytesIO(_distinct_pdf(1)), "sua.pdf"))
        other.rollback()

    assert refused.value.status == 409
    with force_locale("en"):
        assert str(refused.value.message).startswith(
            "Another new version of this document was being saved at the same moment")
    with force_locale("vi"):
        assert str(refused.value.message).startswith(
            "Một phiên bản mới khác của tài liệu này đang được lưu cùng lúc")
    assert [v.number for v in _versions(document.id)] == [1]
    assert _stored_sha256s(app) == stored
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "document.replace")) == 0


def _replace(auth, document_id: int, data: bytes, filename: str = "sua.pdf"):
    return auth.post(f"/organiser/documents/{document_id}/replace",
                     {"file": (io.BytesIO(data), filename), "note": ""},
                     content_type="multipart/form-data")


def test_replacing_a_file_with_the_same_file_is_refused(app, client, signed_in, make_document,
                                                        pdf_bytes):
    document = make_document()
    same = document.current_version.sha256
    stored = _stored_sha256s(app)

    response = _replace(signed_in, document.id, pdf_bytes("Báo cáo chính trị"))
    assert response.status_code == 409
    assert ("This file is the same as the current version (version 1), so no new version "
            "has been made.") in response.get_data(as_text=True)
    assert [(v.number, v.sha256) for v in _versions(document.id)] == [(1, same)]
    assert _stored_sha256s(app) == stored

    client.set_cookie("lang", "vi")
    response = _replace(signed_in, document.id, pdf_bytes("Báo cáo chính trị"))
    assert "Tệp này giống hệt phiên bản hiện hành (phiên bản 1)" in response.get_data(
        as_text=True)

    # A corrected file is a new version, and going back to the first file is one too.
    assert _replace(signed_in, document.id, pdf_bytes("Bản sửa")).status_code == 302
    assert _replace(signed_in, document.id, pdf_bytes("Báo cáo chính trị")).status_code == 302
    assert [(v.number, v.sha256 == same) for v in _versions(document.id)] == [
        (1, True), (2, False), (3, True)]


def test_the_same_new_file_sent_several_times_at_once_makes_one_version(app, make_document):
    """An organiser's double click, or two organisers with the same corrected file."""
    document_id = make_document().id
    corrected = _distinct_pdf(1)

    results, refusals, errors = _replace_together(app, document_id, [corrected] * 6)

    assert not errors, errors
    assert results == [2]
    assert len(refusals) == 5 and all(r.status == 409 for r in refusals)
    with force_locale("en"):
        assert all("same as the current version (version 2)" in str(r.message)
                   for r in refusals)
    versions = _versions(document_id)
    assert [v.number for v in versions] == [1, 2]
    assert _stored_sha256s(app) == {v.sha256 for v in versions}


def test_a_version_note_over_its_limit_is_refused_not_cut(app, make_document):
    document = make_document()
    with pytest.raises(InputRefused) as refused:
        intake.replace_file(
            document, intake.Upload(io.BytesIO(_distinct_pdf(1)), "sua.pdf"),
            note="Sửa số liệu " * 50)
    assert refused.value.field == "note"
    with force_locale("en"):
        assert str(refused.value.message) == "The note is too long (at most 500 characters)."
    assert [v.number for v in _versions(document.id)] == [1]


# Long titles: stated, counted, refused with the limit; never cut ------------------------


class _FormFields(HTMLParser):
    """What a browser sends for the organiser form on a page (the header search aside)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._in_form = False
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs) -> None:
        a = dict(attrs)
        if tag == "form" and "stack" in (a.get("class") or ""):
            self._in_form = True
        if not self._in_form or "name" not in a and tag != "option":
            return
        if tag == "input" and a.get("type") not in ("file", "submit", "checkbox"):
            self.fields[a["name"]] = a.get("value") or ""
        elif tag == "input" and a.get("type") == "checkbox" and "checked" in a:
            self.fields[a["name"]] = a.get("value") or "y"
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and ("selected" in a
                                                   or self._select not in self.fields):
            self.fields[self._select] = a.get("value") or ""
        elif tag == "textarea":
            self._textarea = a["name"]
            self.fields[a["name"]] = ""

    def handle_data(self, data) -> None:
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _form_fields(html: str) -> dict[str, str]:
    parser = _FormFields()
    parser.feed(html)
    return parser.fields


def _words(length: int) -> str:
    """Vietnamese words, exactly `length` characters: a cut at any limit falls mid-word."""
    text = ("Báo cáo chính trị của Ban Chấp hành Đảng bộ phường Thanh Xuân " * 20)[:length]
    return text[:-1] + "n" if text.endswith(" ") else text


def _new_document_form(congress, pdf_bytes):
    return ("/organiser/documents/new", {"category": "political_report"},
            {"file": (io.BytesIO(pdf_bytes("Văn kiện")), "van-kien.pdf")})


def _new_item_form(congress, pdf_bytes):
    return (f"/organiser/sessions/{congress.sessions[0].id}/items/new", {}, {})


def _congress_form(congress, pdf_bytes):
    return ("/organiser/congress", {}, {})


def _document_title(congress) -> list[str]:
    return list(db.session.scalars(select(Document.title)))


def _item_titles(congress) -> list[str]:
    return list(db.session.scalars(select(AgendaItem.title).order_by(AgendaItem.id)))[2:]


def _congress_title(congress) -> list[str]:
    return [db.session.get(Congress, congress.id).title]


TITLE_FORMS = {
    "document": (_new_document_form, 300, "The title is too long (at most 300 characters).",
                 _document_title),
    "agenda item": (_new_item_form, 500, "This is too long (at most 500 characters).",
                    _item_titles),
    "congress": (_congress_form, 300, "This is too long (at most 300 characters).",
                 _congress_title),
}


@pytest.mark.parametrize(("form", "limit", "message", "saved"), TITLE_FORMS.values(),
                         ids=TITLE_FORMS)
def test_an_over_long_title_is_refused_with_its_limit_and_the_form_kept(
    client, signed_in, congress, pdf_bytes, form, limit, message, saved
):
    path, choices, files = form(congress, pdf_bytes)
    html = client.get(path).get_data(as_text=True)
    title_input = re.search(r'<input[^>]*name="title"[^>]*>', html).group(0)
    assert "maxlength" not in title_input  # a browser would cut a pasted title there
    assert f'data-limit="{limit}"' in title_input
    assert f"At most {limit} characters." in html
    before = saved(congress)

    too_long = _words(limit + 1)
    response = client.post(path, content_type="multipart/form-data", data={
        **_form_fields(html), **choices, **files, "title": too_long})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert f'value="{too_long}"' in page  # as typed, for the organiser to shorten
    db.session.expire_all()
    assert saved(congress) == before

    just_fits = _words(limit)
    html = client.get(path).get_data(as_text=True)
    path, choices, files = form(congress, pdf_bytes)
    response = client.post(path, content_type="multipart/form-data", data={
        **_form_fields(html), **choices, **files, "title": just_fits})
    assert response.status_code == 302
    db.session.expire_all()
    assert saved(congress)[-1] == just_fits


def test_no_organiser_form_cuts_what_is_typed(client, signed_in, congress, make_document):
    """Every limited field states its limit; only search boxes keep a maxlength."""
    document = make_document()
    session, item = congress.sessions[0], congress.sessions[0].items[0]
    pages = ["/organiser/congress", "/organiser/sessions/new",
             f"/organiser/sessions/{session.id}/edit",
             f"/organiser/sessions/{session.id}/items/new",
             f"/organiser/items/{item.id}/edit", "/organiser/documents/new",
             f"/organiser/documents/{document.id}/edit",
             f"/organiser/documents/{document.id}/replace", "/organiser/delegates/new"]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        cutting = [tag for tag in re.findall(r"<(?:input|textarea)[^>]*maxlength[^>]*>", html)
                   if 'name="q"' not in tag]
        assert not cutting, (path, cutting)
        limits = re.findall(r'data-limit="(\d+)"', html)
        assert limits and all(f"At most {n} characters." in html for n in limits), path


@pytest.mark.browser
def test_a_pasted_title_is_counted_not_cut(live_server, phone, organiser, congress):
    """Pasting 301 characters keeps all 301 (a maxlength would keep 300 without a word), and
    the hint under the field counts them against the limit."""
    phone.goto(f"{live_server}/login?next=/organiser/documents/new")
    phone.fill("#username", "organiser")
    phone.fill("#password", "correct horse battery")
    phone.press("#password", "Enter")
    phone.wait_for_url("**/organiser/documents/new")
    hint = phone.locator("#title-limit")
    assert "(0/300)" in hint.inner_text()
    phone.focus("#title")
    phone.keyboard.insert_text(_words(301))  # as a paste arrives: one input, not keystrokes
    assert phone.input_value("#title") == _words(301)
    assert "(301/300)" in hint.inner_text()
    assert "over" in hint.get_attribute("class")
    phone.keyboard.press("Backspace")
    assert "(300/300)" in hint.inner_text() and "over" not in hint.get_attribute("class")
