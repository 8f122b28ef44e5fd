"""The reader page: alt text, text mode, the page a link opens, version notices, page windows."""

from __future__ import annotations

import re

import pytest

from congress_app.extensions import db
from congress_app.services import intake
from congress_app.services import reader as reader_service

from .reader_fixtures import VIETNAMESE, upload

pytestmark = pytest.mark.usefixtures("sync_rendering")


# The reader page ----------------------------------------------------------------------

def test_the_reader_shows_every_page_with_its_box_and_alt_text(client, make_document):
    document = make_document(pdf=None)
    client.set_cookie("lang", "en")
    html = client.get(f"/d/{document.code}").get_data(as_text=True)
    images = re.findall(r'<img src="/d/[^"]+/pages/[^>]+>', html)
    assert len(images) == 2
    assert 'alt="Page 1 of 2"' in images[0] and 'alt="Page 2 of 2"' in images[1]
    assert 'width="960" height="1358"' in images[0]
    assert "480w" in images[0] and "960w" in images[0]
    assert "Page 1 / 2" in html
    assert f"/d/{document.code}/file" in html  # the original, one tap away
    assert "user-scalable" not in html and "maximum-scale" not in html  # pinch-zoom allowed


def test_the_reader_says_when_the_document_was_updated(client, make_document, pdf_bytes):
    document = make_document()
    intake.replace_file(document, upload(pdf_bytes("v2", 1), "v2.pdf"))
    intake.replace_file(document, upload(pdf_bytes("v3", 1), "v3.pdf"))
    client.set_cookie("lang", "en")
    html = client.get(f"/d/{document.code}").get_data(as_text=True)
    assert re.search(r"Updated at \d{1,2} \w{3} \d{4}, \d\d:\d\d · version 3", html)
    client.set_cookie("lang", "vi")
    html = client.get(f"/d/{document.code}").get_data(as_text=True)
    assert re.search(r"Cập nhật lúc \d\d:\d\d, \d{1,2}/\d{1,2}/\d{4} · phiên bản 3", html)


def test_text_mode_shows_the_extracted_text_page_by_page(client, make_document, pdf_bytes):
    document = make_document(pdf=pdf_bytes(VIETNAMESE, 2))
    client.set_cookie("lang", "en")
    html = client.get(f"/d/{document.code}?mode=text").get_data(as_text=True)
    text_view = html[html.index('id="text-view"'):]
    assert VIETNAMESE in text_view
    assert "Trang 2" in text_view
    assert 'id="text-page-1"' in text_view and 'id="text-page-2"' in text_view
    assert "— Page 2 —" in text_view
    assert re.search(r'id="pages-view"\s+hidden', html)
    assert 'data-mode="text" aria-pressed="true"' in html


