"""Reading offline, the server's part: the service worker, the web app manifest, the offline
page, and the list of documents "Save all documents" stores for this visitor."""

from __future__ import annotations

from pathlib import Path

import pytest

from congress_app import pages as page_images
from congress_app.extensions import db
from congress_app.models import Delegate
from congress_app.services import delegates as delegate_service
from congress_app.web.public import READER_WINDOW

STATIC = Path(__file__).resolve().parent.parent / "static"


def test_the_service_worker_is_served_from_the_site_root(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    script = response.get_data(as_text=True)
    assert "__ASSETS_VERSION__" not in script
    assert 'self.addEventListener("fetch"' in script
    # The worker maps ?page=N to the saved window that holds N, as the server does.
    assert "__READER_WINDOW__" not in script
    assert f'READER_WINDOW = Number("{READER_WINDOW}")' in script


def test_a_changed_stylesheet_changes_the_service_worker(client, app, tmp_path):
    before = client.get("/sw.js").get_data(as_text=True)
    static = tmp_path / "static"
    for part in ("js/sw.js", "css/app.css"):
        (static / part).parent.mkdir(parents=True, exist_ok=True)
        (static / part).write_bytes((STATIC / part).read_bytes())
    (static / "css" / "app.css").write_text("body { color: red; }")
    app.static_folder = str(static)
    assert client.get("/sw.js").get_data(as_text=True) != before


def test_the_web_app_manifest_names_the_congress_and_its_icons_exist(client, congress):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json()
    assert manifest["name"] == congress.organisation
    assert manifest["short_name"]
    assert manifest["start_url"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == manifest["background_color"] == "#a4161a"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512", "any"} <= sizes
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200, icon["src"]


def test_every_page_links_the_manifest_and_the_offline_script(client, congress):
    html = client.get("/").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert '<meta name="theme-color" content="#a4161a">' in html
    assert "/static/js/offline.js" in html and 'data-worker="/sw.js"' in html


def test_the_offline_page_carries_no_personal_data(client, congress):
    client.set_cookie("lang", "en")
    html = client.get("/offline").get_data(as_text=True)
    assert "You are offline and this page was not saved" in html
    assert "csrf_token" not in html


@pytest.fixture
def documents(make_document):
    """One document for everyone, one for delegates, one unpublished, one for organisers."""
    return {
        "public": make_document(title="Báo cáo chính trị"),
        "delegates": make_document(title="Dự thảo nghị quyết", visibility="delegates"),
        "draft": make_document(title="Bản nháp", published=False),
        "organisers": make_document(title="Danh sách nhân sự", visibility="organisers"),
    }


def _saved_codes(client) -> list[str]:
    response = client.get("/offline/manifest.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return [d["code"] for d in response.get_json()["documents"]]


def test_an_anonymous_visitor_saves_only_public_documents(client, documents):
    assert _saved_codes(client) == [documents["public"].code]


def test_a_signed_in_delegate_also_saves_delegates_only_documents(client, congress, documents):
    delegate = Delegate(congress=congress, number=7, full_name="Nguyễn Văn An")
    db.session.add(delegate)
    db.session.flush()
    delegate_service.issue_credentials(delegate)
    db.session.commit()
    client.get(f"/K/{delegate_service.card_token(delegate)}")
    assert _saved_codes(client) == [documents["public"].code, documents["delegates"].code]


def test_an_organiser_saves_what_organisers_see(client, auth, organiser, documents):
    auth.login()
    assert _saved_codes(client) == [d.code for d in documents.values()]


def test_the_list_says_what_to_fetch_and_how_big_it_is(client, app, make_document, pdf_bytes):
    document = make_document(pdf=pdf_bytes("Nghị quyết", 3))
    version = document.current_version
    # Page 1 is rendered (its size on disk counts); pages 2 and 3 are estimated.
    rendered = page_images.page_path(version.sha256, 480, 1)
    rendered.parent.mkdir(parents=True, exist_ok=True)
    rendered.write_bytes(b"x" * 1234)

    data = client.get("/offline/manifest.json").get_json()
    assert data["pages"] == ["/", "/programme", "/documents", "/offline"]
    assert data["count"] == 1
    saved = data["documents"][0]
    assert saved["version"] == 1
    v = version.sha256[:12]
    urls = {u["url"]: u["bytes"] for u in saved["urls"]}
    assert urls[f"/d/{document.code}/file"] == version.size
    assert urls[f"/d/{document.code}/pages/1.webp?v={v}&w=480"] == 1234
    assert urls[f"/d/{document.code}/pages/3.webp?v={v}&w=480"] > 0
    assert f"/d/{document.code}" in urls
    assert len(urls) == 2 + 3
    assert saved["bytes"] == sum(urls.values())
    assert data["total_bytes"] == saved["bytes"]
    assert data["total_mb"] == round(saved["bytes"] / 1_000_000, 1)
    for url in urls:  # every URL listed really answers
        assert client.get(url).status_code == 200, url


def test_a_long_document_is_saved_window_by_window(client, app, make_document, pdf_bytes):
    """Every window of the reader is listed, sized honestly, with every page image."""
    document = make_document(pdf=pdf_bytes("Tuyển tập văn kiện", 45))
    version = document.current_version
    v = version.sha256[:12]
    saved = client.get("/offline/manifest.json").get_json()["documents"][0]
    urls = {u["url"]: u["bytes"] for u in saved["urls"]}
    windows = [f"/d/{document.code}", f"/d/{document.code}?page=21",
               f"/d/{document.code}?page=41"]
    assert [u for u in urls if not u.endswith(("/file", "&w=480"))] == windows
    assert [f"/d/{document.code}/pages/{n}.webp?v={v}&w=480" for n in range(1, 46)] == [
        u for u in urls if u.endswith("&w=480")]
    for url in windows:
        html = client.get(url).get_data()
        assert 0.8 < urls[url] / len(html) < 1.5, (url, urls[url], len(html))
    assert saved["bytes"] == sum(urls.values())


def test_the_documents_page_offers_to_save_them_all(client, documents):
    client.set_cookie("lang", "en")
    html = client.get("/documents").get_data(as_text=True)
    assert 'id="offline-save"' in html
    assert 'data-manifest="/offline/manifest.json"' in html
    assert "Save {count} documents ({size} MB) for reading offline" in html


def test_organisers_phones_save_nothing(client, auth, organiser, congress):
    """offline.js unregisters the worker where the page says staff: their pages are private."""
    assert 'data-staff="0"' in client.get("/").get_data(as_text=True)
    auth.login()
    assert 'data-staff="1"' in client.get("/").get_data(as_text=True)
