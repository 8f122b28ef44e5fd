"""Fixtures several roster test modules share (conftest registers them): English."""

from __future__ import annotations

import pytest


@pytest.fixture
def english(app):
    """Messages in English, as the organiser reading the interface in English sees them."""
    with app.test_request_context("/?lang=en"):
        yield

