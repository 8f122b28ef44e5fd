"""Hostile PDFs sent to the upload: each is answered with a 4xx and a message saying why, and
nothing is stored. The files are made here, a few hundred bytes of code each: a page tree that
repeats one kid (10^8 pages in 1.5 KB), 2,001 pages, streams that inflate a thousandfold,
forms that draw each other 10^8 times, mutated object streams, pages 200 inches long.

The reading runs in a child process with limits (services/pdf_inspection.py); the tests at the
end drive that service with tight limits and read from its log which limit ended the child.
"""

from __future__ import annotations

import io
import json
import logging
import os
import zlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from congress_app.extensions import db
from congress_app.models import Document, DocumentVersion
from congress_app.services import pdf_inspection
from congress_app.services.errors import InputRefused

# PDF work, no query the database type changes: once, in the SQLite pass.
pytestmark = [pytest.mark.database_agnostic, pytest.mark.agnostic_in_sqlite]

DAMAGED = "This PDF is damaged and cannot be read."
TOO_COMPLEX = "This PDF is too complex to read safely"
A4 = (595, 842)


# Making hostile files -------------------------------------------------------------------


def _pdf(objects: list[bytes], trailer: bytes = b"/Root 1 0 R") -> bytes:
    """A PDF of these objects (numbered from 1) with a classic cross-reference table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d %s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, trailer, xref)
    return bytes(out)


def _stream(data: bytes, entries: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n%s\nendstream" % (len(data), entries, data)


CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"


def _pages(count: int, size: tuple[float, float] = A4, declared: int | None = None) -> bytes:
    """`count` pages of one size, sharing one (empty) content stream; the tree declares
    `declared` pages (by default, truthfully, `count`)."""
    kids = b" ".join(b"%d 0 R" % (4 + n) for n in range(count))
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %g %g] /Contents 3 0 R >>" % size
    tree = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, count if declared is None
                                                          else declared)
    return _pdf([CATALOG, tree, _stream(b""), *[page] * count])


def _repeating_tree(levels: int, fanout: int = 10, count: int | None = None) -> bytes:
    """A page tree whose every node lists the same child `fanout` times: fanout**levels pages
    declared (or `count`), from levels + 3 objects."""
    objects = [CATALOG]
    for level in range(levels):
        kids = b" ".join([b"%d 0 R" % (3 + level)] * fanout)
        declared = fanout ** (levels - level) if count is None else count
        objects.append(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, declared))
    objects.append(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] >>" % (levels + 1))
    return _pdf(objects)


def _form_bomb(levels: int, fanout: int = 10) -> bytes:
    """One page drawing a form that draws the next form `fanout` times, `levels` deep: a
    letter laid out fanout**levels times, from a file of 2 KB."""
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    page = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /XObject << /X 6 0 R >> >> >>")
    objects = [CATALOG, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", page,
               _stream(b"/X Do"), font]
    for level in range(levels):
        number = 6 + level
        if level + 1 < levels:
            content = b" ".join([b"/X Do"] * fanout)
            resources = b"<< /XObject << /X %d 0 R >> >>" % (number + 1)
        else:
            content, resources = b"BT /F 12 Tf 10 10 Td (a) Tj ET", b"<< /Font << /F 5 0 R >> >>"
        objects.append(_stream(content, b"/Type /XObject /Subtype /Form /BBox [0 0 595 842] "
                                         b"/Resources " + resources))
    return _pdf(objects)


def _content_bomb(megabytes: int) -> bytes:
    """One page whose content stream inflates to `megabytes` MB of spaces (1,000:1)."""
    packer = zlib.compressobj(9)
    chunk = b" " * 1_000_000
    data = b"".join(packer.compress(chunk) for _ in range(megabytes)) + packer.flush()
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>"
    return _pdf([CATALOG, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", page,
                 _stream(data, b"/Filter /FlateDecode")])


def _object_stream_pdf(*, filter_name: bytes = b"/FlateDecode", padding: int = 0,
                       stream_type: bytes = b"/ObjStm") -> bytes:
    """A PDF 1.5 whose page tree lives in a compressed object stream, found through a
    cross-reference stream: what office suites write. `padding` spaces inflate the stream."""
    inside = [b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
              b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"]
    header, body = b"", b""
    for index, obj in enumerate(inside):
        header += b"%d %d " % (index + 2, len(body))
        body += obj + b"\n"
    raw = header + body + b" " * padding
    data = zlib.compress(raw, 9) if filter_name == b"/FlateDecode" else raw
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    catalog_at = len(out)
    out += b"1 0 obj\n%s\nendobj\n" % CATALOG
    stream_at = len(out)
    out += b"4 0 obj\n<< /Type %s /N 2 /First %d /Length %d /Filter %s >>\nstream\n" % (
        stream_type, len(header), len(data), filter_name) + data + b"\nendstream\nendobj\n"
    xref_at = len(out)
    rows = [b"\x00\x00\x00\x00\xff\xff", b"\x01" + catalog_at.to_bytes(4, "big") + b"\x00",
            b"\x02\x00\x00\x00\x04\x00", b"\x02\x00\x00\x00\x04\x01",
            b"\x01" + stream_at.to_bytes(4, "big") + b"\x00",
            b"\x01" + xref_at.to_bytes(4, "big") + b"\x00"]
    table = b"".join(rows)
    out += (b"5 0 obj\n<< /Type /XRef /Size 6 /W [1 4 1] /Root 1 0 R /Length %d >>\nstream\n"
            % len(table) + table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at)
    return bytes(out)


# Through the organisers' upload form ------------------------------------------------------


def _upload(signed_in, data: bytes, filename: str = "Văn kiện.pdf"):
    form = {"title": "Văn kiện", "category": "other", "visibility": "public", "published": "y",
            "file": (io.BytesIO(data), filename)}
    return signed_in.post("/organiser/documents/new", form, content_type="multipart/form-data")


def _stored(app) -> tuple[int, int, list[str]]:
    """What an upload could leave behind: document and version rows, files in the store."""
    db.session.expire_all()
    root = Path(app.config["FILE_STORE"])
    files = sorted(str(Path(folder, name).relative_to(root))
                   for folder, _dirs, names in os.walk(root) for name in names)
    return (db.session.scalar(select(func.count(Document.id))),
            db.session.scalar(select(func.count(DocumentVersion.id))), files)


def _refused(app, signed_in, data: bytes, message: str, status: int = 400) -> str:
    """Upload `data`; check the answer is `status` with `message`, and nothing was kept."""
    before = _stored(app)
    response = _upload(signed_in, data)
    html = response.get_data(as_text=True)
    assert response.status_code == status, html[:2000]
    assert message in html
    assert 'name="title" ' in html and "Văn kiện" in html  # the form comes back, filled in
    assert _stored(app) == before
    return html


@pytest.mark.parametrize(("levels", "declared"), [(8, "100,000,000"), (5, "100,000")])
def test_a_page_tree_repeating_one_kid_is_refused_by_the_count_it_declares(
    app, signed_in, levels, declared
):
    """1.5 KB declaring 10^8 pages: refused from its /Count, before the tree is walked."""
    data = _repeating_tree(levels)
    assert len(data) < 1_700
    _refused(app, signed_in, data,
             f"This PDF has {declared} pages; at most 2,000 pages are accepted.")


def test_a_page_tree_repeating_one_kid_under_a_small_count_is_refused_as_damaged(
    app, signed_in
):
    """It declares one page but lists the same page 1,000 times: walked once per object, the
    repeat is found, and the file is refused instead of being read as 1,000 pages."""
    _refused(app, signed_in, _repeating_tree(3, count=1), DAMAGED)


def test_a_pdf_of_2001_pages_is_refused_with_the_limit(app, signed_in):
    _refused(app, signed_in, _pages(2_001),
             "This PDF has 2,001 pages; at most 2,000 pages are accepted. "
             "Split it into parts and upload each part as its own document.")


def test_a_pdf_understating_its_pages_is_counted_and_refused_past_the_limit(app, signed_in):
    """It declares 2 pages and lists 2,001: the walk stops at page 2,001."""
    _refused(app, signed_in, _pages(2_001, declared=2),
             "This PDF has more than 2,000 pages; at most 2,000 pages are accepted.")


def test_the_page_limit_is_explained_in_vietnamese(app, signed_in):
    signed_in._client.set_cookie("lang", "vi")
    _refused(app, signed_in, _repeating_tree(8),
             "Tệp PDF này có 100.000.000 trang; chỉ nhận tệp có tối đa 2.000 trang.")


DAMAGED_FILES = {
    # pypdf's LimitReachedError: the object stream inflates to 100 MB (its limit is 75 MB).
    "an object stream inflating to 100 MB": lambda: _object_stream_pdf(padding=100_000_000),
    # NotImplementedError: a filter pypdf does not know.
    "an unknown filter": lambda: _object_stream_pdf(filter_name=b"/BogusDecode"),
    # AssertionError inside pypdf: an object stream that is not typed as one.
    "a mutated object stream": lambda: _object_stream_pdf(stream_type=b"/XbjStm"),
    "a truncated file": lambda: _pages(3)[:150],
    "a cross-reference table cut short": lambda: _cut_after(_pages(3), b"xref", 30),
    "a cross-reference stream cut short": lambda: _cut_after(_object_stream_pdf(),
                                                             b"/Type /XRef", 80),
    "a cross-reference stream with 9-byte offsets": lambda: _object_stream_pdf().replace(
        b"/W [1 4 1]", b"/W [1 9 1]"),
}


def _cut_after(data: bytes, marker: bytes, keep: int) -> bytes:
    return data[:data.index(marker) + keep]


@pytest.mark.parametrize("make", DAMAGED_FILES.values(), ids=DAMAGED_FILES)
def test_a_damaged_pdf_is_refused_with_a_message_not_an_error(app, signed_in, make):
    _refused(app, signed_in, make(), DAMAGED)


def test_a_pdf_the_reader_cannot_open_is_refused_at_upload(app, signed_in, pdf_bytes):
    """pypdf finds the catalog of a trailer without /Root; pdfium, which draws the reader's
    pages, cannot open the file: it is refused now rather than shown with no pages later."""
    data = pdf_bytes("Văn kiện", 2).replace(b"/Root", b"/Roof")
    _refused(app, signed_in, data, "This PDF cannot be opened by the reader, so its pages "
                                   "could never be shown.")


ABSURD_PAGES = {
    "100 × 14,400 pt": ((100, 14_400), "Page 1 measures 35.3 × 5,080 mm; a page may be at "
                                       "most 20 times as long as it is wide."),
    "1 × 14,400 pt": ((1, 14_400), "Page 1 measures 0.4 × 5,080 mm; a page may be at most "
                                   "20 times as long as it is wide."),
    "20,000 pt square": ((20_000, 20_000), "Page 1 measures 7,055.6 × 7,055.6 mm; a page may "
                                           "be at most 5,080 mm (200 inches) on either side."),
    "half a point": ((0.5, 0.5), "Page 1 measures 0.2 × 0.2 mm; a page must be at least "
                                 "0.35 mm (1 point) on each side."),
}


@pytest.mark.parametrize(("size", "message"), ABSURD_PAGES.values(), ids=ABSURD_PAGES)
def test_a_page_of_absurd_size_is_refused_naming_the_limit(app, signed_in, size, message):
    _refused(app, signed_in, _pages(1, size), message)


def test_the_largest_page_allowed_is_accepted(app, signed_in):
    """200 × 10 inches: at the side and the proportion limits, still a page."""
    response = _upload(signed_in, _pages(2, (14_400, 720)))
    assert response.status_code == 302
    assert db.session.scalars(select(DocumentVersion.pages)).all() == [2]


def test_forms_drawing_each_other_a_hundred_million_times_are_too_complex(app, signed_in):
    """2 KB that would take gigabytes to read: the child reaches its memory limit, and the
    organiser is told the file is too complex, not kept waiting or shown an error page."""
    data = _form_bomb(8)
    assert len(data) < 2_500
    _refused(app, signed_in, data, TOO_COMPLEX)


def test_replacing_a_file_with_a_hostile_pdf_keeps_the_document_as_it_was(
    app, signed_in, make_document
):
    document = make_document()
    before = _stored(app)
    response = signed_in.post(f"/organiser/documents/{document.id}/replace",
                              {"file": (io.BytesIO(_repeating_tree(8)), "bom.pdf"), "note": ""},
                              content_type="multipart/form-data")
    assert response.status_code == 400
    assert "at most 2,000 pages are accepted" in response.get_data(as_text=True)
    assert _stored(app) == before


# The child's limits, through the service ----------------------------------------------------


def _file(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "upload.pdf"
    path.write_bytes(data)
    return path


def _inspect_refused(app, path: Path, limits: pdf_inspection.Limits) -> str:
    """The English message of the service's refusal."""
    with app.test_request_context(headers={"Cookie": "lang=en"}), \
            pytest.raises(InputRefused) as refused:
        pdf_inspection.inspect(path, limits)
    assert refused.value.status == 400
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        return str(refused.value.message)


