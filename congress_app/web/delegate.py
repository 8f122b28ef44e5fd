"""Delegate sign-in: the personal card link, and the number + PIN fallback."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("delegate", __name__)
