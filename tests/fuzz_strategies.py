"""Hypothesis strategies for hostile input: form values, file names, file bodies, CSV rosters.

Kept apart from the fuzzer (tests/fuzzing.py) and its tests (tests/test_fuzz.py) so other
tests (and a longer exploratory run) can reuse them. Lone surrogates are left out: they
cannot be sent as UTF-8 at all, so a browser never produces them and the test client would
fail before the app is reached.
"""

from __future__ import annotations

import string

from hypothesis import strategies as st

# Text a browser can send: every code point but lone surrogates, control characters and NUL
# included.
ANY_CHARACTER = st.characters(blacklist_categories=("Cs",))

INJECTIONS = [
    "'; DROP TABLE documents; --",
    "' OR '1'='1",
    '" OR 1=1 --',
    "1; SELECT pg_sleep(0)",
    "%' OR title LIKE '%",
    "\\%_\\_",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "</textarea><svg onload=alert(1)>",
    "{{ 7*7 }}",
    "{% for x in () %}",
    "${7*7}",
    "%(title)s %s %d {0}",
    "../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "/etc/passwd",
    "%2e%2e%2f%2e%2e%2f",
    "file:///etc/passwd",
    "//evil.example/",
    "https://evil.example/?next=/",
    "\u202efdp.exe",
    "\u200f\u200eRTL\u200f",
    "\ufeffBOM",
    "a\x00b",
    "\x00",
    "\r\nSet-Cookie: x=1",
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
]

VIETNAMESE = [
    "Nguyễn Văn Ánh",
    # The same name decomposed: base letters followed by combining marks.
    "Nguye\u0302\u0303n Va\u0306n A\u0301nh",
    "Đại hội đại biểu Đảng bộ phường Thanh Xuân lần thứ I",
    "Tổ 3 – Khu phố Ngọc Hà",
    "a\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301",  # a mark stacked many times
    "ẮẰẲẴẶắằẳẵặ" * 30,
]

NUMBERS = [
    "0", "-1", "1", "007", " 12 ", "1.5", "1e3", "1e309", "NaN", "inf", "-inf", "0x10",
    "99999", "100000", "2147483647", "2147483648", "9223372036854775807",
    "9223372036854775808", "9" * 40, "-" + "9" * 40, "١٢", "²", "12abc", "+5", "",
]

DAYS_AND_TIMES = [
    "2025-07-22", "2025-02-30", "2025-13-01", "0000-00-00", "0001-01-01", "9999-12-31",
    "10000-01-01", "2025-7-2", "22/07/2025", "2025-07-22T08:00", "yesterday",
    "07:30", "24:00", "23:60", "-1:00", "07:30:99", "7", "07:30:00.5", "25:61:61",
]


def long_text(low: int = 256, high: int = 10_000) -> st.SearchStrategy[str]:
    """One character repeated up to 10k times (fields have limits: are they enforced?)."""
    return st.builds(lambda c, n: c * n,
                     st.sampled_from(["A", "ắ", "<", "\x00", " ", "\u0301", "😀", "'"]),
                     st.integers(low, high))


HOSTILE_TEXT = st.one_of(
    st.text(ANY_CHARACTER, max_size=40),
    st.sampled_from(INJECTIONS),
    st.sampled_from(VIETNAMESE),
    st.sampled_from(NUMBERS),
    st.sampled_from(DAYS_AND_TIMES),
    long_text(),
    st.integers(-(2**80), 2**80).map(str),
)


def field_value(kind: str, options: list[str], current: str) -> st.SearchStrategy[str]:
    """A value for one form field: often hostile, sometimes what the form offers, so the
    request gets past the first check and reaches the deeper ones."""
    plausible: list[str] = [current] if current else []
    if kind == "select":
        plausible += options
    elif kind == "checkbox":
        plausible += ["y", "on", ""]
    elif kind == "date":
        plausible += ["2025-07-22", "2025-07-23"]
    elif kind == "time":
        plausible += ["07:30", "14:00"]
    elif kind == "number":
        plausible += ["1", "12", "168"]
    elif kind == "hidden" and not current:
        plausible += ["up", "down", "1"]
    else:
        plausible += ["Phiên thảo luận", "Báo cáo chính trị"]
    return st.one_of(st.sampled_from(plausible), HOSTILE_TEXT) if plausible else HOSTILE_TEXT


