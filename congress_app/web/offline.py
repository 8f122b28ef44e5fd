"""Reading without the network: the service worker, the web app manifest, the offline page,
and the list of what "Save all documents" stores on this phone."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from flask import Blueprint, current_app, jsonify, make_response, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import Map
from werkzeug.routing.rules import parse_converter_args

from ..services import page_images
from ..services import reader as reader_service
from ..services import visibility as visibility_service
from ..services.pdf_inspection import MAX_PAGES
from .public import reader_url
from .tenancy import PREFIX, get_congress

bp = Blueprint("offline", __name__)

THEME_COLOUR = "#a4161a"  # --red in app.css
ICONS = (
    ("icon-192.png", "192x192", "image/png"),
    ("icon-512.png", "512x512", "image/png"),
    ("icon.svg", "any", "image/svg+xml"),
)
# A page image at 480 px not rendered yet: about what a text page weighs as WebP.
PAGE_IMAGE_ESTIMATE = 40_000
# A reader page's HTML: the frame (about 5 kB measured), plus each page's <figure> in its
# window (about 500 bytes), plus the text of those pages, which it carries.
READER_PAGE_OVERHEAD = 6_000
READER_PAGE_PER_PAGE = 550
# What the service worker keeps; a change to any of them must reach phones (see sw.js).
CACHED_ASSETS = ("css/*.css", "js/*.js", "fonts/be-vietnam-pro/*.woff2", "img/icon*")
# What the service worker stores on install: the assets every page needs.
PRECACHED = (
    "css/fonts.css", "css/app.css", "css/reader.css",
    "js/reader.js", "js/stage.js", "js/offline.js", "js/outbox.js",
    "img/icon.svg", "img/icon-192.png", "img/icon-512.png",
    *(f"fonts/be-vietnam-pro/be-vietnam-pro-{subset}-{weight}-normal.woff2"
      for subset in ("latin", "latin-ext", "vietnamese") for weight in (400, 600, 700)),
)
# What the service worker does with each endpoint's paths (see sw.js); every rule of the
# endpoint counts, the /c/<slug>/ forms of several congresses included. A path of no endpoint
# here (sign-in, organisers, check-in, card links …) is never touched by the worker.
WORKER_ENDPOINTS = {
    # Cache first (an asset's change installs a new worker, see _assets_version).
    "asset": ("static",),
    # Network first, then the saved copy.
    "page": ("public.home", "public.programme", "public.documents", "public.document",
             "offline.offline_page", "offline.web_app_manifest"),
    # The reader, shown a window of pages at a time (?page=N).
    "reader": ("public.document",),
    "image": ("public.document_page_image",),
    "file": ("public.document_file",),
    # Never saved: offline, a visit gets the offline page.
    "online": ("search.search", "stage.screen", "public.programme_pdf",
               "public.upper_case_url"),
}
_RULE_ARGUMENT = re.compile(
    r"<(?:(?P<converter>[a-zA-Z_]\w*)(?:\((?P<args>.*?)\))?:)?(?P<name>[a-zA-Z_]\w*)>")
# Characters with a meaning in a regular expression, in JavaScript's syntax as in Python's.
_REGEX_SYNTAX = re.compile(r"[\\^$.*+?()\[\]{}|]")


def _assets_version(static: Path) -> str:
    """A hash of the cached assets: it changes sw.js, so phones fetch the new files."""
    digest = hashlib.sha256()
    for pattern in CACHED_ASSETS:
        for path in sorted(static.glob(pattern)):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _path_pattern(path: str, url_map: Map) -> str:
    """A rule's path as a regular expression without anchors, each <argument> replaced by its
    converter's own expression: the paths Flask routes to the rule, as the worker tests them."""
    parts, end = [], 0
    for argument in _RULE_ARGUMENT.finditer(path):
        parts.append(_REGEX_SYNTAX.sub(r"\\\g<0>", path[end:argument.start()]))
        args, kwargs = parse_converter_args(argument["args"]) if argument["args"] else ((), {})
        converter = url_map.converters[argument["converter"] or "default"]
        parts.append(f"(?:{converter(url_map, *args, **kwargs).regex})")
        end = argument.end()
    parts.append(_REGEX_SYNTAX.sub(r"\\\g<0>", path[end:]))
    return "".join(parts)


