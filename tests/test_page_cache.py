"""The QR landing page is kept rendered for anonymous phones, and never served stale."""

from __future__ import annotations

import pytest

from congress_app.extensions import db
from congress_app.models import Visibility
from congress_app.services import delegates as delegate_service
from congress_app.services import documents as document_service
from congress_app.web import public

from .conftest import add_delegates


@pytest.fixture
def views(monkeypatch):
    """Count how often the landing page's view really runs."""
    calls = []
    original = public._document_or_error

    def counting(code):
        calls.append(code)
        return original(code)

    monkeypatch.setattr(public, "_document_or_error", counting)
    return calls


def _retitle(document, title: str) -> None:
    document_service.update_document(
        document, title=title, category=document.category, visibility=document.visibility,
        published=document.published,
    )


def test_a_second_phone_gets_the_same_page_without_the_view(client, make_document, views):
    document = make_document("Báo cáo chính trị")
    first = client.get(f"/d/{document.code}")
    second = client.get(f"/d/{document.code}")
    assert first.status_code == second.status_code == 200
    assert second.get_data() == first.get_data()
    assert len(views) == 1
    # The response still passes through every after_request hook (headers, cookies).
    assert second.headers["Content-Type"] == first.headers["Content-Type"]
    assert second.headers.get("Content-Security-Policy") == first.headers.get(
        "Content-Security-Policy")


def test_any_write_retires_the_cached_pages(client, make_document, views, pdf_bytes):
    document = make_document("Báo cáo chính trị")
    client.get(f"/d/{document.code}")
    _retitle(document, "Báo cáo chính trị (bản cuối)")
    assert "Báo cáo chính trị (bản cuối)" in client.get(f"/d/{document.code}").get_data(
        as_text=True)
    assert len(views) == 2

    document.published = False
    db.session.commit()
    assert client.get(f"/d/{document.code}").status_code == 404


def test_a_write_by_another_worker_retires_them_too(app, client, make_document, views):
    document = make_document("Báo cáo chính trị")
    client.get(f"/d/{document.code}")
    client.get(f"/d/{document.code}")
    assert len(views) == 1
    # Another process sharing the cache directory committed something: it replaced the file.
    from congress_app.web.page_cache import PageCache

    PageCache(app.extensions["page_cache"].generation_file).bump()
    client.get(f"/d/{document.code}")
    assert len(views) == 2


def test_each_language_and_query_has_its_own_page(client, make_document, views):
    document = make_document("Báo cáo chính trị")
    vietnamese = client.get(f"/d/{document.code}").get_data(as_text=True)
    client.set_cookie("lang", "en")
    english = client.get(f"/d/{document.code}").get_data(as_text=True)
    assert 'lang="vi"' in vietnamese and 'lang="en"' in english
    assert client.get(f"/d/{document.code}?mode=text").status_code == 200
    assert len(views) == 3
    # ?lang= sets a cookie, so it is always answered by the view.
    switched = client.get(f"/d/{document.code}?lang=vi")
    assert "Set-Cookie" in switched.headers
    client.get(f"/d/{document.code}?lang=vi")
    assert len(views) == 5


def test_signed_in_visitors_never_read_or_fill_the_cache(
    app, client, congress, make_document, views
):
    secret = make_document("Dự thảo Nghị quyết", visibility=Visibility.DELEGATES)
    delegate = add_delegates(congress, 1)[0]
    phone = app.test_client()
    assert phone.get(f"/k/{delegate_service.card_token(delegate)}").status_code == 302
    page = phone.get(f"/d/{secret.code}")
    assert page.status_code == 200 and "Dự thảo Nghị quyết" in page.get_data(as_text=True)
    phone.get(f"/d/{secret.code}")
    assert len(views) == 2  # a signed-in delegate always goes through the view
    # An anonymous phone scanning the same code is asked to sign in, not shown the draft.
    anonymous = client.get(f"/d/{secret.code}")
    assert anonymous.status_code == 302 and "/delegate/sign-in" in anonymous.headers["Location"]