def test_the_text_is_escaped(client, app, make_document):
    document = make_document()
    document.current_version.text = "<script>alert(1)</script>\n\fTrang hai & ba"
    db.session.commit()
    html = client.get(f"/d/{document.code}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Trang hai &amp; ba" in html


@pytest.mark.parametrize(("query", "start"), [("?page=2", "2"), ("?page=abc", None),
                                              ("?page=0", None), ("?page=-1", None),
                                              ("?page=99", "99")])
def test_the_page_in_the_link_is_where_the_reader_opens(client, make_document, query, start):
    document = make_document()
    response = client.get(f"/d/{document.code}{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    if start:
        assert f'data-start-page="{start}"' in html
    else:
        assert "data-start-page" not in html


def test_a_link_to_an_older_version_says_this_is_the_newest_one(client, make_document,
                                                                 pdf_bytes):
    """The page shows the newest version: it says the document was updated, not that a
    newer one exists somewhere else."""
    document = make_document()
    client.set_cookie("lang", "en")
    notice = "This document has been updated since you last opened it."
    current = client.get(f"/d/{document.code}?v=1").get_data(as_text=True)
    assert re.search(r'id="updated-notice" role="status" hidden', current)
    intake.replace_file(document, upload(pdf_bytes("Bản mới", 1), "moi.pdf"))
    older = client.get(f"/d/{document.code}?v=1").get_data(as_text=True)
    assert notice in older
    assert not re.search(r'id="updated-notice" role="status" hidden', older)
    assert "You are reading the newest version, version 2." in older
    assert "A newer version of this document is available" not in older
    for query in ("", "?v=2", "?v=abc", "?v=0"):
        html = client.get(f"/d/{document.code}{query}").get_data(as_text=True)
        assert re.search(r'id="updated-notice" role="status" hidden', html), query
        # The notice for a version published while the page is open waits for reader.js.
        assert re.search(r'id="newer-notice" role="status" hidden', html), query


def test_an_open_page_asks_for_the_version_and_gets_304_until_it_changes(
        client, make_document, pdf_bytes):
    document = make_document()
    first = client.get(f"/d/{document.code}/version.json")
    assert first.status_code == 200 and first.get_json() == {"version": 1}
    assert first.headers["Cache-Control"] == "no-cache"
    tag = first.headers["ETag"]
    assert client.get(f"/d/{document.code}/version.json",
                      headers={"If-None-Match": tag}).status_code == 304
    intake.replace_file(document, upload(pdf_bytes("Bản mới", 1), "moi.pdf"))
    changed = client.get(f"/d/{document.code}/version.json", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.get_json() == {"version": 2}


def test_the_version_of_a_hidden_document_is_as_hidden_as_the_document(client, make_document):
    draft = make_document(published=False)
    delegates_only = make_document(visibility="delegates")
    assert client.get(f"/d/{draft.code}/version.json").status_code == 404
    assert client.get(f"/d/{delegates_only.code}/version.json").status_code == 302
    assert client.get("/d/ZZZZZZ/version.json").status_code == 404


# A long document, a window of pages at a time --------------------------------------------

@pytest.mark.parametrize(("total", "page", "window"), [
    (45, None, (1, 20)), (45, 1, (1, 20)), (45, 20, (1, 20)), (45, 21, (21, 40)),
    (45, 35, (21, 40)), (45, 41, (41, 45)), (45, 999, (41, 45)), (2, 99, (1, 2)),
    (20, 20, (1, 20)), (2000, 1999, (1981, 2000)),
])
def test_a_page_opens_the_window_that_holds_it(total, page, window):
    found = reader_service.page_window(total, page)
    assert (found.first, found.last) == window
    assert reader_service.READER_WINDOW == 20


def test_every_window_of_a_document_is_listed_once():
    windows = reader_service.page_windows(45)
    assert [(w.first, w.last) for w in windows] == [(1, 20), (21, 40), (41, 45)]
    assert [(w.previous, w.next) for w in windows] == [(None, 21), (1, 41), (21, None)]


@pytest.fixture
def long_document(app, make_document, pdf_bytes):
    """45 pages of text; images are rendered when a phone asks (not 90 of them up front)."""
    app.config["PAGE_RENDERING"] = "on-demand"
    return make_document(title="Tuyển tập văn kiện", pdf=pdf_bytes(VIETNAMESE, 45))


def _shown_pages(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<figure class="page" id="page-(\d+)"', html)]


def _text_markers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'id="text-page-(\d+)"', html)]


def test_a_link_to_page_35_opens_pages_21_to_40_with_links_to_the_others(client,
                                                                         long_document):
    code = long_document.code
    client.set_cookie("lang", "en")
    html = client.get(f"/d/{code}?page=35").get_data(as_text=True)
    assert _shown_pages(html) == list(range(21, 41))
    assert _text_markers(html) == list(range(21, 41))
    assert "Trang 35" in html and "Trang 41" not in html  # only the window's text
    assert 'data-first="21" data-last="40"' in html and 'data-start-page="35"' in html
    assert html.count("Pages 21–40 / 45") == 2  # above and below the pages
    assert f'rel="prev" data-window href="/d/{code}"' in html
    assert f'rel="next" data-window href="/d/{code}?page=41"' in html
    assert "Page 35 / 45" in html  # the counter, before any script runs
    assert 'alt="Page 21 of 45"' in html
    eager = re.findall(r'id="page-(\d+)"[^>]*>\s*<img (?:(?!loading=)[^>])*>', html)
    assert eager == ["21", "22", "35"]  # the window's first two pages and the one asked for
    # Without the script, the Pages/Text switch stays in this window.
    assert '<input type="hidden" name="page" value="21">' in html


def test_the_first_and_last_windows_link_only_inwards(client, long_document):
    code = long_document.code
    client.set_cookie("lang", "en")
    first = client.get(f"/d/{code}").get_data(as_text=True)
    assert _shown_pages(first) == list(range(1, 21))
    assert 'rel="prev"' not in first
    assert f'href="/d/{code}?page=21"' in first and "Pages 1–20 / 45" in first
    last = client.get(f"/d/{code}?page=999").get_data(as_text=True)
    assert _shown_pages(last) == list(range(41, 46))
    assert 'rel="next"' not in last and f'rel="prev" data-window href="/d/{code}?page=21"' in last


def test_text_mode_stays_in_text_mode_from_window_to_window(client, long_document):
    code = long_document.code
    html = client.get(f"/d/{code}?page=25&mode=text").get_data(as_text=True)
    assert f'href="/d/{code}?page=41&amp;mode=text"' in html
    assert f'href="/d/{code}?mode=text"' in html
    assert '<input type="hidden" name="mode" value="text">' in html  # the jump form
    assert "— Trang 25 —" in html or "— Page 25 —" in html


def test_a_search_result_lands_on_its_page(client, long_document):
    code = long_document.code
    results = client.get("/search?q=Trang+33").get_data(as_text=True)
    link = f"/d/{code}?page=33"
    assert f'href="{link}"' in results
    html = client.get(link).get_data(as_text=True)
    assert 'data-start-page="33"' in html and _shown_pages(html) == list(range(21, 41))


def test_a_short_document_has_no_window_links(client, make_document):
    html = client.get(f"/d/{make_document().code}").get_data(as_text=True)
    assert "page-windows" not in html and "data-window" not in html
