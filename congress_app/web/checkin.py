"""Check-in at the door"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("checkin", __name__, url_prefix=" scanning cards, and the attendance count.:/checkin")
