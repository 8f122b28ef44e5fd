"""Organisers upload, replace, unpublish and delete documents; bad uploads change nothing."""

from __future__ import annotations

import gc
import io
import os
import re
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select
from werkzeug.exceptions import ClientDisconnected

from congress_app.extensions import db
from congress_app.models import AuditEvent, Document, DocumentVersion
from congress_app.services import documents as document_service
from congress_app.services import intake

BASE_URL = "http://congress.test"






def _anonymous(app):
    return app.test_client()


def _upload(auth, *, title="Báo cáo chính trị", data: bytes | None = None,
            filename="Báo cáo chính trị.pdf", **fields):
    form = {"title": title, "category": "political_report", "visibility": "public",
            "published": "y", **fields}
    if data is not None:
        form["file"] = (io.BytesIO(data), filename)
    return auth.post("/organiser/documents/new", form, content_type="multipart/form-data")


def _replace(auth, document_id, data: bytes, filename="Báo cáo chính trị (sửa).pdf", note=""):
    return auth.post(f"/organiser/documents/{document_id}/replace",
                     {"file": (io.BytesIO(data), filename), "note": note},
                     content_type="multipart/form-data")


def _document(document_id: int) -> Document:
    db.session.expire_all()  # the requests ran in their own sessions
    return db.session.get(Document, document_id)


def _id_from(response) -> int:
    match = re.fullmatch(r"/organiser/documents/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def _store_files(app) -> dict[str, int]:
    """Every file under the store, tmp/ included, with its size."""
    root = Path(app.config["FILE_STORE"])
    return {
        str(Path(folder, name).relative_to(root)): Path(folder, name).stat().st_size
        for folder, _dirs, names in os.walk(root)
        for name in names
    }


def _state(app) -> tuple:
    """Everything an upload could change: rows, audit trail, stored files."""
    db.session.expire_all()
    return (
        db.session.scalar(select(func.count(Document.id))),
        db.session.scalar(select(func.count(DocumentVersion.id))),
        db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action.like("document.%"))),
        _store_files(app),
    )


# The journeys ------------------------------------------------------------------------


def test_uploading_a_pdf_gives_a_document_with_a_code_and_a_qr_code(app, signed_in, pdf_bytes):
    response = _upload(signed_in, data=pdf_bytes("Báo cáo chính trị", 3))
    assert response.status_code == 302
    document = _document(_id_from(response))
    assert re.fullmatch(f"[{document_service.CODE_ALPHABET}]{{6}}", document.code)
    assert document.current_version.pages == 3
    assert document.current_version.original_filename == "Báo cáo chính trị.pdf"

    client = signed_in._client
    page = client.get(f"/organiser/documents/{document.id}").get_data(as_text=True)
    assert document.code in page
    assert f"/d/{document.code}/qr.svg" in page
    assert f"{BASE_URL}/d/{document.code}".upper() in page  # the text the symbol encodes

    anonymous = _anonymous(app)
    svg = anonymous.get(f"/d/{document.code}/qr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    png = anonymous.get(f"/d/{document.code}/qr.png?download=1")
    assert "attachment" in png.headers["Content-Disposition"]
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))
    assert [b.text for b in decoded] == [f"{BASE_URL}/d/{document.code}".upper()]


def test_the_document_list_shows_unpublished_and_private_documents(signed_in, make_document):
    make_document(title="Dự thảo nghị quyết", published=False)
    make_document(title="Danh sách nhân sự", visibility="organisers")
    html = signed_in._client.get("/organiser/documents").get_data(as_text=True)
    assert "Dự thảo nghị quyết" in html and "Not published" in html
    assert "Danh sách nhân sự" in html and "Organisers only" in html


def test_replacing_the_file_keeps_the_code_and_serves_the_new_bytes(
    app, signed_in, make_document, pdf_bytes
):
    old, new = pdf_bytes("Bản cũ", 1), pdf_bytes("Bản mới đã sửa", 2)
    document = make_document(pdf=old)
    code = document.code

    response = _replace(signed_in, document.id, new, note="Sửa số liệu trang 2")
    assert response.status_code == 302
    document = _document(document.id)
    assert document.code == code
    assert [v.number for v in document.versions] == [1, 2]

    anonymous = _anonymous(app)
    assert anonymous.get(f"/d/{code}/file").data == new
    page = signed_in._client.get(f"/organiser/documents/{document.id}").get_data(as_text=True)
    assert "Sửa số liệu trang 2" in page
    assert f"/organiser/documents/{document.id}/versions/1/file" in page

    first = signed_in._client.get(f"/organiser/documents/{document.id}/versions/1/file")
    assert first.status_code == 200 and first.data == old
    refused = anonymous.get(f"/organiser/documents/{document.id}/versions/1/file")
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")