def test_a_child_past_its_memory_limit_is_ended_and_the_file_refused(
    app, tmp_path, caplog, pdf_bytes
):
    limits = pdf_inspection.Limits(memory=64 * 2**20, cpu_seconds=60, wall_seconds=120)
    # A congress document reads well within this limit …
    inspected = pdf_inspection.inspect(_file(tmp_path, pdf_bytes("Văn kiện", 3)), limits)
    assert inspected.pages == 3 and "Văn kiện" in inspected.text
    # … a stream inflating to 100 MB does not.
    with caplog.at_level(logging.WARNING, logger=pdf_inspection.__name__):
        message = _inspect_refused(app, _file(tmp_path, _content_bomb(100)), limits)
    assert message.startswith(TOO_COMPLEX)
    assert "its reading process was ended by SIG" in caplog.text


def test_a_child_past_its_cpu_time_is_ended_and_the_file_refused(app, tmp_path, caplog):
    """Forms drawn 10^8 times need minutes of CPU; a second of it is all this child gets
    (the memory it can take in one second stays far below its limit here)."""
    limits = pdf_inspection.Limits(memory=4 * 2**30, cpu_seconds=1, wall_seconds=300)
    with caplog.at_level(logging.WARNING, logger=pdf_inspection.__name__):
        message = _inspect_refused(app, _file(tmp_path, _form_bomb(8)), limits)
    assert message.startswith(TOO_COMPLEX)
    assert "its reading process was ended by SIGXCPU" in caplog.text


