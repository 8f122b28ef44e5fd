"""Delegate sign-in"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("delegate", __name__, url_prefix=" the personal card link and the number + PIN fallback.:")
