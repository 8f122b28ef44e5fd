"""What the browser tests share: Debian's Chromium as they launch it, the app served on a
loopback port (with care for the connections a browser drops), waits polled from Python,
and the staff login filled in as a person would."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from time import monotonic

from werkzeug.serving import WSGIRequestHandler, make_server

from .threads import join_all

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


_RESPONSE_KEY = "congress_app.tests.response"


def closing_on_drop(app):
    """Remember each response body, so a dropped connection can close it (see below)."""

    def wsgi(environ, start_response):
        body = app(environ, start_response)
        environ[_RESPONSE_KEY] = body
        return body

    return wsgi


class DropSafeHandler(WSGIRequestHandler):
    """Werkzeug's test server forgets to close a response's file when the browser drops the
    connection mid-transfer (it reads the socket again before closing the body, and that
    read fails): the open file would surface later as a ResourceWarning in another test."""

    def connection_dropped(self, error, environ=None) -> None:
        body = (environ or {}).get(_RESPONSE_KEY)
        if body is not None and hasattr(body, "close"):
            body.close()




def wait_until(page, condition: Callable[[], object], what: str, timeout: float = 5000) -> None:
    """Wait until a condition checked from Python (page.evaluate, page.frames, page.workers)
    holds, letting Playwright deliver the page's events between two checks."""
    deadline = monotonic() + timeout / 1000
    while not condition():
        if monotonic() > deadline:
            raise AssertionError(f"still false after {timeout:.0f} ms: {what}")
        page.wait_for_timeout(50)


def wait_for_js(page, expression: str, timeout: float = 5000) -> None:
    """Wait until a JavaScript expression is truthy in the page, polled from Python.

    Playwright's own wait_for_function compiles its string with eval inside the page, which
    the app's Content-Security-Policy (script-src 'self') forbids; page.evaluate is not.
    """
    wait_until(page, lambda: page.evaluate(expression), expression, timeout)


SAVED = "Saved: you can read these documents without the network"


class OneRequestPerConnection(DropSafeHandler):
    """No keep-alive: once the server is shut down, no open connection still answers."""

    protocol_version = "HTTP/1.0"


class Server:
    """The app on a loopback port, which the test can shut down halfway."""

    def __init__(self, app) -> None:
        self._server = make_server("127.0.0.1", 0, closing_on_drop(app), threaded=True,
                                   request_handler=OneRequestPerConnection)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self.running = True

    def stop(self) -> None:
        if self.running:
            self.running = False
            self._server.shutdown()
            join_all([self._thread], 5)
            self._server.server_close()


def browser_sign_in(page, base: str, username: str, password: str, next_path: str) -> None:
    """The staff login form, filled in as a person would."""
    page.goto(f"{base}/login?next={next_path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{next_path}")
