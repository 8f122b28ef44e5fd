"""What an intruder or an intermediary sees at the HTTP level: no shared copy of anything
personal, no server banner, download names every system saves, and private codes that
answer exactly like unknown ones."""

from __future__ import annotations

import http.client
import io
import threading
from datetime import date
from urllib.parse import quote

import pytest
import waitress.server
import waitress.wasyncore

from congress_app.extensions import db
from congress_app.filenames import ascii_fallback, windows_safe
from congress_app.models import Congress
from congress_app.services import documents as document_service
from congress_app.services import intake
from congress_app.services.delegates import card_token

from .conftest import add_delegate
from .threads import join_all

# Cache-Control: private on whatever depends on who asks -----------------------------------


def _private(response) -> bool:
    return bool(response.cache_control.private or response.cache_control.no_store)


@pytest.fixture
def delegate_phone(app, client, congress):
    """A phone signed in as a delegate through the card link (an isolated client, as
    `client` makes them)."""
    phone = app.test_client()
    assert phone.get(f"/K/{card_token(add_delegate(congress))}").status_code == 302
    return phone


def test_a_delegates_only_document_reaches_the_delegate_privately(delegate_phone, make_document):
    members = make_document(title="Dự thảo cho đại biểu", visibility="delegates")
    for path in (f"/d/{members.code}", f"/d/{members.code}/file",
                 f"/d/{members.code}/pages/1.webp", f"/d/{members.code}/qr.svg"):
        response = delegate_phone.get(path)
        assert response.status_code == 200, path
        assert _private(response) and not response.cache_control.public, path
    for path in ("/", "/documents", "/programme"):
        response = delegate_phone.get(path)
        assert response.status_code == 200 and _private(response), path


def test_signed_in_organiser_pages_are_private(client, signed_in, make_document):
    document = make_document()
    for path in ("/organiser/", "/organiser/documents", f"/organiser/documents/{document.id}",
                 "/organiser/congress", f"/d/{document.code}/file"):
        response = client.get(path)
        assert response.status_code == 200 and _private(response), path


def test_a_page_holding_a_sessions_form_token_is_private(client, congress):
    response = client.get("/login")
    assert "csrf_token" in response.get_data(as_text=True)
    assert _private(response)


def test_public_pages_and_files_keep_their_caching_for_anonymous_phones(client, make_document):
    document = make_document()
    for path in ("/", "/programme", f"/d/{document.code}", f"/d/{document.code}/file",
                 f"/d/{document.code}/qr.svg", "/static/css/app.css"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert not _private(response), path
    image = client.get(f"/d/{document.code}/pages/1.webp")
    assert image.cache_control.public and not image.cache_control.private
    file = client.get(f"/d/{document.code}/file")
    assert file.cache_control.no_cache and file.headers["ETag"]


def test_what_a_view_marks_public_stays_public_for_a_signed_in_visitor(delegate_phone,
                                                                       make_document):
    document = make_document()
    image = delegate_phone.get(f"/d/{document.code}/pages/1.webp")
    assert image.cache_control.public and not image.cache_control.private
    static = delegate_phone.get("/static/css/app.css")
    assert static.cache_control.public and not static.cache_control.private


# No Server banner ------------------------------------------------------------------------


def _stop_from_the_loop(server) -> None:
    """Let the request threads finish, then close every socket of the loop's map: its loop
    then has nothing to wait on and returns."""
    server.task_dispatcher.shutdown()
    waitress.wasyncore.close_all(server._map)


def test_flask_serve_sends_no_server_header(app, runner, congress, monkeypatch):
    """`flask serve`'s own waitress settings, on a real socket: no "Server:" line at all."""
    served = {}
    monkeypatch.setattr("waitress.serve", lambda wsgi, **kw: served.update(kw))
    assert runner.invoke(args=["serve", "--port", "5099"]).exit_code == 0
    settings = {k: v for k, v in served.items() if k not in ("host", "port")}
    server = waitress.server.create_server(app, host="127.0.0.1", port=0, **settings)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=30)
        connection.request("GET", "/login")
        response = connection.getresponse()
        response.read()
        connection.close()
    finally:
        # Stopped by its own loop (a thunk the trigger runs there): closing its sockets from
        # this thread raced the loop's poll and a worker's last write (EBADF, seen in CI).
        server.trigger.pull_trigger(lambda: _stop_from_the_loop(server))
        join_all([thread], 10)
    assert response.status == 200
    assert response.getheader("Server") is None
    assert "congress_app" not in str(response.getheaders())


# Download names --------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "safe"), [
    ("CON.pdf", "_CON.pdf"),
    ("nul.pdf", "_nul.pdf"),
    ("Aux.báo cáo.pdf", "_Aux.báo cáo.pdf"),
    ("com1 .pdf", "_com1 .pdf"),
    ("LPT9.png", "_LPT9.png"),
    ("prn", "_prn"),
    ("CONTENT.pdf", "CONTENT.pdf"),
    ("Console.pdf", "Console.pdf"),
    ("COM10.pdf", "COM10.pdf"),
    ("Báo cáo CON.pdf", "Báo cáo CON.pdf"),
])
def test_windows_device_names_get_a_leading_underscore(name, safe):
    assert windows_safe(name) == safe


