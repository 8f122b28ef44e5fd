"""Photos and scans without what the camera wrote beside the pixels.

A phone photo carries its GPS position, the phone's make and serial, the time it was taken
and often a thumbnail of the uncropped picture (EXIF, XMP, PNG text chunks). A document
is served to anyone its code reaches, so only the pixels (turned the way the phone held
them), the colour profile and the resolution are kept: everything else is dropped by
encoding the picture again.
"""

from __future__ import annotations

import io
import struct
import warnings
from pathlib import Path

from PIL import ExifTags, Image, JpegImagePlugin, PngImagePlugin

# The only decoders a hostile upload may reach; a file they refuse is refused, never tried
# against the other formats Pillow knows.
FORMATS = ("JPEG", "PNG")
# What an image's info may keep: colour and size on paper, nothing about who or where.
KEPT = ("icc_profile", "dpi", "transparency")
# EXIF orientation → the turn that shows the picture the way the phone was held.
UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_90,
}


def clean_image(path: Path) -> bytes:
    """The JPEG or PNG at path encoded again with its pixels upright and no metadata.

    A JPEG keeps its own quantisation tables and subsampling (the quality it was uploaded
    at); a PNG is lossless, so its pixels are the same, transparency included.
    """
    with Image.open(path, formats=FORMATS) as image:
        kept = {key: image.info[key] for key in KEPT if key in image.info}
        turn = UPRIGHT.get(_orientation(image))
        upright = image.transpose(turn) if turn is not None else image.copy()
        # The new image has no EXIF or XMP; Pillow's encoders would still take a few
        # fields (the JPEG comment) from info, so none is left there.
        upright.info = {}
        out = io.BytesIO()
        if image.format == "JPEG":
            upright.save(out, "JPEG", qtables=image.quantization,
                         subsampling=JpegImagePlugin.get_sampling(image), optimize=True,
                         progressive=bool(image.info.get("progressive")), **kept)
        else:
            upright.save(out, "PNG", pnginfo=_colour_chunks(image.info), **kept)
    return out.getvalue()


def _orientation(image: Image.Image) -> object:
    """The EXIF (or XMP) orientation; 1, as stored, when that block cannot be read."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow warns about each damaged tag
            return image.getexif().get(ExifTags.Base.Orientation, 1)
    except Exception:  # a damaged block fails Pillow's TIFF parser in many ways
        return 1


def _colour_chunks(info: dict) -> PngImagePlugin.PngInfo:
    """A PNG's gamma, chromaticity and sRGB chunks, which change how its colours show."""
    chunks = PngImagePlugin.PngInfo()
    if "gamma" in info:
        chunks.add(b"gAMA", struct.pack(">I", round(info["gamma"] * 100_000)))
    if "chromaticity" in info:
        chunks.add(b"cHRM", struct.pack(">8I", *(round(v * 100_000)
                                                 for v in info["chromaticity"])))
    if "srgb" in info:
        chunks.add(b"sRGB", bytes([info["srgb"]]))
    return chunks
