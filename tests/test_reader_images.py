"""The reader's page images: rendered, cached, private; pictures and bad files as uploads."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image
from pypdf import PdfWriter

from congress_app.extensions import db
from congress_app.models import Document, DocumentVersion
from congress_app.services import documents as document_service
from congress_app.services import intake, page_images
from congress_app.services.errors import InputRefused

from .reader_fixtures import VIETNAMESE, upload

# Page images rendered from PDFs: once, in the SQLite pass.
pytestmark = [pytest.mark.usefixtures("sync_rendering"), pytest.mark.database_agnostic,
              pytest.mark.agnostic_in_sqlite]


def _webp_files(app, sha256: str, width: int) -> list:
    folder = page_images.pages_root(app.config["CACHE_DIR"]) / sha256 / str(width)
    return sorted(folder.glob("*.webp")) if folder.is_dir() else []


def _image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _picture(fmt: str, size=(600, 800), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt, **save)
    return out.getvalue()


def _state(app) -> tuple:
    store = page_images.pages_root(app.config["CACHE_DIR"]).parent.parent / "files"
    files = sorted(p.name for p in store.rglob("*") if p.is_file())
    return (db.session.query(Document).count(), db.session.query(DocumentVersion).count(), files)


# Page images --------------------------------------------------------------------------

def test_uploading_a_pdf_renders_every_page_at_both_widths(app, make_document, pdf_bytes):
    document = make_document(pdf=pdf_bytes(VIETNAMESE, 3))
    sha = document.current_version.sha256
    for width in page_images.WIDTHS:
        files = _webp_files(app, sha, width)
        assert [f.name for f in files] == ["1.webp", "2.webp", "3.webp"]
        for file in files:
            image = _image(file.read_bytes())
            assert image.format == "WEBP"
            assert image.width == width
            assert image.height == pytest.approx(width * 842 / 595, abs=2)  # A4 portrait
    assert page_images.progress(sha, app.config["CACHE_DIR"]) == {"done": 3, "total": 3}


def test_a_page_image_is_served_with_validators(client, make_document):
    document = make_document()
    response = client.get(f"/d/{document.code}/pages/2.webp?w=480")
    assert response.status_code == 200
    assert response.mimetype == "image/webp"
    assert _image(response.data).size[0] == 480
    etag = response.headers["ETag"]
    assert document.current_version.sha256 in etag
    assert "no-cache" in response.headers["Cache-Control"]
    again = client.get(f"/d/{document.code}/pages/2.webp?w=480", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_the_readers_image_urls_name_the_file_so_phones_keep_them(client, make_document):
    document = make_document()
    sha = document.current_version.sha256
    html = client.get(f"/d/{document.code}").get_data(as_text=True)
    url = f"/d/{document.code}/pages/1.webp?v={sha[:12]}&amp;w=480"
    assert url in html
    response = client.get(url.replace("&amp;", "&"))
    cache = response.headers["Cache-Control"]
    assert "max-age=31536000" in cache and "immutable" in cache and "public" in cache


def test_identical_files_share_their_page_images(app, make_document, pdf_bytes, monkeypatch):
    pdf = pdf_bytes("Cùng một tệp", 2)
    first = make_document(title="Bản A", pdf=pdf)
    made = []
    original = page_images._render_pdf_page
    monkeypatch.setattr(page_images, "_render_pdf_page",
                        lambda *a, **k: made.append(a[2]) or original(*a, **k))
    second = make_document(title="Bản B", pdf=pdf)
    assert second.current_version.sha256 == first.current_version.sha256
    assert made == []  # nothing rendered again


def test_a_replaced_file_gets_new_page_images(app, client, make_document, pdf_bytes):
    document = make_document(pdf=pdf_bytes("Bản cũ", 1))
    old = client.get(f"/d/{document.code}/pages/1.webp")
    intake.replace_file(document, upload(pdf_bytes("Bản mới", 2), "moi.pdf"))
    new_sha = document.current_version.sha256
    assert len(_webp_files(app, new_sha, 960)) == 2
    fresh = client.get(f"/d/{document.code}/pages/1.webp",
                       headers={"If-None-Match": old.headers["ETag"]})
    assert fresh.status_code == 200 and new_sha in fresh.headers["ETag"]
    assert client.get(f"/d/{document.code}/pages/2.webp").status_code == 200


def test_a_page_not_rendered_yet_is_rendered_when_asked_for(app, client, make_document):
    document = make_document()
    sha = document.current_version.sha256
    for file in _webp_files(app, sha, 480) + _webp_files(app, sha, 960):
        file.unlink()
    response = client.get(f"/d/{document.code}/pages/2.webp?w=480")
    assert response.status_code == 200
    assert _image(response.data).width == 480
    assert [f.name for f in _webp_files(app, sha, 480)] == ["2.webp"]


@pytest.mark.parametrize("path", ["0.webp", "3.webp", "99999.webp", "1.webp?w=123",
                                  "-1.webp", "abc.webp"])
def test_a_page_out_of_range_is_404(client, make_document, path):
    document = make_document()  # two pages
    assert client.get(f"/d/{document.code}/pages/{path}").status_code == 404


def test_page_images_are_as_private_as_the_document(client, make_document):
    hidden = make_document(title="Chưa công bố", published=False)
    assert client.get(f"/d/{hidden.code}/pages/1.webp").status_code == 404
    delegates = make_document(title="Chỉ đại biểu", visibility="delegates")
    response = client.get(f"/d/{delegates.code}/pages/1.webp")
    assert response.status_code == 302
    assert "/delegate" in response.headers["Location"] or "sign" in response.headers["Location"]
    assert response.headers["Location"] == client.get(f"/d/{delegates.code}").headers["Location"]
    document_service.delete_document(make_document(title="Đã rút"))
    gone = db.session.query(Document).filter(Document.deleted_at.isnot(None)).one()
    assert client.get(f"/d/{gone.code}/pages/1.webp").status_code == 410


def test_an_organiser_sees_the_pages_of_an_unpublished_document(signed_in, make_document):
    document = make_document(published=False)
    response = signed_in._client.get(f"/d/{document.code}/pages/1.webp")
    assert response.status_code == 200
    assert "private" in response.headers["Cache-Control"]

# Images as documents ------------------------------------------------------------------

@pytest.mark.parametrize(("fmt", "filename", "mime", "stored_name"), [
    ("JPEG", "Ảnh hội trường.jpg", "image/jpeg", "Ảnh hội trường.jpg"),
    ("PNG", "Sơ đồ chỗ ngồi.png", "image/png", "Sơ đồ chỗ ngồi.png"),
    ("PNG", "Sơ đồ chỗ ngồi", "image/png", "Sơ đồ chỗ ngồi.png"),
])
def test_a_jpeg_or_png_becomes_a_one_page_document(app, client, make_document, fmt, filename,
                                                   mime, stored_name):
    data = _picture(fmt)
    document = make_document(title="Sơ đồ", filename=filename, pdf=data)
    version = document.current_version
    assert (version.mime_type, version.pages, version.text) == (mime, 1, "")
    assert version.original_filename == stored_name
    assert [f.name for f in _webp_files(app, version.sha256, 480)] == ["1.webp"]
    file = client.get(f"/d/{document.code}/file")
    # The same picture, encoded again without its metadata (see test_image_metadata).
    assert file.mimetype == mime and _image(file.data).tobytes() == _image(data).tobytes()
    page = client.get(f"/d/{document.code}/pages/1.webp?w=960")
    assert _image(page.data).size == (960, 1280)
    html = client.get(f"/d/{document.code}").get_data(as_text=True)
    assert 'width="960" height="1280"' in html
    assert client.get(f"/d/{document.code}/pages/2.webp").status_code == 404


def test_an_image_can_be_uploaded_through_the_organiser_form(app, signed_in):
    client = signed_in._client
    response = signed_in.post("/organiser/documents/new", data={
        "title": "Ảnh khai mạc", "category": "other", "visibility": "public",
        "published": "y", "file": (io.BytesIO(_picture("PNG")), "khai-mac.png"),
    }, content_type="multipart/form-data")
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]
    version = db.session.query(DocumentVersion).one()
    assert version.mime_type == "image/png"
    assert client.get(f"/d/{version.document.code}/pages/1.webp").status_code == 200


def _gif() -> bytes:
    return _picture("GIF")


def _animated_png() -> bytes:
    out = io.BytesIO()
    frames = [Image.new("RGB", (50, 50), c) for c in ("red", "blue")]
    frames[0].save(out, "PNG", save_all=True, append_images=frames[1:])
    return out.getvalue()


def _huge_png() -> bytes:
    out = io.BytesIO()
    Image.new("1", (8000, 7000)).save(out, "PNG")  # 56 megapixels, a few kilobytes
    return out.getvalue()


BAD_FILES = {
    "a GIF": (_gif, "anh.gif", "Upload a PDF, JPEG or PNG file"),
    "text renamed .png": (lambda: b"Not an image at all\n" * 10, "anh.png",
                          "Upload a PDF, JPEG or PNG file"),
    "truncated PNG": (lambda: _picture("PNG")[:300], "anh.png", "This image is damaged"),
    "truncated JPEG": (lambda: _picture("JPEG")[:400], "anh.jpg", "This image is damaged"),
    "animated PNG": (_animated_png, "anh.png", "Animated images cannot be documents"),
    "56 megapixels": (_huge_png, "anh.png", "This image is too large"),
    "encrypted PDF": (None, "mat.pdf", "This PDF is password-protected"),
    "corrupted PDF": (lambda: b"%PDF-1.7\n" + b"\x00garbage" * 100, "hong.pdf",
                      "This PDF is damaged and cannot be read."),
}


def _encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt("secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(("make", "filename", "message"), BAD_FILES.values(), ids=BAD_FILES)
def test_a_file_that_is_not_a_readable_pdf_jpeg_or_png_is_refused(app, make_document, make,
                                                                  filename, message):
    make_document()
    before = _state(app)
    data = (make or _encrypted_pdf)()
    with app.test_request_context(headers={"Cookie": "lang=en"}), \
            pytest.raises(InputRefused) as refused:
        make_document(title="Tệp xấu", filename=filename, pdf=data)
    assert message in str(refused.value.message)
    db.session.rollback()
    assert _state(app) == before


# A very long document -----------------------------------------------------------------

def test_a_2000_page_pdf_is_accepted_at_once_and_rendered_in_the_background(
    app, signed_in
):
    writer = PdfWriter()
    for _ in range(2000):
        writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    app.config["PAGE_RENDERING"] = "background"
    response = signed_in.post("/organiser/documents/new", data={
        "title": "Tuyển tập văn kiện", "category": "other", "visibility": "public",
        "published": "y", "file": (io.BytesIO(out.getvalue()), "tuyen-tap.pdf"),
    }, content_type="multipart/form-data")
    assert response.status_code in (302, 303)
    version = db.session.query(DocumentVersion).one()
    assert version.pages == 2000
    deadline = time.monotonic() + 10
    while (progress := page_images.progress(version.sha256, app.config["CACHE_DIR"])) is None:
        assert time.monotonic() < deadline, "rendering never started"
        time.sleep(0.02)
    assert progress["total"] == 2000
    assert progress["done"] < 2000  # still going: it was not done inside the request
    # A phone far ahead of the worker gets its page rendered on the spot.
    client = signed_in._client
    page = client.get(f"/d/{version.document.code}/pages/1999.webp?w=480")
    assert page.status_code == 200 and _image(page.data).width == 480
    html = client.get(f"/d/{version.document.code}").get_data(as_text=True)
    assert html.count('class="page"') == 20  # one window of pages, not 2,000
    assert "Pages 1–20 / 2,000" in html
    page_images.stop_rendering()
