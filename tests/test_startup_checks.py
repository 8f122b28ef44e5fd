"""Checks that stop a misconfigured app (they must fire under `python -O` too, which drops
every assert, so they raise RuntimeError), and where the app-wide hooks are registered."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from congress_app import create_app
from congress_app.web import offline, tenancy


def test_a_congress_page_that_is_not_routed_stops_the_start(app, monkeypatch):
    """A renamed view would otherwise lose its /c/<slug>/ address without a word."""
    monkeypatch.setattr(tenancy, "SCOPED_ENDPOINTS", (*tenancy.SCOPED_ENDPOINTS, "public.gone"))
    with pytest.raises(RuntimeError, match="public.gone"):
        create_app(app.config)


def test_a_worker_endpoint_that_is_not_routed_stops_the_worker(app, monkeypatch):
    """The service worker's table is built from the URL map: a name it lacks is a bug."""
    monkeypatch.setitem(offline.WORKER_ENDPOINTS, "page",
                        (*offline.WORKER_ENDPOINTS["page"], "public.gone"))
    with pytest.raises(RuntimeError, match="public.gone"):
        offline.worker_routes(app.url_map)


def test_app_wide_hooks_are_registered_in_one_place():
    """A blueprint that hooks every request hides the hook from whoever reads the app's
    start: they are registered in web/__init__.py (blueprint-local ones may stay)."""
    web = Path(offline.__file__).parent
    app_wide = re.compile(r"@bp\.(before_app_request|after_app_request|app_context_processor"
                          r"|app_errorhandler|app_template_\w+|before_app_first_request)")
    found = [f"{path.name}: {match[0]}" for path in sorted(web.glob("*.py"))
             for match in app_wide.finditer(path.read_text(encoding="utf-8"))]
    assert not found
