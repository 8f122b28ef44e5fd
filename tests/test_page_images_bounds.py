"""Page images of absurd page shapes: bounded in pixels, rendered once, served from the cache.

A 100 × 14,400 pt page (2 m tall) drawn 960 px wide would be a 960 × 138,240 px bitmap
(530 MB), more than WebP can hold; a 1 × 14,400 pt page would not fit in memory at all. The
upload will refuse such geometry, but files already stored (or a stricter limit later) must
still give every phone an image, not a 500.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image
from pypdf import PdfWriter

from congress_app.extensions import db
from congress_app.models import DocumentVersion
from congress_app.services import page_images
from congress_app.storage import file_store

pytestmark = pytest.mark.database_agnostic

SHAPES = {
    "100 × 14,400 pt": (100, 14400),
    "1 × 14,400 pt": (1, 14400),
    "14,400 × 1 pt": (14400, 1),
    "14,400 × 14,400 pt": (14400, 14400),
}


def _blank_pdf(width: float, height: float) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=width, height=height)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _tall_png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, "PNG")
    return out.getvalue()


def _as_new_version(document, data: bytes, mime_type: str = "application/pdf"
                    ) -> DocumentVersion:
    """Straight into the store and the database, past the upload's checks."""
    stored = file_store().put_bytes(data)
    version = DocumentVersion(number=2, sha256=stored.sha256, original_filename="cao.pdf",
                              mime_type=mime_type, size=stored.size, pages=1, text="")
    document.versions.append(version)
    db.session.commit()
    return version


@pytest.mark.parametrize(("width", "height"), SHAPES.values(), ids=SHAPES)
def test_a_page_of_any_shape_gets_a_bounded_image_rendered_once(
    app, client, make_document, width, height
):
    document = make_document()
    version = _as_new_version(document, _blank_pdf(width, height))
    _assert_bounded_and_cached(client, document, version, width, height)


def test_a_tall_picture_gets_a_bounded_image(app, client, make_document):
    """A 300 × 18,000 px scan (a long receipt) drawn 960 px wide would be 57,600 px tall."""
    document = make_document()
    version = _as_new_version(document, _tall_png(300, 18000), "image/png")
    _assert_bounded_and_cached(client, document, version, 300, 18000)


def test_the_print_centre_preview_of_a_tall_stamped_page_is_bounded(client, signed_in,
                                                                    make_document):
    document = make_document()
    _as_new_version(document, _blank_pdf(100, 14400))
    response = client.get("/organiser/print/stamped/preview.webp",
                          query_string={"code": document.code})
    assert response.status_code == 200
    image = Image.open(io.BytesIO(response.data))
    assert image.width <= page_images.PREVIEW_WIDTH
    assert max(image.size) <= page_images.WEBP_MAX_SIDE


def _assert_bounded_and_cached(client, document, version, width, height) -> None:
    """Each width: 200, a WebP within the bounds at the page's proportions, and a second
    request answered from the cache (the cached file is not written again)."""
    for w in page_images.WIDTHS:
        url = f"/d/{document.code}/pages/1.webp?w={w}"
        first = client.get(url)
        assert first.status_code == 200, (w, first.status_code)
        image = Image.open(io.BytesIO(first.data))
        assert image.format == "WEBP"
        assert image.width <= w and max(image.size) <= page_images.WEBP_MAX_SIDE
        assert image.width * image.height <= page_images.MAX_PIXELS
        # The page's proportions, as far as whole pixels can keep them.
        if image.width <= image.height:
            assert abs(image.width - image.height * width / height) <= 1
        else:
            assert abs(image.height - image.width * height / width) <= 1

        cached = page_images.page_path(version.sha256, w, 1)
        before = cached.stat()
        second = client.get(url)
        assert second.status_code == 200 and second.data == first.data
        after = cached.stat()
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
