"""Several congresses on one instance: which congress a request is about, and its URLs.

A single-congress instance keeps its short URLs (/programme, /documents …). Once a second
congress exists, the delegate-facing pages of each are also reached under /c/<slug>/ and
every link the app builds carries the slug of the congress being shown. Document QR codes
(/d/CODE) and card links (/k/TOKEN) never change: the code itself names its congress.

Organiser pages have no slug: an account tied to a congress only ever works on that one;
an account serving every congress picks the one it works on (kept in its session).
"""

from __future__ import annotations

import re

from flask import Flask, abort, g, has_request_context, request, session
from flask_login import current_user

from ..models import Congress
from ..services import congress as congress_service
from ..services import documents as document_service
from ..services import visibility as visibility_service

SLUG_ARG = "congress_slug"
SLUG_SHAPE = re.compile(r"[a-z0-9-]{1,80}")
PREFIX = f"/c/<{SLUG_ARG}>"
# The pages that show one congress to delegates and guests.
SCOPED_ENDPOINTS = (
    "public.home",
    "public.programme",
    "public.programme_pdf",
    "public.documents",
    "search.search",
    "stage.screen",
    "stage.state",
    "offline.offline_page",
    "offline.saved_documents",
    "offline.web_app_manifest",
    "delegate.sign_in",
)
# The session key an all-congress account's choice is kept under.
CHOSEN = "congress_id"


def is_multi() -> bool:
    """Several congresses on the instance (counted once per request: every URL asks)."""
    if "congress_count" not in g:
        g.congress_count = congress_service.congress_count()
    return g.congress_count > 1


def get_congress() -> Congress | None:
    """The congress this request is about (or the instance's first, outside a request).

    Decided once per request (resolve_congress) and kept in `g`; services never ask for
    it: the web layer passes the congress to them.
    """
    if not has_request_context():
        return congress_service.first_congress()
    if "congress" not in g:
        g.congress = resolve_congress()
    return g.congress


def resolve_congress() -> Congress | None:
    """The congress of this request: the URL's slug, else the scanned document's, else the
    signed-in account's, else the instance's first."""
    slug = g.get(SLUG_ARG)
    if slug is not None:
        # Slugs are short ASCII words (services.congress.congress_slug); anything else, a NUL
        # included, is not looked up at all.
        # None for an unknown slug: refuse_unknown_slug answers 404, and error pages (which
        # ask for the congress too) belong to no congress.
        return congress_service.by_slug(slug) if SLUG_SHAPE.fullmatch(slug) else None
    code = (request.view_args or {}).get("code")
    if code:
        document = document_service.find_by_code(code)
        if document is not None and _may_name_its_congress(document):
            return document.congress
    user = current_user
    if getattr(user, "is_authenticated", False):
        if getattr(user, "is_delegate", False):
            return user.congress
        if user.congress_id is not None:
            return user.congress
        chosen = session.get(CHOSEN)
        if isinstance(chosen, int):
            congress = congress_service.by_id(chosen)
            if congress is not None:
                return congress
    return congress_service.first_congress()


def _may_name_its_congress(document) -> bool:
    """Whether the pages of this code may belong to its congress for this visitor.

    A code the visitor may not know of (organisers only, unpublished, deleted, another
    congress's) answers as an unknown code does: the same page, under the congress the
    visitor would get anyway, so nothing on it tells which congress holds the code.
    """
    return (visibility_service.can_view(document, current_user)
            or visibility_service.needs_delegate_sign_in(document, current_user))


def congress_or_404():
    """The congress of this request; 404 while there is none (a fresh instance, or an
    unknown slug)."""
    congress = get_congress()
    if congress is None:
        abort(404)
    return congress


def choose(congress) -> None:
    """Remember which congress an all-congress account works on."""
    session[CHOSEN] = congress.id
    g.congress = congress


def init_app(app: Flask) -> None:
    """Add the /c/<slug>/ form of every congress page and teach url_for to fill it in."""
    for rule in list(app.url_map.iter_rules()):
        if rule.endpoint in SCOPED_ENDPOINTS:
            path = PREFIX + ("/" if rule.rule == "/" else rule.rule)
            app.add_url_rule(path, endpoint=rule.endpoint, methods=rule.methods)
    missing = set(SCOPED_ENDPOINTS) - {r.endpoint for r in app.url_map.iter_rules()}
    if missing:  # a renamed view would lose its /c/<slug>/ form without a word
        raise RuntimeError(f"SCOPED_ENDPOINTS names no such endpoints: {sorted(missing)}")

    @app.url_value_preprocessor
    def pull_slug(endpoint, values) -> None:
        if values and SLUG_ARG in values:
            g.congress_slug = values.pop(SLUG_ARG)

    @app.before_request
    def refuse_unknown_slug() -> None:
        if SLUG_ARG in g and get_congress() is None:
            abort(404)

    @app.url_defaults
    def add_slug(endpoint, values) -> None:
        if endpoint in SCOPED_ENDPOINTS and SLUG_ARG not in values and is_multi():
            congress = get_congress()
            if congress is not None:
                values[SLUG_ARG] = congress.slug
