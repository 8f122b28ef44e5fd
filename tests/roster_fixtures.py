"""Fixtures the roster test modules share (conftest registers them): English, three delegates."""

from __future__ import annotations

import pytest

from congress_app.services import roster_import

from .samples import make_csv


@pytest.fixture
def english(app):
    """Messages in English, as the organiser reading the interface in English sees them."""
    with app.test_request_context("/?lang=en"):
        yield


@pytest.fixture
def roster(congress):
    """Three delegates imported through the service."""
    roster_import.apply_roster(congress, make_csv())
    return congress
