"""Organiser pages for the delegate roster"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("roster", __name__, url_prefix=" CSV import, editing, search.:/organiser/delegates")
