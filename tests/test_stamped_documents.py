"""A document's own PDF stamped with its QR code, so a printed copy leads to the latest version,
and the stamp put where the page is blank, never over the document's own words."""

from __future__ import annotations

import io
import unicodedata

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader, PdfWriter
from sqlalchemy import select
from weasyprint import HTML

from bench.stamp_placement import covered_pages, stamp_boxes
from congress_app.extensions import db
from congress_app.models import Document, Role
from congress_app.pdf import stamp
from congress_app.pdf.editions import Edition
from congress_app.qr import qr_payload
from congress_app.services import documents as document_service
from congress_app.services import intake
from congress_app.services.errors import InputRefused
from congress_app.storage import file_store

from .browser import browser_sign_in, wait_for_js
from .conftest import BASE_URL, PASSWORD, add_user
from .pdf_reading import check_printable

# PDF work, no query the database type changes: once, in the SQLite pass.
pytestmark = [pytest.mark.database_agnostic, pytest.mark.agnostic_in_sqlite]

MM = 72 / 25.4
PX_PER_MM = 150 / 25.4
RESOLUTION_TEXT = "Nghị quyết Đại hội đại biểu Đảng bộ phường Thanh Xuân lần thứ I"
LINK = "https://thanhxuan.hanoi.gov.vn/nghi-quyet"


