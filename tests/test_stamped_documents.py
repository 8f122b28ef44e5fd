"""A document's own PDF stamped with its QR code, so a printed copy leads to the latest version."""

from __future__ import annotations

import io
import unicodedata

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader, PdfWriter
from weasyprint import HTML

from congress_app.extensions import db
from congress_app.pdf import stamp
from congress_app.pdf.editions import Edition
from congress_app.qr import qr_payload
from congress_app.services import documents as document_service
from congress_app.services.errors import InputRefused
from congress_app.storage import file_store

from .conftest import BASE_URL

pytestmark = pytest.mark.database_agnostic

MM = 72 / 25.4
PX_PER_MM = 150 / 25.4
RESOLUTION_TEXT = "Nghị quyết Đại hội đại biểu Đảng bộ phường Thanh Xuân lần thứ I"
LINK = "https://thanhxuan.hanoi.gov.vn/nghi-quyet"


@pytest.fixture(scope="module")
def odd_pdf() -> bytes:
    """Three pages: A4 with a link, A5 stored with /Rotate 90 (shown landscape), US letter."""
    html = f"""
    <style>
      @page a5 {{ size: A5; }} @page letter {{ size: letter; }}
      .a5 {{ page: a5; }} .letter {{ page: letter; }}
      section {{ break-after: page; }}
    </style>
    <section><h1>{RESOLUTION_TEXT}</h1><p>Trang 1: <a href="{LINK}">toàn văn</a></p></section>
    <section class="a5"><p>Trang 2: Đoàn kết - Dân chủ - Kỷ cương</p></section>
    <section class="letter"><p>Trang 3: Trách nhiệm - Hiệu quả</p></section>
    """
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(HTML(string=html).write_pdf())))
    writer.pages[1].rotate(90)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def resolution(make_document, odd_pdf):
    return make_document(title=RESOLUTION_TEXT, filename="Nghị quyết.pdf", pdf=odd_pdf,
                         category="draft_resolution")


def stamped(app, document, *, pages: str = "all", corner: str = "top-right") -> bytes:
    with app.test_request_context("/"):
        path = stamp.render_stamped(document, document.current_version, pages=pages,
                                    corner=corner, base_url=BASE_URL)
    return path.read_bytes()


def page_texts(pdf: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    return [unicodedata.normalize("NFC", page.extract_text()) for page in reader.pages]


def page_images(pdf: bytes) -> list[Image.Image]:
    """Each page as printed at 150 dpi, turned as /Rotate says."""
    document = pdfium.PdfDocument(pdf)
    try:
        return [page.render(scale=150 / 72).to_pil() for page in document]
    finally:
        document.close()


def qr_codes(image: Image.Image) -> list:
    return zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)


def corner_crop(image: Image.Image, corner: str, size_mm: float = 40) -> Image.Image:
    """The square of the page's `corner` a stamp must sit in."""
    size = round(size_mm * PX_PER_MM)
    left = image.width - size if corner.endswith("right") else 0
    top = 0 if corner.startswith("top") else image.height - size
    return image.crop((left, top, left + size, top + size))


def test_every_page_keeps_its_text_links_and_size(app, resolution, odd_pdf):
    pdf = stamped(app, resolution, pages="all")

    original, result = PdfReader(io.BytesIO(odd_pdf)), PdfReader(io.BytesIO(pdf))
    assert len(result.pages) == len(original.pages) == 3
    for before, after, text_before, text_after in zip(
        original.pages, result.pages, page_texts(odd_pdf), page_texts(pdf), strict=True
    ):
        assert text_before.strip() and text_before in text_after  # exactly, tone marks too
        assert resolution.code in text_after.replace(text_before, "")
        assert after.mediabox == before.mediabox and after.rotation == before.rotation
    assert RESOLUTION_TEXT in " ".join(page_texts(pdf)[0].split())

    uris = [a.get_object()["/A"]["/URI"] for a in result.pages[0]["/Annots"]]
    assert LINK in uris  # the document's own link survives
    assert f"{BASE_URL}/d/{resolution.code}" in uris  # and the stamp opens the document


@pytest.mark.parametrize("corner", stamp.CORNERS)
def test_the_qr_code_scans_at_150_dpi_in_the_chosen_corner(app, client, resolution, corner):
    image = page_images(stamped(app, resolution, pages="first", corner=corner))[0]

    found = qr_codes(corner_crop(image, corner))
    assert [b.text for b in found] == [qr_payload(BASE_URL, resolution.code)]
    assert len(qr_codes(image)) == 1  # nowhere else on the page
    # Inside the 8 mm margin: no dark pixel of the stamp nearer the edge than that.
    position = found[0].position
    xs = [p.x for p in (position.top_left, position.top_right, position.bottom_left)]
    ys = [p.y for p in (position.top_left, position.top_right, position.bottom_left)]
    crop_size = round(40 * PX_PER_MM)
    edge_gap = min(xs) if corner.endswith("left") else crop_size - max(xs)
    vertical_gap = min(ys) if corner.startswith("top") else crop_size - max(ys)
    assert edge_gap >= 8 * PX_PER_MM and vertical_gap >= 8 * PX_PER_MM

    page = client.get(found[0].text.removeprefix(BASE_URL.upper()), follow_redirects=True)
    assert page.status_code == 200 and RESOLUTION_TEXT in page.get_data(as_text=True)


def test_only_the_first_page_is_stamped_unless_all_are_asked_for(app, resolution):
    first = page_images(stamped(app, resolution, pages="first"))
    assert [len(qr_codes(image)) for image in first] == [1, 0, 0]

    every = page_images(stamped(app, resolution, pages="all"))
    assert [len(qr_codes(image)) for image in every] == [1, 1, 1]


