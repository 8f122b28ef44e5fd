"""Printable delegate cards and the attendance sheet (PDF), for organisers."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("cards", __name__, url_prefix="/organiser/print")
