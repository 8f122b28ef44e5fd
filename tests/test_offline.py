"""Reading offline, the server's part: the service worker, the web app manifest, the offline
page, and the list of documents "Save all documents" stores for this visitor."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from werkzeug.routing import Rule

from congress_app import create_app
from congress_app.extensions import db
from congress_app.models import Congress
from congress_app.services import delegates as delegate_service
from congress_app.services import page_images
from congress_app.services.reader import READER_WINDOW
from congress_app.web.offline import _RULE_ARGUMENT, WORKER_ENDPOINTS, worker_routes

from .conftest import add_delegate

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
    delegate = add_delegate(congress, 7, "Nguyễn Văn An")
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
    # Over plain http:// offline.js shows this reason instead of the button: it is in the
    # page, so it is translated like every other text.
    assert ('<p class="offline-save-insecure" id="offline-save-insecure">This page was opened'
            ' at a plain http:// address') in html


def test_organisers_phones_save_nothing(client, auth, organiser, congress):
    """offline.js unregisters the worker where the page says staff: their pages are private."""
    assert 'data-staff="0"' in client.get("/").get_data(as_text=True)
    auth.login()
    assert 'data-staff="1"' in client.get("/").get_data(as_text=True)


# The worker's route table, generated from the URL map ---------------------------------------


def _served_routes(client) -> dict:
    """The route table inlined in the served worker."""
    script = client.get("/sw.js").get_data(as_text=True)
    assert "__ROUTES__" not in script
    return json.loads(re.search(r"^var ROUTES = (\{.*?^\});$", script, re.M | re.S)[1])


def _kinds(routes: dict, path: str) -> set[str]:
    """The worker's kinds whose patterns take this path (Python's re reads them as JS does)."""
    return {kind for kind in WORKER_ENDPOINTS if any(re.search(p, path) for p in routes[kind])}


def _sample_path(rule: Rule) -> str:
    """A path the rule answers: every <argument> filled with a value its converter takes."""
    samples = {"int": "7", "path": "a/b", "float": "1.5",
               "uuid": "12345678-1234-1234-1234-123456789abc"}

    def value(argument: re.Match) -> str:
        converter = argument["converter"] or "default"
        if converter == "any":
            return argument["args"].split(",")[0].strip(" '\"")
        return samples.get(converter, "ABC234")

    return _RULE_ARGUMENT.sub(value, rule.rule)


def test_every_route_the_worker_handles_and_no_other_is_in_its_table(client, app):
    """Each GET rule's paths get exactly its endpoint's kinds: organisers', sign-in and card
    paths none at all, so the worker never answers them."""
    routes = _served_routes(client)
    assert routes == worker_routes(app.url_map)
    adapter = app.url_map.bind("")
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        path = _sample_path(rule)
        assert adapter.match(path)[0] == rule.endpoint, path
        expected = {kind for kind, endpoints in WORKER_ENDPOINTS.items()
                    if rule.endpoint in endpoints}
        assert _kinds(routes, path) == expected, (rule.rule, rule.endpoint)
    for private in ("/organiser/", "/checkin/", "/login", "/k/TOKEN", "/K/TOKEN",
                    "/delegate/sign-in", "/c/ward-b/delegate/sign-in"):
        assert _kinds(routes, private) == set(), private


def _paths(urls: list[str]) -> list[str]:
    return [url.split("?")[0] for url in urls]


def _second_congress() -> Congress:
    """The ward next door: from now on every congress page is also under /c/<slug>/."""
    ward = Congress(slug="binh-minh", title="Đại hội phường Bình Minh",
                    organisation="Đảng bộ phường Bình Minh", starts_on=date(2025, 7, 24),
                    ends_on=date(2025, 7, 24))
    db.session.add(ward)
    db.session.commit()
    return ward


@pytest.mark.parametrize("several", [False, True], ids=["one congress", "two congresses"])
def test_everything_save_all_fetches_is_saved_by_the_worker(client, congress, make_document,
                                                            several):
    """The URLs "Save all" fetches, with and without /c/<slug>/, are pages, page images or
    files to the worker; the web app's start URL is a saved page too."""
    document = make_document(title="Báo cáo chính trị")
    if several:
        _second_congress()
    prefix = f"/c/{congress.slug}" if several else ""
    routes = _served_routes(client)
    data = client.get(f"{prefix}/offline/manifest.json").get_json()
    assert data["pages"] == [f"{prefix}/", f"{prefix}/programme", f"{prefix}/documents",
                             f"{prefix}/offline"]
    for path in _paths(data["pages"]):
        assert _kinds(routes, path) == {"page"}, path
    urls = _paths([u["url"] for u in data["documents"][0]["urls"]])
    assert [_kinds(routes, path) for path in urls] == [
        {"page", "reader"}, {"file"}, {"image"}, {"image"}]
    assert urls[0] == f"/d/{document.code}"
    start_url = client.get(f"{prefix}/manifest.webmanifest").get_json()["start_url"]
    assert start_url == f"{prefix}/"
    assert _kinds(routes, start_url) == {"page"}
    if several:  # offline, a page of this congress gets this congress's offline page
        assert re.search(routes["congress"], f"{prefix}/search")[1] == prefix
    assert client.get(routes["offline"]).status_code == 200
    for url in routes["precache"]:
        assert client.get(url).status_code == 200, url


def test_a_route_added_to_the_url_map_reaches_the_worker(app, client):
    """No JavaScript to edit: a new address of a saved page is in the served worker."""
    before = client.get("/sw.js").get_data()
    grown = create_app(app.config)
    grown.add_url_rule("/tai-lieu", endpoint="public.documents")
    routes = _served_routes(grown.test_client())
    assert "^/tai-lieu$" in routes["page"]
    assert _kinds(routes, "/tai-lieu") == {"page"}
    assert grown.test_client().get("/sw.js").get_data() != before


def test_the_worker_is_the_same_bytes_whoever_asks(app, client, auth, organiser, congress):
    """A browser reinstalls a worker whose bytes changed: adding a congress, the language or
    an account must not, or every phone would fetch everything again."""
    first = client.get("/sw.js").get_data()
    _second_congress()
    client.set_cookie("lang", "en")
    assert client.get("/sw.js").get_data() == first
    auth.login()
    assert client.get("/sw.js").get_data() == first
    assert app.test_client().get("/sw.js").get_data() == first
