"""Reading the PDFs the app prints as a person or a phone would: their text, their fonts and
their QR codes, rasterised at a printer's or a camera's resolution."""

from __future__ import annotations

import io
import math
import unicodedata

import pypdfium2 as pdfium
import zxingcpp
from PIL import ImageFilter
from pypdf import PdfReader

from .conftest import BASE_URL

MIN_SYMBOL_MM = 15
REFERENCE_DPI = 300


def pdf_text(pdf: bytes) -> str:
    """Every page's text, NFC, whitespace collapsed."""
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(unicodedata.normalize("NFC", text).split())


def assert_fonts_embedded(pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(pdf))
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            assert str(font["/BaseFont"]).split("+", 1)[-1].startswith("Be-Vietnam-Pro")
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert {"/FontFile2", "/FontFile3"} & set(descriptor.get_object())


def decoded_qr_codes(pdf: bytes) -> list[str]:
    """Every QR code on every page, rasterised at 150 dpi as a printer would."""
    found: list[str] = []
    document = pdfium.PdfDocument(pdf)
    try:
        for page in document:
            image = page.render(scale=150 / 72).to_pil()
            found += [b.text for b in zxingcpp.read_barcodes(
                image, formats=zxingcpp.BarcodeFormat.QRCode)]
            page.close()
    finally:
        document.close()
    return found


def scans(pdf: bytes, dpi: int, blur: float = 0) -> list:
    """Every QR code found on every page at this resolution (optionally blurred)."""
    document = pdfium.PdfDocument(pdf)
    found = []
    try:
        for page in document:
            image = page.render(scale=dpi / 72, grayscale=True).to_pil()
            if blur:
                image = image.filter(ImageFilter.GaussianBlur(blur))
            found += [(page.get_width(), code) for code in zxingcpp.read_barcodes(
                image, formats=zxingcpp.BarcodeFormat.QRCode)]
    finally:
        document.close()
    return found


def symbol_mm(code, dpi: int) -> float:
    """The symbol's side (quiet zone excluded) from the corners zxing reports."""
    p = code.position
    sides = [math.dist((a.x, a.y), (b.x, b.y)) for a, b in (
        (p.top_left, p.top_right), (p.top_left, p.bottom_left))]
    return min(sides) * 25.4 / dpi


def check_printable(pdf: bytes, expected: int) -> dict:
    """Every code of the PDF decodes at 96 dpi and blurred at 150 dpi, and each symbol is
    at least 15 mm; returns the figures for the assertion message."""
    reference = sorted(code.text for _, code in scans(pdf, REFERENCE_DPI))
    sizes = [round(symbol_mm(code, REFERENCE_DPI), 1) for _, code in scans(pdf, REFERENCE_DPI)]
    at_96 = sorted(code.text for _, code in scans(pdf, 96))
    blurred = sorted(code.text for _, code in scans(pdf, 150, blur=1))
    figures = {"expected": expected, "reference": len(reference), "96dpi": len(at_96),
               "blur150": len(blurred), "sizes": sizes}
    assert len(reference) == expected, figures
    assert all(text.upper().startswith(BASE_URL.upper()) for text in reference), reference
    assert at_96 == reference, figures
    assert blurred == reference, figures
    assert min(sizes) >= MIN_SYMBOL_MM, figures
    return figures
