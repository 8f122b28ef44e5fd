"""Search over document titles and text, for delegates and organisers alike."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("search", __name__)