@pytest.fixture(scope="module")
def odd_pdf() -> bytes:
    """Three pages: A4 with a link, A5 stored with /Rotate 90 (shown landscape), US letter;
    their corners blank, so the stamp stays in the corner asked for."""
    html = f"""
    <style>
      @page {{ margin: 36mm; }}
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
    assert "Đoàn kết - Dân chủ - Kỷ cương" in " ".join(text.split())


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

        intake.replace_file(
            resolution,
            intake.Upload(io.BytesIO(pdf_bytes("Nghị quyết, bản sửa", 2)), "nq.pdf"),
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


def text_pdf(margins: str = "0", pages: int = 1, rule: bool = False) -> bytes:
    """A4 pages printed all over with justified text, but for the given @page margins; with
    `rule`, a line down the left of the text marks exactly where the left margin ends."""
    words = " ".join(["Đại hội đại biểu Đảng bộ phường Thanh Xuân nhiệm kỳ 2025–2030."]
                     * 250 * (pages + 1))
    border = "border-left: .6mm solid #000;" if rule else ""
    full = HTML(string=f"""<style>@page {{ size: A4; margin: {margins}; }}
      html {{ font-size: 9pt; line-height: 1.2; text-align: justify; }}
      body, p {{ margin: 0; }} p {{ {border} }}</style><p>{words}</p>""").write_pdf()
    reader = PdfReader(io.BytesIO(full))
    assert len(reader.pages) > pages  # so each page kept is full to its last line
    writer = PdfWriter()
    for page in reader.pages[:pages]:
        writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_no_stamp_covers_the_words_of_the_demo_documents(runner, client, auth):
    """Every page of every demo document stamped in the default corner and the bottom-right:
    no stamp lies over the page's own ink, and every page's code decodes at 150 dpi."""
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    # The demo's published password is refused on a public address: an organiser of our own.
    add_user("editor", Role.EDITOR)
    assert auth.login("editor", "pass word").status_code == 302
    documents = db.session.scalars(select(Document).order_by(Document.position)).all()
    assert len(documents) >= 12
    figures = {}
    for corner in ("top-right", "bottom-right"):
        covered, pages = [], 0
        for document in documents:
            original = file_store().path_for(document.current_version.sha256).read_bytes()
            response = client.get("/organiser/print/stamped.pdf", query_string={
                "code": document.code, "pages": "all", "corner": corner})
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
            covered += [f"{document.code} p.{n}"
                        for n in covered_pages(original, response.data)]
            images = page_images(response.data)
            pages += len(images)
            assert [[b.text for b in qr_codes(image)] for image in images] == \
                [[qr_payload(BASE_URL, document.code)]] * len(images), (corner, document.code)
        figures[corner] = f"{len(covered)} of {pages} pages covered: {covered}"
    assert figures == {corner: f"0 of {pages} pages covered: []"
                       for corner in ("top-right", "bottom-right")}
    for document in documents:  # so the print centre has nothing to warn about
        over_text = client.get("/organiser/print/stamped/over-text.json", query_string={
            "code": document.code, "pages": "all"})
        assert over_text.get_json() == {"pages": [], "warning": None}


def test_a_printed_over_corner_sends_the_stamp_to_a_blank_one(app, make_document):
    """Text up to the top and both sides: the stamp goes down to the blank bottom-right."""
    pdf = text_pdf("0 0 60mm 0")
    document = make_document(title="Báo cáo kiểm điểm", pdf=pdf)
    result = stamped(app, document, corner="top-right")

    assert covered_pages(pdf, result) == []
    (page,) = stamp_boxes(pdf, result)
    image = page_images(result)[0]
    assert [b.text for b in qr_codes(corner_crop(image, "bottom-right"))] == [
        qr_payload(BASE_URL, document.code)]
    width_mm = (page.box[2] - page.box[0]) * 25.4 / 100
    assert width_mm == pytest.approx(stamp.STAMP_WIDTH_MM, abs=0.5)  # at full size


def test_a_narrow_margin_takes_a_smaller_stamp_whose_code_still_measures_15_mm(
    app, make_document
):
    """Only a 30 mm binding margin is blank, 8 mm of it the printer's: the stamp shrinks
    into the rest, its symbol still ≥ 15 mm."""
    pdf = text_pdf("0 0 0 30mm", rule=True)
    document = make_document(title="Quy chế làm việc", pdf=pdf)
    result = stamped(app, document, corner="top-right")

    assert covered_pages(pdf, result) == []
    (page,) = stamp_boxes(pdf, result)
    assert page.box[2] * 25.4 / 100 <= 30  # inside the margin
    assert (page.box[2] - page.box[0]) * 25.4 / 100 < stamp.STAMP_WIDTH_MM - 0.3  # shrunk
    figures = check_printable(result, 1)  # decodes at 96 dpi and blurred at 150 dpi, ≥ 15 mm
    assert figures["sizes"][0] < 15.9  # smaller than at full size


def test_a_page_printed_over_everywhere_gets_the_smallest_stamp_and_a_warning(
    client, signed_in, make_document
):
    """No corner or margin is blank: the stamp covers as little as it can, still scans, and
    the print centre names the pages to the organiser."""
    pdf = text_pdf("0", pages=2)
    document = make_document(title="Phụ lục số liệu", pdf=pdf)
    query = {"code": document.code, "pages": "all"}

    response = client.get("/organiser/print/stamped.pdf", query_string=query)
    assert response.status_code == 200
    assert covered_pages(pdf, response.data) == [1, 2]
    check_printable(response.data, 2)  # each page's code at 96 dpi, blurred, ≥ 15 mm

    answer = client.get("/organiser/print/stamped/over-text.json", query_string=query)
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "private, no-cache"
    assert answer.get_json() == {"pages": [1, 2], "warning": (
        "On pages 1, 2 no corner or margin is blank: the stamp covers as little of the text "
        "as it can there. Check those pages before printing.")}
    first = client.get("/organiser/print/stamped/over-text.json",
                       query_string={"code": document.code, "pages": "first"}).get_json()
    assert first["pages"] == [1] and "On page 1 " in first["warning"]

    client.set_cookie("lang", "vi")
    vietnamese = client.get("/organiser/print/stamped/over-text.json", query_string=query)
    assert vietnamese.get_json()["warning"].startswith("Trang 1, 2 không còn góc hay lề nào trống")

    # The print centre page has the place print.js fills in beside the stamp's options.
    page = client.get("/organiser/print/").get_data(as_text=True)
    assert 'data-over-text="/organiser/print/stamped/over-text.json"' in page


def test_the_warning_survives_a_lost_placement_report(app, make_document):
    """The stamped copy is rebuilt when the list of its pages over text has gone."""
    document = make_document(title="Phụ lục số liệu", pdf=text_pdf("0"))
    with app.test_request_context("/"):
        path = stamp.render_stamped(document, document.current_version, pages="all",
                                    corner="top-right", base_url=BASE_URL)
        assert stamp.pages_over_text(path) == [1]
        stamp.over_text_path(path).unlink()
        again = stamp.render_stamped(document, document.current_version, pages="all",
                                     corner="top-right", base_url=BASE_URL)
    assert again == path and stamp.pages_over_text(again) == [1]


@pytest.mark.browser
def test_the_print_centre_names_the_pages_where_the_stamp_covers_text(
    live_server, phone, make_document
):
    """The organiser picks a document printed all over: the stamp's card says so, in words,
    and says nothing for a document with blank corners."""
    covered = make_document(title="Phụ lục số liệu", pdf=text_pdf("0", pages=2))
    clear = make_document(title="Thông cáo báo chí")
    add_user("bantochuc", Role.ADMIN)
    phone.context.add_cookies([{"name": "lang", "value": "en", "url": live_server}])
    browser_sign_in(phone, live_server, "bantochuc", PASSWORD, "/organiser/print/")

    card = phone.locator("#print-stamped")
    note = card.locator("[data-over-text]")
    card.get_by_label("Document").select_option(value=covered.code)
    card.get_by_label("Every page").check()
    card.get_by_text("On pages 1, 2 no corner or margin is blank").wait_for()
    assert note.is_visible()

    card.get_by_label("Document").select_option(value=clear.code)
    wait_for_js(phone, "document.querySelector('#print-stamped [data-over-text]').hidden")
    assert not note.is_visible()
