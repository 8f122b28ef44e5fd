"""A delegate scans a printed QR code: the document page, the file, and its QR images."""

from __future__ import annotations

import io
from urllib.parse import quote

import pytest
import zxingcpp
from PIL import Image

from congress_app.services import documents as document_service
from congress_app.services import intake

from .conftest import BASE_URL


def test_scanned_code_opens_the_document_page(client, make_document):
    document = make_document(title="Báo cáo chính trị trình Đại hội")
    html = client.get(f"/d/{document.code}").get_data(as_text=True)
    assert "Báo cáo chính trị trình Đại hội" in html
    assert f"/d/{document.code}/file" in html  # the big open button
    assert "2" in html  # pages


@pytest.mark.parametrize("transform", [str.lower, str.upper, lambda c: c[:3].lower() + c[3:]])
def test_the_code_is_accepted_in_any_letter_case(client, make_document, transform):
    document = make_document()
    response = client.get(f"/d/{transform(document.code)}", follow_redirects=True)
    assert response.status_code == 200
    assert document.title in response.get_data(as_text=True)


def test_upper_case_qr_url_redirects_to_the_canonical_page(client, make_document):
    document = make_document()
    response = client.get(f"/D/{document.code}")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"/d/{document.code}")


@pytest.mark.parametrize("code", ["ZZZZZZ", "abc0OI", "x" * 40, "%2e%2e"])
def test_an_unknown_code_gets_a_clear_404_page(client, congress, code):
    client.set_cookie("lang", "en")
    response = client.get(f"/d/{code}")
    assert response.status_code == 404
    assert "Check the code printed under the QR code" in response.get_data(as_text=True)


def test_the_document_page_lists_the_programme_items_it_belongs_to(client, congress,
                                                                     make_document):
    from congress_app.extensions import db
    from congress_app.models import AgendaItemDocument

    document = make_document()
    item = congress.sessions[0].items[1]
    db.session.add(AgendaItemDocument(item=item, document=document, position=1))
    db.session.commit()
    html = client.get(f"/d/{document.code}").get_data(as_text=True)
    assert item.title in html and f"#item-{item.id}" in html


def test_file_download_has_type_vietnamese_name_and_validators(client, make_document, pdf_bytes):
    document = make_document(filename="Báo cáo chính trị.pdf")
    response = client.get(f"/d/{document.code}/file?download=1")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data == pdf_bytes("Báo cáo chính trị")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''" + quote("Báo cáo chính trị.pdf") in disposition
    assert response.headers["ETag"] == f'"{document.current_version.sha256}"'
    assert "Last-Modified" in response.headers
    assert response.headers["Accept-Ranges"] == "bytes"


def test_opening_the_file_is_inline_for_the_phone_viewer(client, make_document):
    document = make_document()
    response = client.get(f"/d/{document.code}/file")
    assert response.headers["Content-Disposition"].startswith("inline;")


