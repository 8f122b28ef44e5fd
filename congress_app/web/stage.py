"""What is on stage: the organisers' control, the live state for phones, the projector."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("stage", __name__)
