"""Organiser pages for the delegate roster: CSV import, editing, search, card reissue."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("roster", __name__, url_prefix="/organiser/delegates")
