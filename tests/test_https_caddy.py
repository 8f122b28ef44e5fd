"""HTTPS in the hall, for real: Debian's Caddy with its internal CA (deploy/Caddyfile.hall,
`tls internal`) in front of the app configured from the environment as README says
(PUBLIC_BASE_URL=https://…, CONGRESS_TRUSTED_PROXIES=1). Pages, Secure cookies, and the
service worker, which a phone registers only in a secure context.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import Flask, request
from werkzeug.serving import make_server

from congress_app import create_app
from congress_app.extensions import db
from congress_app.models import Congress, Role
from congress_app.services import page_images

from .browser import CHROMIUM, CHROMIUM_ARGS, DropSafeHandler, closing_on_drop, wait_for_js
from .conftest import ORGANISER, add_user, csrf_token_from, database_copy
from .threads import join_all

CADDY = "/usr/bin/caddy"
DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
CONGRESS_TITLE = "Đại hội đại biểu Đảng bộ phường Thanh Xuân lần thứ I"
STARTUP_SECONDS = 30


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Hall:
    """The app behind Caddy: `url` is the https address phones open, `ca` Caddy's root."""

    url: str
    port: int
    ca: Path
    app: Flask

    def tls(self) -> ssl.SSLContext:
        """A client that trusts Caddy's local CA only, as a phone that installed its root."""
        return ssl.create_default_context(cafile=str(self.ca))

    def request(self, method: str, path: str, body: dict | None = None,
                cookie: str = "") -> http.client.HTTPResponse:
        """One request over HTTPS through Caddy, redirects not followed."""
        connection = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.tls(),
                                                 timeout=30)
        headers = {"Cookie": cookie} if cookie else {}
        data = None
        if body is not None:
            data = urlencode(body)
            headers |= {"Content-Type": "application/x-www-form-urlencoded",
                        "Referer": f"{self.url}{path}"}
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        response.text = response.read().decode()
        connection.close()
        return response