def test_a_phone_that_has_the_file_gets_304(client, make_document):
    document = make_document()
    first = client.get(f"/d/{document.code}/file")
    again = client.get(f"/d/{document.code}/file",
                       headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""
    since = client.get(f"/d/{document.code}/file",
                       headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304


def test_pdf_viewers_can_fetch_byte_ranges(client, make_document, pdf_bytes):
    document = make_document()
    whole = pdf_bytes(document.title)
    response = client.get(f"/d/{document.code}/file", headers={"Range": "bytes=10-99"})
    assert response.status_code == 206
    assert response.data == whole[10:100]
    assert response.headers["Content-Range"] == f"bytes 10-99/{len(whole)}"
    tail = client.get(f"/d/{document.code}/file", headers={"Range": "bytes=-50"})
    assert tail.data == whole[-50:]
    beyond = client.get(f"/d/{document.code}/file",
                        headers={"Range": f"bytes={len(whole) + 10}-"})
    assert beyond.status_code == 416


def test_a_replaced_document_serves_the_new_file_under_the_same_code(client, make_document,
                                                                      pdf_bytes):
    document = make_document()
    code = document.code
    old = client.get(f"/d/{code}/file")
    new_pdf = pdf_bytes("Báo cáo chính trị — bản sửa", 3)
    intake.replace_file(document, intake.Upload(io.BytesIO(new_pdf), "v2.pdf"))
    fresh = client.get(f"/d/{code}/file", headers={"If-None-Match": old.headers["ETag"]})
    assert fresh.status_code == 200
    assert fresh.data == new_pdf
    assert document.code == code


def test_a_deleted_document_answers_410_gone(client, make_document):
    document = make_document()
    document_service.delete_document(document)
    client.set_cookie("lang", "en")
    for path in (f"/d/{document.code}", f"/d/{document.code}/file",
                 f"/d/{document.code}/qr.png"):
        response = client.get(path)
        assert response.status_code == 410, path
    assert "withdrawn" in client.get(f"/d/{document.code}").get_data(as_text=True)


def test_an_unpublished_document_is_invisible_to_delegates(client, make_document):
    document = make_document(published=False)
    for path in (f"/d/{document.code}", f"/d/{document.code}/file",
                 f"/d/{document.code}/qr.svg"):
        assert client.get(path).status_code == 404, path
    assert document.title not in client.get("/documents").get_data(as_text=True)


def _decode(png: bytes) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def _decode_svg(svg: bytes) -> list[str]:
    """Rasterise the SVG through WeasyPrint and pdfium, as a printer would see it."""
    import base64

    import pypdfium2 as pdfium
    from weasyprint import HTML

    uri = "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
    pdf = HTML(string=f'<img src="{uri}" style="width:60mm">').write_pdf()
    image = pdfium.PdfDocument(pdf)[0].render(scale=200 / 72).to_pil()
    return [r.text for r in zxingcpp.read_barcodes(image)]


def test_qr_png_and_svg_decode_to_the_document_url(client, make_document):
    document = make_document()
    expected = f"{BASE_URL}/d/{document.code}".upper()
    png = client.get(f"/d/{document.code}/qr.png")
    assert png.mimetype == "image/png"
    assert _decode(png.data) == [expected]
    svg = client.get(f"/d/{document.code}/qr.svg")
    assert svg.mimetype == "image/svg+xml"
    assert _decode_svg(svg.data) == [expected]
    # …and the decoded text, typed into a phone, opens the document.
    path = expected.removeprefix(BASE_URL.upper())
    assert client.get(path, follow_redirects=True).status_code == 200


def test_qr_codes_fit_alphanumeric_mode(make_document):
    from congress_app.qr import qr_payload

    payload = qr_payload(BASE_URL, make_document().code)
    alphanumeric = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
    assert set(payload) <= alphanumeric


def test_qr_images_are_rendered_once_not_per_request(client, make_document, monkeypatch):
    from congress_app import qr

    calls = []
    real = qr.render_qr
    monkeypatch.setattr(qr, "render_qr", lambda *a, **k: calls.append(a) or real(*a, **k))
    document = make_document()
    for _ in range(3):
        assert client.get(f"/d/{document.code}/qr.png").status_code == 200
    assert len(calls) == 1


def test_the_same_bytes_uploaded_twice_are_stored_once(app, make_document, pdf_bytes):
    from pathlib import Path

    first = make_document(title="A", pdf=pdf_bytes("same"))
    second = make_document(title="B", pdf=pdf_bytes("same"))
    assert first.current_version.sha256 == second.current_version.sha256
    root = Path(app.config["FILE_STORE"])
    stored = [p for p in root.rglob("*") if p.is_file() and p.relative_to(root).parts[0] != "tmp"]
    assert len(stored) == 1


def test_document_codes_avoid_ambiguous_characters(app, congress):
    codes = {document_service.new_code() for _ in range(200)}
    assert len(codes) == 200
    assert not any(set(code) & set("01OIL") for code in codes)


def test_behind_nginx_the_app_hands_the_bytes_over_with_x_accel_redirect(
    app, client, make_document
):
    document = make_document()
    version = document.current_version
    app.config["FILE_ACCEL_REDIRECT"] = "/_congress_files/"
    response = client.get(f"/d/{document.code}/file", headers={"Range": "bytes=10-99"})
    assert response.status_code == 200 and response.get_data() == b""
    assert response.headers["X-Accel-Redirect"] == (
        f"/_congress_files/{version.sha256[:2]}/{version.sha256[2:]}")
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["ETag"] == f'"{version.sha256}"'
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    assert "Content-Range" not in response.headers  # nginx answers the range itself
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    again = client.get(f"/d/{document.code}/file",
                       headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and "X-Accel-Redirect" not in again.headers