def test_editing_the_details_never_changes_the_code(signed_in, make_document):
    document = make_document()
    response = signed_in.post(f"/organiser/documents/{document.id}/edit", {
        "title": "Báo cáo chính trị (dự thảo lần 2)", "category": "draft_resolution",
        "visibility": "delegates",
    })
    assert response.status_code == 302
    edited = _document(document.id)
    assert (edited.title, edited.category, edited.visibility, edited.published) == (
        "Báo cáo chính trị (dự thảo lần 2)", "draft_resolution", "delegates", False)
    assert edited.code == document.code


def test_unpublishing_hides_the_document_from_delegates(app, signed_in, make_document):
    document = make_document()
    anonymous = _anonymous(app)
    assert anonymous.get(f"/d/{document.code}").status_code == 200

    assert signed_in.post(f"/organiser/documents/{document.id}/unpublish").status_code == 302
    assert anonymous.get(f"/d/{document.code}").status_code == 404
    assert anonymous.get(f"/d/{document.code}/file").status_code == 404
    assert signed_in._client.get(f"/d/{document.code}").status_code == 200

    assert signed_in.post(f"/organiser/documents/{document.id}/publish").status_code == 302
    assert anonymous.get(f"/d/{document.code}").status_code == 200


def test_deleting_asks_first_then_the_code_answers_410_gone(app, signed_in, make_document):
    document = make_document()
    client = signed_in._client
    confirm = client.get(f"/organiser/documents/{document.id}/delete")
    assert confirm.status_code == 200
    assert "Delete the document" in confirm.get_data(as_text=True)
    assert _document(document.id).deleted_at is None  # asking deletes nothing

    assert signed_in.post(f"/organiser/documents/{document.id}/delete").status_code == 302
    gone = _anonymous(app).get(f"/d/{document.code}")
    assert gone.status_code == 410
    assert "đã được Ban Tổ chức thu hồi" in gone.get_data(as_text=True)  # Vietnamese by default
    assert "Deleted documents" in client.get("/organiser/documents").get_data(as_text=True)
    assert client.get(f"/organiser/documents/{document.id}/edit").status_code == 410
    assert client.get(f"/organiser/documents/{document.id}/versions/1/file").status_code == 200


def test_a_deleted_code_is_never_given_to_a_new_document(
    signed_in, make_document, pdf_bytes, monkeypatch
):
    deleted = make_document()
    signed_in.post(f"/organiser/documents/{deleted.id}/delete")
    # The random draw comes up with the deleted code first; the app must draw again.
    letters = iter(deleted.code + "ZZZZZZ")
    monkeypatch.setattr(document_service, "secrets",
                        SimpleNamespace(choice=lambda alphabet: next(letters)))
    response = _upload(signed_in, title="Thông cáo báo chí", data=pdf_bytes("Thông cáo", 1))
    assert _document(_id_from(response)).code == "ZZZZZZ"


def test_the_same_bytes_uploaded_twice_are_stored_once(app, signed_in, pdf_bytes):
    data = pdf_bytes("Chương trình Đại hội", 1)
    first = _upload(signed_in, title="Chương trình", data=data)
    second = _upload(signed_in, title="Chương trình (bản in)", data=data)
    assert _id_from(first) != _id_from(second)
    stored = [p for p in _store_files(app) if not p.startswith("tmp")]
    assert len(stored) == 1


