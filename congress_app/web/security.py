"""Security headers on every response: what the browser may load, frame, sniff and send.

The policy allows only this site's own files: every script is a file under static/ (inline
`<script type="application/json">` blocks are data, never run), and the check-in scanner's
decoder runs as a blob: Web Worker that qr-scanner builds from its own vendored file.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, g, request, session
from flask_wtf.csrf import CSRFError

SITE_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    # qr-scanner (vendored) draws its scan-region corners with this one fixed style="…";
    # its hash allows exactly that attribute and no other (checkin.css repeats it as a class).
    "style-src-attr": "'unsafe-hashes' 'sha256-WJ4j1S+Lg0uXNK3sw0TRF93tPA//eAz36eL7k8Ss620='",
    "img-src": "'self' data: blob:",
    "media-src": "'self' blob:",
    "connect-src": "'self'",
    "worker-src": "'self' blob:",
    "manifest-src": "'self'",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

# Uploaded files open on their own, outside the site: a sandboxed page with no scripts, no
# plugins and no access to the site's cookies. Chromium's PDF viewer still shows PDFs.
FILE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
}


def csp_nonce() -> str:
    """A one-request nonce for a `<style>` element whose values come from the server."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def site_policy() -> str:
    """The Content-Security-Policy of a page, with this request's style nonce if it used one."""
    policy = dict(SITE_POLICY)
    if "csp_nonce" in g:
        policy["style-src"] += f" 'nonce-{g.csp_nonce}'"
    return "; ".join(f"{name} {value}" for name, value in policy.items())


def add_security_headers(response: Response) -> Response:
    """Add the headers a view has not set itself (files and card links set stricter ones)."""
    response.headers.setdefault("Content-Security-Policy", site_policy())
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def keep_personal_responses_private(response: Response) -> Response:
    """Cache-Control: private on every response built for someone in particular.

    A visitor with a session (a signed-in organiser or delegate, a form's CSRF token, a
    flashed message) may get a page, file or image that depends on who asks: no shared cache
    (a proxy in the hall, a CDN) may keep it for the next phone. Anonymous visitors carry no
    session, so public pages and files keep their caching; so does what a view marked public
    itself (page images of public documents, static files) or no-store.
    """
    cache_control = response.cache_control
    if cache_control.public or cache_control.no_store or cache_control.private:
        return response
    if session or session.modified:
        cache_control.private = True
    return response


def refuse_nul_characters() -> None:
    """No keyboard types U+0000 and PostgreSQL cannot store it in text (DataError, a 500):
    a query or form field holding one is refused before any view reads it."""
    fields = [*request.args.items(multi=True)]
    if request.method == "POST":
        fields += request.form.items(multi=True)
    if any("\x00" in f"{k}{v}" for k, v in fields):
        abort(400)


def renew_csrf_token() -> None:
    """At sign-in: forget the CSRF token of the anonymous visit, so a token planted or read
    before the sign-in is worth nothing after it (Flask-WTF makes a new one when asked)."""
    session.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def _origin(url: str) -> str | None:
    """scheme://host[:port] of a URL, lower-cased, with the default port left out."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default = 443 if parts.scheme == "https" else 80
    host = parts.hostname + (f":{port}" if port and port != default else "")
    return f"{parts.scheme}://{host}"


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def refuse_other_origins() -> None:
    """A form or request that changes something must come from a page of this site, over
    plain HTTP too (where Flask-WTF checks no Referer): the browser's Origin header, or its
    Referer when it sends no Origin, must be this host or PUBLIC_BASE_URL. A request with
    neither (old clients, scripts) still needs its valid CSRF token, checked by Flask-WTF."""
    if request.method not in UNSAFE_METHODS:
        return
    claimed = request.headers.get("Origin") or request.headers.get("Referer")
    if claimed is None:
        return
    allowed = {_origin(request.host_url), _origin(current_app.config.get("PUBLIC_BASE_URL", ""))}
    origin = _origin(claimed)
    if origin is None or origin not in allowed:
        # "null" (a sandboxed frame, a page that hides its address) is no site of ours either.
        raise CSRFError("The request came from another site.")


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul_characters)
    app.before_request(refuse_other_origins)
    app.after_request(add_security_headers)
    app.after_request(keep_personal_responses_private)
    app.context_processor(lambda: {"csp_nonce": csp_nonce})
