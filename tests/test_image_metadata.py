"""A photo uploaded as a document is served without the metadata the phone wrote into it
(GPS position, camera, XMP, PNG text), turned the way the phone held it, colours kept."""

from __future__ import annotations

import hashlib
import io
import struct

import pytest
from PIL import ExifTags, Image, ImageCms, ImageOps, PngImagePlugin

from congress_app.extensions import db
from congress_app.models import Document, DocumentVersion
from congress_app.storage import file_store

pytestmark = pytest.mark.database_agnostic

GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (21.0, 0.0, 7.0),
    ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (105.0, 48.0, 19.0),
}
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
       b'22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
       b'exif:GPSLatitude="21,0.1167N"/></rdf:RDF></x:xmpmeta>')
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _phone_exif() -> Image.Exif:
    """What a phone held sideways writes: turn right before showing (6), where, with what."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Model X 12345"
    exif[ExifTags.IFD.GPSInfo] = GPS
    return exif


def _picture(mode: str = "RGB") -> Image.Image:
    """300 × 200, red in the top-left quarter and blue elsewhere: a turn shows."""
    image = Image.new(mode, (300, 200), (20, 40, 220, 255)[: len(mode)])
    image.paste((230, 20, 20, 128)[: len(mode)], (0, 0, 150, 100))
    return image


def _phone_jpeg() -> bytes:
    out = io.BytesIO()
    _picture().save(out, "JPEG", quality=90, exif=_phone_exif(), xmp=XMP, icc_profile=SRGB,
                    comment=b"Hoi truong, 21.0019N 105.8053E")
    return out.getvalue()


def _png_with_text() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("GPS", "21.0019N 105.8053E")
    info.add_text("Author", "Nguyen Van An", zip=True)
    info.add_itxt("Description", "Ảnh chụp tại nhà riêng", lang="vi")
    out = io.BytesIO()
    _picture("RGBA").save(out, "PNG", pnginfo=info, exif=_phone_exif(), icc_profile=SRGB)
    return out.getvalue()


def _png_chunks(data: bytes) -> list[bytes]:
    """The chunk types of a PNG file, in order."""
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    chunks, at = [], 8
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        chunks.append(kind)
        at += 12 + length
    return chunks


def _upload(signed_in, data: bytes, filename: str):
    return signed_in.post("/organiser/documents/new", data={
        "title": "Ảnh hội trường", "category": "other", "visibility": "public",
        "published": "y", "file": (io.BytesIO(data), filename),
    }, content_type="multipart/form-data")


def _served(signed_in, data: bytes, filename: str) -> tuple[bytes, Image.Image]:
    """Upload through the organiser form; the bytes /d/<code>/file serves, and their image."""
    response = _upload(signed_in, data, filename)
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]
    version = db.session.query(DocumentVersion).one()
    served = signed_in._client.get(f"/d/{version.document.code}/file").data
    # The store holds the cleaned bytes under their own sha256: no copy of the original.
    assert hashlib.sha256(served).hexdigest() == version.sha256 and version.size == len(served)
    assert file_store().path_for(version.sha256).read_bytes() == served
    image = Image.open(io.BytesIO(served))
    image.load()
    return served, image


def test_a_phone_photo_is_served_upright_without_its_gps_position(app, signed_in):
    original = _phone_jpeg()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    served, image = _served(signed_in, original, "Ảnh hội trường.jpg")

    assert image.format == "JPEG"
    assert not image.getexif()  # no GPS, no orientation, no camera
    assert "exif" not in image.info and "xmp" not in image.info and "comment" not in image.info
    for secret in (b"Exif", b"PhoneMaker", b"12345", b"GPSLatitude", b"21.0019N"):
        assert secret not in served, secret
    assert image.info["icc_profile"] == SRGB  # colours shown as uploaded

    # Orientation 6: the phone was turned; the picture is now stored the way it is seen.
    assert image.size == (200, 300)
    upright = ImageOps.exif_transpose(Image.open(io.BytesIO(original))).convert("RGB")
    for x, y in ((20, 20), (180, 40), (20, 280), (180, 280)):
        assert all(abs(a - b) < 16 for a, b in zip(image.getpixel((x, y)),
                                                   upright.getpixel((x, y)), strict=True))
    assert image.getpixel((180, 40))[0] > 200  # red at the top right once turned


def test_a_png_is_served_without_its_text_chunks_and_with_the_same_pixels(app, signed_in):
    original = _png_with_text()
    assert {b"tEXt", b"zTXt", b"iTXt", b"eXIf"} <= set(_png_chunks(original))
    served, image = _served(signed_in, original, "Sơ đồ chỗ ngồi.png")

    assert _png_chunks(served) == [b"IHDR", b"iCCP", b"IDAT", b"IEND"]
    assert not image.getexif() and image.info["icc_profile"] == SRGB
    assert b"21.0019N" not in served and b"PhoneMaker" not in served
    upright = ImageOps.exif_transpose(Image.open(io.BytesIO(original)))
    assert image.mode == "RGBA" and image.size == (200, 300)
    assert image.tobytes() == upright.tobytes()  # lossless, transparency included


def test_a_png_keeps_its_palette_transparency_and_gamma(app, signed_in):
    palette = _picture("RGB").convert("P")
    out = io.BytesIO()
    info = PngImagePlugin.PngInfo()
    info.add(b"gAMA", struct.pack(">I", 45455))
    info.add_text("Comment", "Toa do 21.0019N")
    palette.save(out, "PNG", transparency=0, pnginfo=info)
    served, image = _served(signed_in, out.getvalue(), "so-do.png")

    assert not {b"tEXt", b"zTXt", b"iTXt"} & set(_png_chunks(served)) and b"21.0019N" not in served
    assert image.mode == "P" and image.info["transparency"] == 0
    assert image.info["gamma"] == pytest.approx(0.45455)
    assert image.tobytes() == palette.tobytes()


def _other_format(fmt: str) -> bytes:
    out = io.BytesIO()
    _picture().save(out, fmt)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "TIFF", "BMP"])
def test_another_image_format_named_jpg_is_refused(app, signed_in, fmt):
    response = _upload(signed_in, _other_format(fmt), "Ảnh hội trường.jpg")
    assert response.status_code == 400
    assert "Upload a PDF, JPEG or PNG file." in response.get_data(as_text=True)
    assert db.session.query(Document).count() == 0
    store = file_store().root
    assert not [p for p in store.rglob("*") if p.is_file()]


def test_a_photo_whose_exif_block_is_damaged_is_stored_without_it(app, signed_in):
    original = bytearray(_phone_jpeg())
    tiff = original.index(b"Exif\x00\x00") + 6
    original[tiff + 2:tiff + 4] = b"\x00X"  # no longer a TIFF header: Pillow cannot parse it
    served, image = _served(signed_in, bytes(original), "anh.jpg")
    assert b"PhoneMaker" not in served and b"Exif" not in served
    assert image.size == (300, 200)  # its orientation cannot be read: kept as stored