@pytest.mark.parametrize(("base_url", "warned"), [
    ("http://127.0.0.1:5000", True),
    ("http://localhost:5000", True),
    ("http://192.168.1.10:5000", False),
    ("https://daihoi.example.vn", False),
])
def test_organisers_are_warned_when_qr_codes_would_point_at_their_own_computer(
    app, signed_in, make_document, base_url, warned
):
    document = make_document()
    app.config["PUBLIC_BASE_URL"] = base_url
    client = signed_in._client
    dashboard = client.get("/organiser/").get_data(as_text=True)
    page = client.get(f"/organiser/documents/{document.id}").get_data(as_text=True)
    assert ("The QR codes point at this computer only." in dashboard) is warned
    assert ("This QR code points at this computer only" in page) is warned


# Bad input: a clear 4xx and nothing changed -------------------------------------------

BAD_UPLOADS = {
    "not a PDF": ({"data": b"Just some text, not a PDF at all.\n" * 20}, 400,
                  "This file is not a PDF"),
    "empty file": ({"data": b""}, 400, "The file is empty."),
    "no file": ({}, 400, "Choose the file to upload."),
    "folder in the name": ({"filename": "../../instance/secret_key.pdf"}, 400,
                           "must not contain folder parts"),
    "control character": ({"filename": "Báo cáo\x07.pdf"}, 400, "not allowed"),
    "hidden direction mark": ({"filename": "Báo cáo\u202efdp.exe"}, 400, "not allowed"),
    "name of 300 characters": ({"filename": "a" * 296 + ".pdf"}, 400,
                               "The file name is too long"),
    "empty title": ({"title": "   "}, 400, "The title must not be empty."),
    "title of 1,000 characters": ({"title": "T" * 1000}, 400, "The title is too long"),
    "unknown category": ({"category": "secret"}, 400, "Choose one of the options in the list."),
}


@pytest.mark.parametrize(("case", "status", "message"), BAD_UPLOADS.values(), ids=BAD_UPLOADS)
def test_a_bad_upload_is_refused_and_changes_nothing(
    app, signed_in, make_document, pdf_bytes, case, status, message
):
    make_document()  # something already stored that must stay as it is
    before = _state(app)
    case = {"data": pdf_bytes("Báo cáo", 1), **case} if case else {}
    response = _upload(signed_in, **case)
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert message in html
    assert 'name="title"' in html  # the form comes back, ready to correct
    assert _state(app) == before


BAD_REPLACEMENTS = {
    "not a PDF": ({"data": b"<html>not a pdf</html>"}, "This file is not a PDF"),
    "empty file": ({"data": b""}, "The file is empty."),
    "folder in the name": ({"filename": "..\\..\\x.pdf"}, "must not contain folder parts"),
    "note of 600 characters": ({"note": "n" * 600}, "at most 500 characters"),
}


@pytest.mark.parametrize(("case", "message"), BAD_REPLACEMENTS.values(), ids=BAD_REPLACEMENTS)
def test_a_bad_replacement_keeps_the_current_version(
    app, signed_in, make_document, pdf_bytes, case, message
):
    original = pdf_bytes("Bản gốc", 1)
    document = make_document(pdf=original)
    before = _state(app)
    response = _replace(signed_in, document.id, **{"data": pdf_bytes("Bản mới", 1), **case})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _state(app) == before
    assert _anonymous(app).get(f"/d/{document.code}/file").data == original


def test_a_file_over_the_upload_limit_gets_a_readable_413(app, signed_in, make_document,
                                                           pdf_bytes):
    document = make_document()
    before = _state(app)
    data = pdf_bytes("Báo cáo", 2)
    app.config["MAX_CONTENT_LENGTH"] = len(data) // 2
    for response in (_upload(signed_in, data=data), _replace(signed_in, document.id, data)):
        assert response.status_code == 413
        html = response.get_data(as_text=True)
        assert "larger than the upload limit" in html
        assert "<h1>" in html and "Traceback" not in html
    assert _state(app) == before


