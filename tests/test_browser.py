"""A delegate's phone, for real: headless Debian Chromium at a 360 × 740 viewport."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser


def test_scanning_a_code_on_a_phone_shows_the_title_and_downloads_the_file(
    live_server, phone, make_document, pdf_bytes
):
    document = make_document(title="Dự thảo Nghị quyết Đại hội đại biểu Đảng bộ phường",
                             filename="Dự thảo Nghị quyết.pdf")
    phone.goto(f"{live_server}/D/{document.code}")  # as the upper-case QR payload has it

    title = phone.get_by_role("heading", level=1)
    assert title.inner_text() == document.title
    assert title.is_visible()
    box = title.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360  # no sideways scrolling
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    font = phone.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
    assert font.startswith('"Be Vietnam Pro"')

    with phone.expect_download() as info:
        phone.get_by_role("link", name="Tải về").click()
    download = info.value
    assert download.suggested_filename == "Dự thảo Nghị quyết.pdf"
    assert Path(download.path()).read_bytes() == pdf_bytes(document.title)