def worker_routes(url_map: Map) -> dict:
    """The service worker's route table, generated from the URL map (never retyped in JS).

    For each kind of WORKER_ENDPOINTS, one regular expression per GET rule; "congress" picks
    the /c/<slug> part of a congress's path (its own offline page is under it), "offline" is
    the offline page every phone keeps, "precache" what the worker stores on install.
    """
    rules = [rule for rule in url_map.iter_rules() if "GET" in (rule.methods or ())]
    table: dict = {}
    for kind, endpoints in WORKER_ENDPOINTS.items():
        missing = set(endpoints) - {rule.endpoint for rule in rules}
        if missing:  # a renamed view: the worker would stop handling its pages
            raise RuntimeError(f"the service worker names no such endpoints: {sorted(missing)}")
        table[kind] = [f"^{_path_pattern(rule.rule, url_map)}$"
                       for rule in rules if rule.endpoint in endpoints]
    table["congress"] = f"^({_path_pattern(PREFIX, url_map)})/"
    urls = url_map.bind("")
    table["offline"] = urls.build("offline.offline_page")
    table["precache"] = [urls.build("static", {"filename": name}) for name in PRECACHED]
    return table


@bp.get("/sw.js")
def service_worker():
    """The service worker, from the site root so that its scope is the whole site.

    Its bytes depend only on the cached assets and the URL map, never on the request: a
    browser reinstalls the worker when they change, and only then.
    """
    static = Path(current_app.static_folder)
    script = (static / "js" / "sw.js").read_text(encoding="utf-8")
    script = script.replace("__ASSETS_VERSION__", _assets_version(static))
    script = script.replace("__READER_WINDOW__", str(reader_service.READER_WINDOW))
    routes = json.dumps(worker_routes(current_app.url_map), sort_keys=True, indent=1)
    script = script.replace("__ROUTES__", routes)
    response = make_response(script)
    response.mimetype = "text/javascript"
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
def web_app_manifest():
    """What a phone needs to put the congress on its home screen."""
    congress = get_congress()
    manifest = {
        "name": congress.organisation if congress else "congress_app",
        "short_name": _("Congress"),
        "start_url": url_for("public.home"),  # /c/<slug>/ when the instance has several
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": THEME_COLOUR,
        "icons": [
            {"src": url_for("static", filename=f"img/{name}"), "sizes": sizes, "type": kind}
            for name, sizes, kind in ICONS
        ],
    }
    response = jsonify(manifest)
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/offline")
def offline_page():
    """Shown by the service worker for a page this phone never saved (no personal data)."""
    return render_template("offline/offline.html")


def _page_image_size(sha256: str, n: int) -> int:
    """The 480 px page image's size on disk, or an estimate if it is not rendered yet."""
    path = page_images.page_path(sha256, 480, n)
    return path.stat().st_size if path.is_file() else PAGE_IMAGE_ESTIMATE


def _saved_document(document) -> dict:
    """One document's URLs to save, with their sizes in bytes.

    Every window of the reader is listed (/d/CODE, /d/CODE?page=21, …), as the reader links
    them: offline, the service worker answers ?page=N with the saved window holding N. A
    document stored before uploads were limited to MAX_PAGES is listed up to that page, so
    one document adds at most MAX_PAGES page images (about 150 kB) to the list.
    """
    version = document.current_version
    v = version.sha256[:12]
    pages = min(version.pages, MAX_PAGES)
    # Each page's text length, read once (not once per window: a long document's text is
    # megabytes).
    text_bytes = [len(text.encode()) for text in reader_service.page_texts(version)]
    urls = [
        {"url": reader_url(document.code, window.first),
         "bytes": READER_PAGE_OVERHEAD
         + READER_PAGE_PER_PAGE * (window.last - window.first + 1)
         + sum(text_bytes[window.first - 1:window.last])}
        for window in reader_service.page_windows(pages)
    ]
    urls.append(
        {"url": url_for("public.document_file", code=document.code), "bytes": version.size})
    urls += [
        {"url": url_for("public.document_page_image", code=document.code, n=n, v=v, w=480),
         "bytes": _page_image_size(version.sha256, n)}
        for n in range(1, pages + 1)
    ]
    return {
        "code": document.code,
        "title": document.title,
        "version": version.number,
        "urls": urls,
        "bytes": sum(u["bytes"] for u in urls),
    }


@bp.get("/offline/manifest.json")
def saved_documents():
    """Every document this visitor may see, with what to save for reading it offline."""
    congress = get_congress()
    documents = visibility_service.list_documents(congress, current_user) if congress else []
    saved = [_saved_document(d) for d in documents if d.current_version is not None]
    total = sum(d["bytes"] for d in saved)
    response = jsonify(
        {
            "pages": [url_for("public.home"), url_for("public.programme"),
                      url_for("public.documents"), url_for("offline.offline_page")],
            "documents": saved,
            "count": len(saved),
            "total_bytes": total,
            "total_mb": round(total / 1_000_000, 1),
        }
    )
    # Who is asking decides what is listed: no shared or stored copy.
    response.headers["Cache-Control"] = "no-store"
    return response
