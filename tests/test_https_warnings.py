"""Plain HTTP in the hall: the organiser dashboard says that phones lose offline saving and
the door camera (and why, and how to fix it); the door scanner says the camera needs https
and that typing numbers still works. Nothing is said once the request or the QR codes are
HTTPS, including behind a trusted proxy that sends X-Forwarded-Proto."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from congress_app import create_app
from congress_app.extensions import db
from congress_app.models import Role

from .browser import CHROMIUM, CHROMIUM_ARGS, wait_for_js
from .conftest import (
    ORGANISER,
    IsolatedClient,
    _config,
    add_user,
    signed_in_client,
)

PLAIN_HTTP = "Phones open this site over plain HTTP: offline saving and the door camera"
QR_CODES_HTTP = "The QR codes send phones to plain HTTP."
HOW_TO_FIX = "deploy/Caddyfile"
CAMERA = "The camera needs a secure (https://) address"
TYPING = "Typing the delegate number below still works."


@pytest.fixture
def proxied_app(app, tmp_path):
    """The same database served by an app that believes one proxy (CONGRESS_TRUSTED_PROXIES=1),
    as behind Caddy or nginx."""
    behind = create_app({**_config(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"]),
                         "TRUSTED_PROXIES": 1})
    behind.test_client_class = IsolatedClient
    yield behind
    with behind.app_context():
        db.session.remove()
        db.engine.dispose()


PLAIN = "http://congress.test"  # a hall address: neither https nor this computer
HTTPS = "https://congress.test"


def _signed_in(an_app, username: str = ORGANISER[0], password: str = ORGANISER[1],
               base_url: str = PLAIN):
    """A test client of `an_app` signed in through the login form at `base_url`, in English."""
    return signed_in_client(an_app, username, password, base_url=base_url)


def _dashboard(client, base_url: str = PLAIN, **kwargs) -> str:
    page = client.get("/organiser/", base_url=base_url, **kwargs)
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_the_dashboard_over_plain_http_says_what_phones_lose_and_how_to_fix_it(
        app, organiser, congress):
    html = _dashboard(_signed_in(app))
    assert PLAIN_HTTP in html
    assert "At http://congress.test delegates cannot save documents" in html
    assert HOW_TO_FIX in html and "HTTPS in the hall" in html
    assert QR_CODES_HTTP not in html


def test_the_dashboard_over_https_with_https_qr_codes_says_nothing(app, organiser, congress):
    app.config["PUBLIC_BASE_URL"] = HTTPS
    html = _dashboard(_signed_in(app, base_url=HTTPS), base_url=HTTPS)
    assert 'id="https-warning"' not in html


def test_https_qr_codes_are_enough_when_the_organiser_reaches_the_app_directly(
        app, organiser, congress):
    """The laptop may talk to the app on loopback while phones come through Caddy."""
    app.config["PUBLIC_BASE_URL"] = "https://daihoi.example.vn"
    assert 'id="https-warning"' not in _dashboard(_signed_in(app))


def test_a_page_over_https_with_http_qr_codes_warns_about_the_printed_codes(
        app, organiser, congress):
    html = _dashboard(_signed_in(app, base_url=HTTPS), base_url=HTTPS)
    assert QR_CODES_HTTP in html
    assert "PUBLIC_BASE_URL is http://congress.test" in html
    assert PLAIN_HTTP not in html


def test_behind_a_trusted_proxy_x_forwarded_proto_counts_as_https(
        app, proxied_app, organiser, congress):
    proxied_app.config["PUBLIC_BASE_URL"] = HTTPS
    client = _signed_in(proxied_app)
    https = {"X-Forwarded-Proto": "https"}
    assert 'id="https-warning"' not in _dashboard(client, headers=https)
    proxied_app.config["PUBLIC_BASE_URL"] = PLAIN
    html = _dashboard(client, headers=https)
    assert QR_CODES_HTTP in html and PLAIN_HTTP not in html
    assert PLAIN_HTTP in _dashboard(client)


def test_x_forwarded_proto_is_not_believed_without_a_trusted_proxy(app, organiser, congress):
    client = _signed_in(app)
    assert PLAIN_HTTP in _dashboard(client, headers={"X-Forwarded-Proto": "https"})


@pytest.fixture
def door(app, congress):
    add_user("door", Role.CHECKIN)
    return ("door", "pass word")


def _scanner(client, base_url: str = PLAIN, **kwargs) -> str:
    page = client.get("/checkin/", base_url=base_url, **kwargs)
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_the_door_scanner_over_plain_http_says_the_camera_needs_https(app, door):
    html = _scanner(_signed_in(app, *door))
    assert CAMERA in html and TYPING in html
    assert 'id="camera-insecure"' in html


@pytest.mark.parametrize("base_url", [
    HTTPS,
    # Browsers count http://localhost and 127.x as secure: the camera works there.
    "http://127.0.0.1:5000",
    "http://localhost:5000",
])
def test_the_door_scanner_says_nothing_where_the_camera_is_allowed(app, door, base_url):
    client = _signed_in(app, *door, base_url=base_url)
    assert 'id="camera-insecure"' not in _scanner(client, base_url=base_url)


def test_the_door_scanner_behind_a_trusted_proxy_over_https_says_nothing(proxied_app, door):
    client = _signed_in(proxied_app, *door)
    https = {"X-Forwarded-Proto": "https"}
    assert 'id="camera-insecure"' not in _scanner(client, headers=https)
    assert 'id="camera-insecure"' in _scanner(client)


@pytest.mark.browser
def test_a_door_phone_over_plain_http_sees_why_and_no_empty_viewfinder(live_server, door):
    """Chromium at a hall-like http:// name (mapped to the test server): not a secure
    context, so the script leaves the viewfinder hidden under the server's notice."""
    from playwright.sync_api import sync_playwright

    port = urlsplit(live_server).port
    hall = f"http://door.test:{port}"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            *CHROMIUM_ARGS, "--host-resolver-rules=MAP door.test 127.0.0.1"])
        try:
            context = browser.new_context(viewport={"width": 360, "height": 740})
            context.add_cookies([{"name": "lang", "value": "en", "url": hall}])
            page = context.new_page()
            page.goto(f"{hall}/login?next=/checkin/")
            page.get_by_label("Username").fill(door[0])
            page.get_by_label("Password").fill(door[1])
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{hall}/checkin/")
            assert page.evaluate("window.isSecureContext") is False
            # The deferred script has run, and kept the viewfinder hidden.
            wait_for_js(page, "document.readyState === 'complete'")
            assert page.locator("#camera-insecure").is_visible()
            assert page.locator("#viewfinder").is_hidden()
            assert page.locator("#number").is_visible()
        finally:
            browser.close()
