"""Check-in at the door (scanning delegate cards) and the attendance count."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("checkin", __name__, url_prefix="/checkin")