def test_a_rotated_page_and_other_paper_sizes_get_an_upright_stamp_in_their_corner(
    app, resolution
):
    images = page_images(stamped(app, resolution, pages="all", corner="top-right"))

    rotated, letter = images[1], images[2]
    assert rotated.width > rotated.height  # A5 shown landscape by /Rotate 90
    assert round(letter.width / PX_PER_MM) == 216  # 8.5 in
    for image in (rotated, letter):
        found = qr_codes(corner_crop(image, "top-right"))
        assert [b.text for b in found] == [qr_payload(BASE_URL, resolution.code)]
        assert found[0].orientation == 0  # upright as the page is read, not as stored
    text = page_texts(stamped(app, resolution, pages="all"))[1]
    assert "Đoàn kết - Dân chủ - Kỷ cương" in text


def test_a_stamped_copy_is_built_once_and_again_for_a_replacement_file(
    app, resolution, pdf_bytes, monkeypatch
):
    builds = []
    real = stamp.stamp_pages

    def counting(*args, **kwargs):
        builds.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(stamp, "stamp_pages", counting)
    with app.test_request_context("/"):
        def render(**options):
            document = db.session.get(type(resolution), resolution.id)
            return stamp.render_stamped(document, document.current_version, base_url=BASE_URL,
                                        **({"pages": "first", "corner": "top-right"} | options))

        first = render()
        mtime = first.stat().st_mtime_ns
        assert render() == first and first.stat().st_mtime_ns == mtime
        assert len(builds) == 1

        assert render(corner="bottom-left") != first and len(builds) == 2

        document_service.replace_file(
            resolution,
            document_service.Upload(io.BytesIO(pdf_bytes("Nghị quyết, bản sửa", 2)), "nq.pdf"),
        )
        replaced = render()
        assert replaced != first and len(builds) == 3
    assert "Nghị quyết, bản sửa" in page_texts(replaced.read_bytes())[0]
    assert resolution.code in page_texts(replaced.read_bytes())[0]


@pytest.fixture
def png_document(make_document):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, "PNG")
    return make_document(title="Sơ đồ hội trường", filename="so-do.png", pdf=buffer.getvalue(),
                         category="other")


def test_an_image_document_cannot_be_stamped(app, congress, png_document):
    with app.test_request_context("/"), pytest.raises(InputRefused) as refused:
        stamp.render(congress, Edition.PUBLIC, {"code": png_document.code, "pages": "first",
                                                "corner": "top-right"})
    assert refused.value.status in (400, 422)
    assert "PDF" in str(refused.value.message)


def test_an_encrypted_or_broken_file_is_refused_not_a_server_error(app, resolution, odd_pdf):
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(odd_pdf)))
    writer.encrypt("mật khẩu")
    encrypted = io.BytesIO()
    writer.write(encrypted)
    broken = odd_pdf[: len(odd_pdf) // 3]
    for data in (encrypted.getvalue(), broken, b"%PDF-1.7\nnot really a PDF"):
        # Uploads are checked, so put the odd bytes straight into the store.
        resolution.current_version.sha256 = file_store().put_bytes(data).sha256
        with app.test_request_context("/"), pytest.raises(InputRefused) as refused:
            stamp.render_stamped(resolution, resolution.current_version, pages="all",
                                 corner="top-left", base_url=BASE_URL)
        assert refused.value.status == 422
    db.session.rollback()


def test_each_edition_stamps_only_what_its_readers_may_open(app, congress, make_document):
    public = make_document(title="Thông cáo báo chí")
    delegates = make_document(title="Báo cáo kiểm điểm", visibility="delegates")
    unpublished = make_document(title="Dự thảo chưa công bố", published=False)
    deleted = make_document(title="Văn bản đã xóa")
    document_service.delete_document(deleted)
    may_print = {
        Edition.PUBLIC: {public},
        Edition.DELEGATES: {public, delegates},
        Edition.ORGANISERS: {public, delegates, unpublished},
    }
    with app.test_request_context("/"):
        for edition, allowed in may_print.items():
            for document in (public, delegates, unpublished, deleted):
                options = stamp.parse_options({"code": document.code.lower()})
                if document in allowed:
                    assert stamp.render(congress, edition, options).is_file()
                else:
                    with pytest.raises(InputRefused) as refused:
                        stamp.render(congress, edition, options)
                    assert refused.value.status == 404, (edition, document.title)
        with pytest.raises(InputRefused) as refused:
            stamp.render(congress, Edition.ORGANISERS, stamp.parse_options({"code": "ZZZZZZ"}))
        assert refused.value.status == 404


def test_options_have_defaults_and_a_code_is_required(app):
    with app.test_request_context("/"):
        assert stamp.parse_options({"code": " abc234 "}) == {
            "code": "ABC234", "pages": "first", "corner": "top-right"
        }
        assert stamp.parse_options(
            {"code": "ABC234", "pages": "ALL", "corner": "Bottom-Left"}
        ) == {"code": "ABC234", "pages": "all", "corner": "bottom-left"}


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({}, "code"),
        ({"code": "  "}, "code"),
        ({"code": "abc-01"}, "code"),
        ({"code": "ABC234", "pages": "odd"}, "pages"),
        ({"code": "ABC234", "corner": "middle"}, "corner"),
    ],
)
def test_bad_options_are_refused_with_the_field_named(app, args, field):
    with app.test_request_context("/"), pytest.raises(InputRefused) as refused:
        stamp.parse_options(args)
    assert refused.value.field == field and refused.value.status == 400
