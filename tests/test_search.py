"""Search: a delegate types a few words, with or without accents, and finds the page."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import text

from congress_app.extensions import db
from congress_app.models import Delegate, Document, DocumentVersion
from congress_app.services import documents as document_service
from congress_app.services import intake
from congress_app.services import search as search_service
from congress_app.services.delegates import card_token

from .conftest import add_delegate

RESOLUTION = "Dự thảo Nghị quyết Đại hội đại biểu Đảng bộ phường"


@pytest.fixture
def resolution(make_document, pdf_bytes):
    """A public three-page draft resolution; every page ends with "Trang <n>"."""
    return make_document(title="Dự thảo Nghị quyết", category="draft_resolution",
                         pdf=pdf_bytes(RESOLUTION, 3))


def search_page(client, query: str) -> str:
    """The results page in English, whose messages these tests read."""
    response = client.get("/search", query_string={"q": query, "lang": "en"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def result_codes(html: str) -> list[str]:
    """Document codes in the order the results list them."""
    return re.findall(r'class="result-title" href="/d/([A-Z0-9]+)"', html)


def page_links(html: str) -> list[str]:
    return re.findall(r'href="(/d/[A-Z0-9]+\?page=\d+)"', html)


def index_rows(document: Document) -> list[tuple[int, str, str]]:
    """The FTS rows of one document: (page, folded title, folded page text)."""
    return list(db.session.execute(
        text("SELECT page, title, body FROM document_search WHERE document_id = :id "
             "ORDER BY page"), {"id": document.id}
    ))


def sign_in_delegate(client, congress) -> Delegate:
    delegate = add_delegate(congress, 3, "Trần Văn Đức")
    client.get(f"/K/{card_token(delegate)}")
    return delegate


@pytest.mark.parametrize("query", ["nghi quyet", "NGHỊ QUYẾT", "Nghị quyết", "nGhI   qUyẾt"])
def test_accents_and_capitals_do_not_matter(client, resolution, query):
    html = search_page(client, query)
    assert result_codes(html) == [resolution.code]
    assert "<mark>Nghị</mark> <mark>quyết</mark>" in html


def test_dang_bo_finds_dang_bo_with_the_d_stroke(client, resolution):
    html = search_page(client, "dang bo")
    assert result_codes(html) == [resolution.code]
    assert "<mark>Đảng</mark> <mark>bộ</mark>" in html
    assert result_codes(search_page(client, "ĐẢNG BỘ")) == [resolution.code]


def test_snippets_are_escaped_and_highlight_the_words(make_document, pdf_bytes, client):
    document = make_document(title="Tham luận",
                             pdf=pdf_bytes("Giữ vững &lt;kỷ cương&gt; và đoàn kết", 1))
    html = search_page(client, "ky cuong")
    assert result_codes(html) == [document.code]
    assert "&lt;<mark>kỷ</mark> <mark>cương</mark>&gt;" in html
    assert "<kỷ" not in html


def test_a_word_only_on_page_three_links_to_page_three(client, resolution):
    html = search_page(client, "trang 3")
    assert page_links(html) == [f"/d/{resolution.code}?page=3"]
    assert "Page 3" in html


def test_a_word_on_every_page_lists_the_best_few_pages(client, resolution):
    links = page_links(search_page(client, "phuong"))
    assert sorted(links) == [f"/d/{resolution.code}?page={n}" for n in (1, 2, 3)]


def test_title_hits_are_found_and_ranked_first(make_document, pdf_bytes, client):
    body_only = make_document(title="Báo cáo chính trị", pdf=pdf_bytes("Phát triển kinh tế", 1))
    in_title = make_document(title="Chương trình phát triển kinh tế",
                             pdf=pdf_bytes("Phát triển kinh tế", 1))
    title_only = make_document(title="Quy chế bầu cử", pdf=pdf_bytes("Điều 1", 1))
    assert result_codes(search_page(client, "kinh te")) == [in_title.code, body_only.code]
    html = search_page(client, "bau cu")
    assert result_codes(html) == [title_only.code]
    assert "<mark>bầu</mark> <mark>cử</mark>" in html
    assert "Found in the title." in html


def test_replacing_the_file_reindexes_the_document(client, resolution, pdf_bytes):
    intake.replace_file(resolution, intake.Upload(
        io.BytesIO(pdf_bytes("Báo cáo kiểm điểm Ban Chấp hành", 2)), "moi.pdf"))
    assert result_codes(search_page(client, "nghi quyet")) == [resolution.code]  # the title
    assert "No documents match" in search_page(client, "dang bo phuong")
    html = search_page(client, "kiem diem")
    assert result_codes(html) == [resolution.code]
    assert f"/d/{resolution.code}?page=2" in page_links(html)


def test_renaming_reindexes_the_title(client, resolution):
    document_service.update_document(resolution, title="Nghị quyết chính thức",
                                     category="draft_resolution", visibility="public",
                                     published=True)
    assert result_codes(search_page(client, "chinh thuc")) == [resolution.code]
    assert "Nghị quyết <mark>chính</mark> <mark>thức</mark>" in search_page(client, "chinh thuc")
    assert {title for _, title, _ in index_rows(resolution)} == {"Nghị quyết chính thức"}


@pytest.mark.parametrize("retire", ["delete", "unpublish"])
def test_deleted_and_unpublished_documents_disappear(client, resolution, retire):
    if retire == "delete":
        document_service.delete_document(resolution)
    else:
        document_service.update_document(resolution, title=resolution.title,
                                          category="draft_resolution", visibility="public",
                                          published=False)
    html = search_page(client, "nghi quyet")
    assert result_codes(html) == []
    assert resolution.code not in html
    assert "No documents match “nghi quyet”" in html


def test_results_respect_who_may_see_what(app, client, congress, make_document, pdf_bytes,
                                          auth, organiser):
    pdf = pdf_bytes("Văn kiện Đại hội", 1)
    public = make_document(title="Văn kiện công khai", pdf=pdf)
    delegates = make_document(title="Văn kiện đại biểu", pdf=pdf, visibility="delegates")
    organisers = make_document(title="Văn kiện ban tổ chức", pdf=pdf, visibility="organisers")
    draft = make_document(title="Văn kiện nháp", pdf=pdf, published=False)

    assert result_codes(search_page(client, "van kien")) == [public.code]

    visitor = app.test_client()
    sign_in_delegate(visitor, congress)
    codes = result_codes(search_page(visitor, "van kien"))
    assert sorted(codes) == sorted([public.code, delegates.code])

    auth.login()
    codes = result_codes(search_page(client, "van kien"))
    assert sorted(codes) == sorted([public.code, delegates.code, organisers.code, draft.code])


def test_an_empty_query_shows_the_empty_search_page(client, resolution):
    html = search_page(client, "")
    assert 'id="search-page-q"' in html
    assert result_codes(html) == []
    assert "No documents match" not in html


def test_a_very_long_query_is_shortened_and_said_so(client, resolution):
    html = search_page(client, "nghị quyết " + "x" * 10_000)
    assert "only its first 200 characters were used" in html
    assert "No documents match" in html
    html = search_page(client, "nghị quyết " + "đảng " * 2_000)
    assert result_codes(html) == [resolution.code]


@pytest.mark.parametrize("query", [
    '"', '""', '"nghi', "nghi*", "*", "NEAR(nghi quyet)", "NEAR(", "-nghi", "nghi -quyet",
    "title:nghi", ":", "(", ")", "(nghi OR", "^nghi", "nghi AND", "OR", "NOT quyet",
    "nghi NOT quyet", "{title body}: nghi", "'; DROP TABLE documents; --", "%", "_", "\\",
    "🙂", "\u0301",
])
def test_search_syntax_is_taken_as_plain_words(client, resolution, query):
    html = search_page(client, query)
    assert 'id="search-page-q"' in html
    assert result_codes(html) in ([], [resolution.code])


def test_a_nul_character_in_a_search_is_a_clean_400(client, resolution):
    """No keyboard types U+0000 (PostgreSQL cannot store or compare it): refused, not a 500."""
    response = client.get("/search", query_string={"q": "nghi\x00quyet"})
    assert response.status_code == 400
    assert "<!doctype html>" in response.get_data(as_text=True)


def test_operators_are_searched_as_words(client, make_document, pdf_bytes):
    document = make_document(title="Không hoặc và", pdf=pdf_bytes("Văn bản NOT OR AND", 1))
    assert result_codes(search_page(client, "nghi NOT quyet")) == []
    assert result_codes(search_page(client, "not or and")) == [document.code]


def test_the_search_box_is_on_every_page(client, resolution):
    for path in ("/", "/programme", "/documents", f"/d/{resolution.code}",
                 "/delegate/sign-in", "/login", "/no-such-page"):
        html = client.get(path).get_data(as_text=True)
        assert 'class="header-search"' in html, path
        assert re.search(r'<label for="header-search-q"[^>]*>', html), path
        assert 'action="/search"' in html, path
    html = client.get("/search").get_data(as_text=True)
    assert '<label for="search-page-q">' in html and 'class="header-search"' not in html


def test_triggers_follow_every_orm_change(app, congress, resolution, pdf_bytes):
    rows = index_rows(resolution)
    assert [page for page, _, _ in rows] == [1, 2, 3]
    assert all(title == "Dự thảo Nghị quyết" for _, title, _ in rows)
    assert "Dảng bộ phường" in rows[0][2] and "Đ" not in rows[0][2]

    resolution.title = "Đề án nhân sự"
    db.session.commit()
    assert {title for _, title, _ in index_rows(resolution)} == {"Dề án nhân sự"}

    version = DocumentVersion(number=2, sha256="0" * 64, original_filename="b.pdf",
                              mime_type="application/pdf", size=1, pages=2,
                              text="Trang một\n\fTrang hai \\n\f\\u001e \x1e \"ngoặc\"")
    resolution.versions.append(version)
    db.session.commit()
    assert [(p, b) for p, _, b in index_rows(resolution)] == [
        (1, "Trang một"), (2, 'Trang hai  n\f u001e   "ngoặc"')]

    db.session.delete(version)
    db.session.commit()
    assert [p for p, _, _ in index_rows(resolution)] == [1, 2, 3]

    bare = Document(congress_id=congress.id, code="ZZZZZZ", title="Danh sách đại biểu",
                    category="other")
    db.session.add(bare)
    db.session.commit()
    assert index_rows(bare) == [(0, "Danh sách dại biểu", "")]

    db.session.delete(resolution)
    db.session.commit()
    assert db.session.scalar(text("SELECT count(*) FROM document_search")) == 1


def test_the_ilike_stopgap_finds_words_case_insensitively(app, congress, resolution):
    ranked = search_service._ranked_ilike(congress, ["Quyết", "trang"])
    assert ranked == [(resolution.id, [1, 2, 3])]
    assert search_service._ranked_ilike(congress, ["100%"]) == []


def test_snippet_marks_whole_words_only():
    html = search_service.snippet("Đảng bộ, đảng viên và Đảngbộ", ["dang"])
    assert str(html) == "<mark>Đảng</mark> bộ, <mark>đảng</mark> viên và Đảngbộ"
    assert search_service.snippet("Không có", ["dang"]) is None


@pytest.mark.browser
def test_searching_on_a_phone_fits_the_screen(live_server, phone, resolution):
    phone.goto(f"{live_server}/programme")
    phone.get_by_role("searchbox").first.fill("dang bo")
    phone.keyboard.press("Enter")
    phone.wait_for_url("**/search?q=dang+bo")
    assert phone.locator("mark").first.inner_text() == "Đảng"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    link = phone.locator(f'a[href="/d/{resolution.code}?page=1"]')
    assert link.bounding_box()["height"] >= 44


def test_the_results_page_speaks_vietnamese_by_default(client, make_document):
    make_document(title="Dự thảo Nghị quyết Đại hội")
    html = client.get("/search", query_string={"q": "nghi quyet"}).get_data(as_text=True)
    assert "Tìm thấy 1 tài liệu" in html
    empty = client.get("/search", query_string={"q": "khongcotu"}).get_data(as_text=True)
    assert "Không có tài liệu nào khớp với “khongcotu”" in empty