HOSTILE_FILENAMES = st.one_of(
    st.sampled_from([
        "../../etc/passwd", "..\\..\\boot.ini", "/etc/passwd", "a\x00b.pdf", "\x00.pdf",
        "x" * 300 + ".pdf", "ắ" * 200 + ".pdf", 'a/b\\c:d*e?f"g<h>i|j.pdf', "CON.pdf",
        "nul", ".pdf", ".", "..", "", " ", "\u202efdp.exe", "report\u202etxt.pdf",
        "báo cáo.PDF", "Ba\u0301o ca\u0301o.pdf", "<script>alert(1)</script>.pdf",
        "=cmd|' /C calc'!A0.csv", "roster.csv", "danh sách.csv", "file.pdf.exe",
        "%2e%2e%2fescape.pdf", "a\r\nContent-Type: text/html.pdf",
    ]),
    st.text(ANY_CHARACTER, max_size=30).map(lambda s: s + ".pdf"),
    st.text(ANY_CHARACTER, max_size=60),
)

_TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100ffff03000006000557bfab"
    "d40000000049454e44ae426082")


def hostile_file_bodies(pdf: bytes) -> st.SearchStrategy[bytes]:
    """What arrives where a PDF is expected: nothing, half a PDF, HTML and SVG dressed up
    as PDF, a real PDF with junk after it, random bytes, a zip, a PNG header only."""
    return st.one_of(
        st.sampled_from([
            b"",
            pdf,
            pdf[: len(pdf) // 2],
            pdf[:8],
            b"%PDF-1.7\n",
            b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF",
            b"<html><body><script>alert(1)</script></body></html>",
            b"%PDF-1.4<html><script>alert(document.cookie)</script></html>",
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
            pdf + b"<script>alert(1)</script>" * 10,
            b"PK\x03\x04" + b"\x00" * 100,
            _TINY_PNG,
            _TINY_PNG[:20],
            b"\xff\xd8\xff\xe0" + b"\x00" * 50,  # a JPEG header and nothing else
            b"\x00" * 300_000,
        ]),
        st.binary(max_size=2_000),
        st.binary(max_size=200).map(lambda b: b"%PDF-1.5\n" + b),
    )


ROSTER_HEADERS = [
    ["STT", "Họ và tên", "Đơn vị", "Tổ thảo luận", "Ghế", "Loại"],
    ["stt", "ho ten", "don vi"],
    ["Number", "Full name", "Unit", "Group", "Seat", "Kind"],
    ["Họ và tên", "Đơn vị"],  # no number column
    ["STT", "STT", "Họ và tên"],  # a column twice
    [],
    ["=cmd|' /C calc'!A0", "Họ và tên"],
]

_CELL = st.one_of(
    st.sampled_from(["1", "2", "2", "99999", "100000", "0", "-3", "1.0", "", "Chính thức",
                     "dự khuyết", "khách mời", "Guest", "unknown kind", "Nguyễn Văn A",
                     "Nguye\u0302\u0303n Va\u0306n A", "Tổ 1", "A-12"]),
    st.sampled_from(INJECTIONS),
    st.sampled_from(NUMBERS),
    st.text(ANY_CHARACTER, max_size=20),
    long_text(100, 2_000),
)


@st.composite
def roster_csv(draw) -> bytes:
    """A roster file with broken rows, duplicate numbers, formulas, odd delimiters,
    a BOM, CRLF or lone CR line ends, and sometimes not UTF-8 at all."""
    header = draw(st.sampled_from(ROSTER_HEADERS))
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    rows = draw(st.lists(st.lists(_CELL, max_size=8), max_size=8))
    quote = draw(st.booleans())

    def line(cells: list[str]) -> str:
        if quote:
            cells = ['"' + c.replace('"', '""') + '"' for c in cells]
        return delimiter.join(cells)

    text = draw(st.sampled_from(["\r\n", "\n", "\r"])).join(
        [line(header)] + [line(r) for r in rows])
    if draw(st.booleans()):
        text += '\n"an unclosed quote, ' + "x" * draw(st.integers(0, 50))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1258", "latin-1"]))
    return text.encode(encoding, errors="replace")


CODE_LIKE = st.one_of(
    st.text(alphabet=string.ascii_letters + string.digits, min_size=0, max_size=12),
    st.sampled_from(["", "0OIL1", "ABCDEF", "abcdef", "%00", "..", "~", "-", "ABC/DEF",
                     "x" * 300, "\u202eFEDCBA", "ĐÂY"]),
    st.text(ANY_CHARACTER, max_size=12),
)