@pytest.mark.parametrize(("name", "fallback"), [
    ("Đại hội Đảng bộ.pdf", "Dai hoi Dang bo.pdf"),
    ("Báo cáo chính trị nhiệm kỳ 2025–2030.pdf", "Bao cao chinh tri nhiem ky 2025-2030.pdf"),
    ("“Dự thảo” đường lối.pdf", "Du thao duong loi.pdf"),
    ("ĐỒNG Ý.png", "DONG Y.png"),
    ("中文.pdf", "download.pdf"),
    ("nul.pdf", "_nul.pdf"),
])
def test_ascii_fallback_names_transliterate_vietnamese(name, fallback):
    assert ascii_fallback(name) == fallback


def _upload(auth, filename: str, data: bytes):
    form = {"title": "Báo cáo", "category": "political_report", "visibility": "public",
            "published": "y", "file": (io.BytesIO(data), filename)}
    return auth.post("/organiser/documents/new", form, content_type="multipart/form-data")


@pytest.mark.parametrize(("uploaded", "stored"), [
    ("CON.pdf", "_CON.pdf"),
    ("nul", "_nul.pdf"),
    ("Lpt1.Báo cáo.PDF", "_Lpt1.Báo cáo.PDF"),
])
def test_an_upload_named_after_a_windows_device_is_kept_under_a_safe_name(
    client, signed_in, pdf_bytes, uploaded, stored
):
    response = _upload(signed_in, uploaded, pdf_bytes("Báo cáo"))
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    document = document_service.find_by_code(_last_code())
    assert document.current_version.original_filename == stored
    disposition = client.get(f"/d/{document.code}/file?download=1").headers[
        "Content-Disposition"]
    assert _fallback(disposition) == ascii_fallback(stored)
    assert _fallback(disposition).startswith("_")


def _last_code() -> str:
    from congress_app.models import Document

    db.session.expire_all()
    return db.session.scalars(db.select(Document.code).order_by(Document.id.desc())).first()


def _fallback(disposition: str) -> str:
    """The plain `filename=` of a Content-Disposition (quoted or not)."""
    part = disposition.split("filename=", 1)[1].split(";", 1)[0].strip()
    return part[1:-1] if part.startswith('"') else part


def test_every_download_keeps_the_d_of_vietnamese_names(client, auth, organiser, congress,
                                                        make_document):
    document = make_document(filename="Đề án Đảng bộ – nhiệm kỳ mới.pdf")
    disposition = client.get(f"/d/{document.code}/file").headers["Content-Disposition"]
    assert _fallback(disposition) == "De an Dang bo - nhiem ky moi.pdf"
    assert "filename*=UTF-8''" + quote("Đề án Đảng bộ – nhiệm kỳ mới.pdf") in disposition

    client.set_cookie("lang", "vi")
    programme = client.get("/programme.pdf").headers["Content-Disposition"]
    assert _fallback(programme) == "Chuong trinh - Dang bo phuong Thanh Xuan.pdf"

    auth.login()
    printed = client.get("/organiser/print/qr-sheet.pdf").headers["Content-Disposition"]
    assert _fallback(printed).endswith("Dang bo phuong Thanh Xuan.pdf")
    log = client.get("/organiser/audit.csv").headers["Content-Disposition"]
    assert _fallback(log).startswith("Nhat ky hoat dong test ")
    assert "filename*=UTF-8''" in log


# Private codes answer as unknown ones do -------------------------------------------------


@pytest.fixture
def two_wards(congress, make_document, pdf_bytes):
    """Congress A (the fixture, with a draft) and ward B with a draft and an organisers-only
    document; B's name must never show on a page about one of those codes."""
    b = Congress(slug="binh-minh-2025", title="Đại hội Đảng bộ phường BinhMinh",
                 organisation="Đảng bộ phường BinhMinh", starts_on=date(2025, 7, 24),
                 ends_on=date(2025, 7, 24), follow_browser_language=True)
    db.session.add(b)
    db.session.commit()

    def b_document(title: str, **kwargs):
        return intake.create_document(
            b, title=title, category="political_report",
            upload=intake.Upload(io.BytesIO(pdf_bytes(title)), "b.pdf"), **kwargs)

    return {
        "a_draft": make_document(title="Bản nháp của A", published=False).code,
        "b_draft": b_document("Bản nháp BinhMinh", published=False).code,
        "b_internal": b_document("Nội bộ BinhMinh", visibility="organisers").code,
    }


@pytest.mark.parametrize("suffix", ["", "/file", "/qr.svg", "/pages/1.webp"])
def test_a_private_code_answers_exactly_like_an_unknown_one(app, client, two_wards, suffix):
    def answer(code: str):
        phone = app.test_client()  # a new phone each time, an English one at that
        response = phone.get(f"/d/{code}{suffix}", headers={"Accept-Language": "en"})
        return (response.status_code, sorted(response.vary),
                response.get_data(as_text=True).replace(code, "CODE"))

    unknown = answer("QQQQQQ")
    assert unknown[0] == 404
    assert "BinhMinh" not in unknown[2]
    for name in ("b_draft", "b_internal", "a_draft"):
        assert answer(two_wards[name]) == unknown, name