def _multipart(fields: dict[str, str], filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        .encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"'
        f"\r\nContent-Type: application/pdf\r\n\r\n".encode()
        + data + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def test_a_replacement_cut_off_midway_leaves_the_old_version(
    app, signed_in, make_document, pdf_bytes
):
    original = pdf_bytes("Bản gốc", 1)
    document = make_document(pdf=original)
    before = _state(app)
    body, content_type = _multipart(
        {"csrf_token": signed_in.csrf_token(), "note": "bản sửa"}, "sua.pdf",
        pdf_bytes("Bản mới", 3),
    )
    cut = body[: len(body) * 2 // 3]  # the connection drops inside the file
    response = signed_in._client.post(
        f"/organiser/documents/{document.id}/replace",
        input_stream=io.BytesIO(cut),
        content_type=content_type,
        environ_overrides={"CONTENT_LENGTH": str(len(body))},
    )
    gc.collect()  # an unclosed temp file would surface here as a ResourceWarning (an error)
    assert response.status_code == 400
    assert "<h1>" in response.get_data(as_text=True)
    assert _state(app) == before
    assert [v.number for v in _document(document.id).versions] == [1]
    assert _anonymous(app).get(f"/d/{document.code}/file").data == original


class BreaksOff(io.RawIOBase):
    """A request body that delivers some bytes, then loses its connection."""

    def __init__(self, data: bytes, after: int) -> None:
        self._data, self._after, self._pos = data, after, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._pos >= self._after:
            raise ClientDisconnected()
        chunk = self._data[self._pos : min(self._after, self._pos + len(buffer))]
        buffer[: len(chunk)] = chunk
        self._pos += len(chunk)
        return len(chunk)


def test_a_stream_that_breaks_off_while_storing_leaves_no_partial_file(
    app, make_document, pdf_bytes
):
    original = pdf_bytes("Bản gốc", 1)
    document = make_document(pdf=original)
    before = _state(app)
    new = pdf_bytes("Bản mới", 3)
    with pytest.raises(ClientDisconnected):
        intake.replace_file(
            document, intake.Upload(BreaksOff(new, len(new) // 2), "sua.pdf")
        )
    assert _state(app) == before
    assert [v.number for v in _document(document.id).versions] == [1]


def test_the_upload_form_asks_for_a_category_instead_of_choosing_one(client, signed_in,
                                                                      pdf_bytes):
    html = client.get("/organiser/documents/new").get_data(as_text=True)
    select_html = html[html.index('name="category"'):html.index("</select>",
                                                                 html.index('name="category"'))]
    first = re.search(r"<option[^>]*>([^<]*)</option>", select_html)
    assert first.group(1) == "Choose…" and 'value=""' in first.group(0)
    assert "selected" not in select_html  # so the browser shows "Choose…"
    response = client.post("/organiser/documents/new", content_type="multipart/form-data",
                           data={"csrf_token": signed_in.csrf_token(), "title": "Báo cáo",
                                 "category": "", "visibility": "public",
                                 "file": (io.BytesIO(pdf_bytes("x")), "x.pdf")})
    assert response.status_code == 400
    assert "Choose the category of the document." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Document.id))) == 0


def test_the_413_page_names_the_limit(app, signed_in):
    app.config["MAX_CONTENT_LENGTH"] = 209716  # 0.2 MB; a small body keeps the test light
    html = _upload(signed_in, data=b"%PDF-1.4\n" + b"0" * 250_000).get_data(as_text=True)
    assert "upload limit of 0.2 MB" in html and "Go back to the form" in html


@pytest.mark.browser
def test_a_file_over_the_limit_is_caught_before_it_is_sent(app, live_server, phone, organiser,
                                                          congress):
    """The form keeps what was typed, says the file's size and the limit, and sends nothing."""
    app.config["MAX_CONTENT_LENGTH"] = 1048576
    phone.goto(f"{live_server}/login?next=/organiser/documents/new")
    phone.fill("#username", "organiser")
    phone.fill("#password", "correct horse battery")
    phone.press("#password", "Enter")
    phone.wait_for_url("**/organiser/documents/new")
    phone.fill("#title", "Báo cáo chính trị")
    phone.set_input_files("#file", files=[{"name": "lon.pdf", "mimeType": "application/pdf",
                                          "buffer": b"%PDF-1.4\n" + b"0" * 2_200_000}])
    note = phone.locator("#file-too-large")
    assert note.is_visible()
    # The phone's language writes the sizes: "2,1 MB" in Vietnamese.
    assert "2,1 MB" in note.inner_text() and "là 1 MB" in note.inner_text()
    phone.click("form.stack button[type=submit]")
    assert phone.url.endswith("/organiser/documents/new")
    assert phone.input_value("#title") == "Báo cáo chính trị"
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Document.id))) == 0