def test_a_child_that_never_finishes_is_stopped_by_the_wall_clock(app, tmp_path, caplog):
    """A file that blocks its reader (here a pipe nobody writes to) uses no CPU at all."""
    fifo = tmp_path / "blocked.pdf"
    os.mkfifo(fifo)
    limits = pdf_inspection.Limits(wall_seconds=1)
    with caplog.at_level(logging.WARNING, logger=pdf_inspection.__name__):
        message = _inspect_refused(app, fifo, limits)
    assert message.startswith(TOO_COMPLEX)
    assert "its reading process was still running after 1 s" in caplog.text


def test_the_same_bytes_are_read_once_and_a_refused_file_every_time(
    app, tmp_path, monkeypatch, pdf_bytes
):
    """Each ward's copy of one central document is read once; a refused file is read again,
    since whether a child ran out of time depends on the machine's load."""
    children = []
    in_child = pdf_inspection._in_child
    monkeypatch.setattr(pdf_inspection, "_in_child",
                        lambda path, limits: children.append(path) or in_child(path, limits))
    sample = pdf_bytes("Nghị quyết Đại hội (bản dự thảo)", 2)
    first = pdf_inspection.inspect(_file(tmp_path, sample))
    again = tmp_path / "ward-2.pdf"
    again.write_bytes(sample)
    assert pdf_inspection.inspect(again) == first and first.pages == 2
    assert len(children) == 1
    # Other limits are another reading.
    pdf_inspection.inspect(again, pdf_inspection.Limits(wall_seconds=60))
    assert len(children) == 2
    bomb = _file(tmp_path, _content_bomb(100))
    limits = pdf_inspection.Limits(memory=64 * 2**20, cpu_seconds=60, wall_seconds=120)
    for _ in range(2):
        _inspect_refused(app, bomb, limits)
    assert len(children) == 4