@pytest.fixture
def app_behind_caddy(tmp_path, migrated_db, postgres, monkeypatch):
    """The app built from the environment of README's recipe, with a congress and an admin."""
    port = _free_port()
    database = database_copy(tmp_path, migrated_db, postgres)
    for name, value in {
        "CONGRESS_DATABASE_URL": database if isinstance(database, str)
        else f"sqlite:///{database}",
        "CONGRESS_FILE_STORE": str(tmp_path / "files"),
        "CONGRESS_CACHE_DIR": str(tmp_path / "cache"),
        "CONGRESS_SECRET_KEY": "a-test-key-that-is-long-enough-for-the-app-0123456789",
        "PUBLIC_BASE_URL": f"https://127.0.0.1:{port}",
        "CONGRESS_TRUSTED_PROXIES": "1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CONGRESS_SECURE_COOKIES", raising=False)
    app = create_app()
    app.config["PAGE_RENDERING"] = "on-demand"
    # What the app believed about each request: Caddy's X-Forwarded-Proto, through ProxyFix.
    app.seen_schemes = []
    app.before_request(lambda: app.seen_schemes.append(request.scheme))
    with app.app_context():
        db.session.add_all([
            Congress(slug="thanh-xuan", title=CONGRESS_TITLE, organisation="Đảng bộ phường",
                     starts_on=date(2025, 7, 22), ends_on=date(2025, 7, 23)),
        ])
        db.session.commit()
        add_user(ORGANISER[0], Role.ADMIN, password=ORGANISER[1])
        yield app, port
        page_images.stop_rendering()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def hall(app_behind_caddy, tmp_path) -> Iterator[Hall]:
    """Caddy on a loopback port with `tls internal`, in front of the app on another port.

    The repository's deploy/Caddyfile.hall is imported unchanged; only what a test run needs
    is added: no admin endpoint, data and config in the test's own directory, no attempt to
    install the root in the system's trust store, no http:// redirect server on port 80.
    """
    app, port = app_behind_caddy
    if not Path(CADDY).exists():
        pytest.fail(f"{CADDY} is missing: `make test` installs Debian's caddy package")
    server = make_server("127.0.0.1", 0, closing_on_drop(app), threaded=True,
                         request_handler=DropSafeHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    home = tmp_path / "caddy"
    storage = home / "data"
    caddyfile = home / "Caddyfile"
    home.mkdir()
    caddyfile.write_text(
        "{\n"
        "\tadmin off\n"
        f"\tstorage file_system {storage}\n"
        "\tskip_install_trust\n"
        "\tauto_https disable_redirects\n"
        f"\thttp_port {_free_port()}\n"
        "}\n"
        f"import {DEPLOY / 'Caddyfile.hall'}\n"
    )
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "xdg-data"),
           "XDG_CONFIG_HOME": str(home / "xdg-config"),
           "CONGRESS_DOMAIN": f"127.0.0.1:{port}",
           "CONGRESS_UPSTREAM": f"127.0.0.1:{server.server_port}"}
    log = (home / "caddy.log").open("w")
    caddy = subprocess.Popen(
        [CADDY, "run", "--config", str(caddyfile), "--adapter", "caddyfile"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    hall = Hall(url=f"https://127.0.0.1:{port}", port=port,
                ca=storage / "pki" / "authorities" / "local" / "root.crt", app=app)
    try:
        _wait_until_serving(hall, caddy, home / "caddy.log")
        yield hall
    finally:
        _stop(caddy)
        log.close()
        server.shutdown()
        join_all([thread], 5)
        server.server_close()


def _wait_until_serving(hall: Hall, caddy: subprocess.Popen, log: Path) -> None:
    """Until Caddy answers over TLS with a certificate from its own CA; fail loudly if not."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if caddy.poll() is not None:
            pytest.fail(f"Caddy exited with {caddy.returncode}:\n{log.read_text()}")
        if hall.ca.exists():
            try:
                with socket.create_connection(("127.0.0.1", hall.port), timeout=2) as raw, \
                        hall.tls().wrap_socket(raw, server_hostname="127.0.0.1"):
                    return
            except (OSError, ssl.SSLError):
                pass
        if time.monotonic() > deadline:
            pytest.fail(f"Caddy did not serve HTTPS within {STARTUP_SECONDS} s:\n"
                        f"{log.read_text()}")
        time.sleep(0.1)


def _stop(caddy: subprocess.Popen) -> None:
    """Caddy and anything it started, by its process group; no leftovers."""
    if caddy.poll() is None:
        os.killpg(caddy.pid, signal.SIGTERM)
        try:
            caddy.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(caddy.pid, signal.SIGKILL)
            caddy.wait(10)


def _session_cookie(response: http.client.HTTPResponse):
    for header in response.headers.get_all("Set-Cookie") or []:
        cookie = SimpleCookie(header)
        if "session" in cookie:
            return cookie["session"]
    raise AssertionError(f"no session cookie in {response.headers.get_all('Set-Cookie')}")


def test_pages_and_a_secure_sign_in_come_through_caddy_over_https(hall):
    home = hall.request("GET", "/")
    assert home.status == 200
    assert CONGRESS_TITLE in home.text
    assert hall.request("GET", "/sw.js").status == 200

    login = hall.request("GET", "/login")
    cookie = _session_cookie(login)
    signed_in = hall.request("POST", "/login", cookie=f"session={cookie.value}", body={
        "username": ORGANISER[0], "password": ORGANISER[1],
        "csrf_token": csrf_token_from(login.text)})
    assert signed_in.status == 302, signed_in.text
    session = _session_cookie(signed_in)
    assert session["secure"] is True
    assert session["httponly"] is True

    dashboard = hall.request("GET", "/organiser/", cookie=f"session={session.value}")
    assert dashboard.status == 200
    assert 'id="https-warning"' not in dashboard.text
    # Caddy talks plain HTTP to the app, yet with CONGRESS_TRUSTED_PROXIES=1 the app knows
    # every request came over HTTPS (X-Forwarded-Proto).
    assert hall.app.seen_schemes == ["https"] * 5


def test_the_public_caddyfile_asks_for_real_certificates_for_the_name(tmp_path):
    """deploy/Caddyfile (a public name, automatic certificates) as Caddy reads it."""
    if not Path(CADDY).exists():
        pytest.fail(f"{CADDY} is missing: `make test` installs Debian's caddy package")
    adapted = subprocess.run(
        [CADDY, "adapt", "--config", str(DEPLOY / "Caddyfile"), "--adapter", "caddyfile"],
        env={**os.environ, "HOME": str(tmp_path), "CONGRESS_DOMAIN": "daihoi.example.vn"},
        capture_output=True, text=True, check=True, timeout=60)
    config = json.loads(adapted.stdout)
    server = config["apps"]["http"]["servers"]["srv0"]
    assert server["listen"] == [":443"]
    route = server["routes"][0]
    assert route["match"] == [{"host": ["daihoi.example.vn"]}]
    handlers = route["handle"][0]["routes"][0]["handle"]
    proxy = next(h for h in handlers if h["handler"] == "reverse_proxy")
    assert proxy["upstreams"] == [{"dial": "127.0.0.1:8000"}]
    # No internal issuer: Caddy gets a public certificate for the name.
    assert "tls" not in config["apps"]


@pytest.mark.browser
def test_a_phone_behind_caddy_is_a_secure_context_and_registers_the_service_worker(hall):
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as pw:
        # Caddy's CA is not in this Chromium's store: certificate errors are ignored here only.
        browser = pw.chromium.launch(executable_path=CHROMIUM,
                                     args=[*CHROMIUM_ARGS, "--ignore-certificate-errors"])
        try:
            context = browser.new_context(viewport={"width": 360, "height": 740},
                                          is_mobile=True, has_touch=True,
                                          service_workers="allow", locale="vi-VN")
            page = context.new_page()
            page.goto(f"{hall.url}/")
            assert page.evaluate("window.isSecureContext") is True
            wait_for_js(page, "navigator.serviceWorker.getRegistration()"
                              ".then(r => !!(r && r.active))", timeout=15000)
            page.reload()
            assert page.evaluate("navigator.serviceWorker.controller !== null")
            assert CONGRESS_TITLE in page.content()
        finally:
            browser.close()
