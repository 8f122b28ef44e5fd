"""Checks that stop a misconfigured app: they must fire under `python -O` too, which drops
every assert, so they raise RuntimeError."""

from __future__ import annotations

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
