"""The QR landing page, kept rendered for anonymous visitors until the data changes.

When the chair says "scan the code on page 3", hundreds of phones open the same /d/CODE
within seconds. For a visitor who is not signed in that page depends only on the database,
the language and the query string, so each worker keeps the rendered HTML and answers the
next phone without a query or a template (≈7 ms → well under 1 ms of the app's time).

Invalidation is coarse and safe: any write to the database, by any worker or process,
replaces a small "generation" file in the cache directory (a new inode every time), and
a page rendered under an older generation is never served. Signed-in visitors, ?lang=
(which sets a cookie) and anything but a plain 200 always go through the view.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path

from flask import Flask, Response, current_app, g, has_app_context, request, session
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine

from ..storage import write_atomically

CACHED_ENDPOINTS = frozenset({"public.document"})
MAX_PAGES = 256  # per worker; a landing page is ≈15–30 KB
MAX_BODY = 256 * 1024
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC")


class PageCache:
    """Rendered pages of one worker, least recently used first out."""

    def __init__(self, generation_file: Path | None = None) -> None:
        self._generation_file = generation_file
        self._pages: OrderedDict[tuple, tuple[tuple, bytes, str]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def generation_file(self) -> Path:
        """In the app's cache directory, shared by every worker (read when first needed)."""
        if self._generation_file is None:
            self._generation_file = Path(current_app.config["CACHE_DIR"]) / "content-generation"
        return self._generation_file

    def generation(self) -> tuple[int, int]:
        """Identifies the data the pages were rendered from; changes on every write."""
        try:
            stat = os.stat(self.generation_file)
        except FileNotFoundError:
            self.bump()
            stat = os.stat(self.generation_file)
        return stat.st_ino, stat.st_mtime_ns

    def bump(self) -> None:
        """Retire every cached page in every worker: the file is replaced, never rewritten."""
        write_atomically(self.generation_file, os.urandom(8))

    def get(self, key: tuple, generation: tuple) -> tuple[bytes, str] | None:
        with self._lock:
            entry = self._pages.get(key)
            if entry is None or entry[0] != generation:
                return None
            self._pages.move_to_end(key)
            return entry[1], entry[2]

    def put(self, key: tuple, generation: tuple, body: bytes, mimetype: str) -> None:
        with self._lock:
            self._pages[key] = (generation, body, mimetype)
            self._pages.move_to_end(key)
            while len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)


def _cache() -> PageCache:
    return current_app.extensions["page_cache"]


def _cacheable_request() -> bool:
    return (
        request.method == "GET"
        and request.endpoint in CACHED_ENDPOINTS
        and "lang" not in request.args
        and not session  # no flashed message, no signed-in account or delegate
        and current_user.is_anonymous
    )


def _key() -> tuple:
    return request.full_path, str(get_locale()), current_app.config["PUBLIC_BASE_URL"]


def serve_cached():
    """before_request: the stored page, if it was rendered from the current data."""
    if not _cacheable_request():
        return None
    cache = _cache()
    generation = cache.generation()
    hit = cache.get(_key(), generation)
    if hit is None:
        g.page_cache_generation = generation  # as of before the view read the database
        return None
    body, mimetype = hit
    return Response(body, mimetype=mimetype)


def do_not_keep() -> None:
    """The view's page changes with the clock alone (comments that open or close at a set
    time): render it for every visitor rather than keep it until the next write."""
    g.pop("page_cache_generation", None)


def store(response: Response) -> Response:
    """after_request: keep a plain 200 page rendered for an anonymous visitor."""
    generation = g.pop("page_cache_generation", None)
    if (
        generation is not None
        and response.status_code == 200
        and not response.direct_passthrough
        and "Set-Cookie" not in response.headers
        and not session.modified
        and response.content_length is not None
        and response.content_length <= MAX_BODY
    ):
        _cache().put(_key(), generation, response.get_data(), response.mimetype)
    return response


def _note_writes(conn, cursor, statement, parameters, context, executemany) -> None:
    if statement.lstrip()[:6].upper() in _WRITES:
        conn.info["page_cache_dirty"] = True


def _after_commit(conn) -> None:
    # Every write runs in an app context (Flask-SQLAlchemy needs one): that app's cache.
    if conn.info.pop("page_cache_dirty", False) and has_app_context():
        cache = current_app.extensions.get("page_cache")
        if cache is not None:
            cache.bump()


def _after_rollback(conn) -> None:
    conn.info.pop("page_cache_dirty", None)


_listening = False


def init_app(app: Flask) -> None:
    global _listening
    app.extensions["page_cache"] = PageCache()
    if not _listening:  # once per process, for every engine: writes come from any of them
        event.listen(Engine, "before_cursor_execute", _note_writes)
        event.listen(Engine, "commit", _after_commit)
        event.listen(Engine, "rollback", _after_rollback)
        _listening = True
    app.before_request(serve_cached)
    app.after_request(store)