# The offline list stays small ----------------------------------------------------------------

# A 2,000-page document: 100 reader windows, the file and 2,000 page images (about 75 bytes
# each in the JSON).
MANIFEST_LIMIT = 160_000


def test_the_offline_list_of_a_2000_page_document_stays_under_160_kb(
    app, client, make_document
):
    document = make_document(pdf=_pages(2_000))
    response = client.get("/offline/manifest.json")
    assert response.status_code == 200
    assert len(response.data) < MANIFEST_LIMIT
    saved = json.loads(response.data)["documents"]
    assert [d["code"] for d in saved] == [document.code]
    images = [u["url"] for u in saved[0]["urls"] if u["url"].endswith("&w=480")]
    assert len(images) == 2_000


def test_a_document_stored_before_the_page_limit_is_listed_up_to_it(
    app, client, make_document
):
    """An upload accepted by an older release can have 100,000 pages: the offline list still
    names at most 2,000 page images of it, and stays under the same size."""
    document = make_document(pdf=_pages(2_000))
    document.current_version.pages = 100_000  # as an older release stored it
    db.session.commit()
    response = client.get("/offline/manifest.json")
    assert len(response.data) < MANIFEST_LIMIT
    urls = [u["url"] for u in response.get_json()["documents"][0]["urls"]]
    assert sum(url.endswith("&w=480") for url in urls) == 2_000
    assert f"/d/{document.code}/pages/2000.webp" in " ".join(urls)
    assert f"/d/{document.code}/pages/2001.webp" not in " ".join(urls)
