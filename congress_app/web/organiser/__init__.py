"""Organiser pages: congress details, agenda, documents. Every route needs an editor account.

One blueprint ("organiser"), its views in one module per concern: congress.py (the
dashboard and the congress's details), agenda.py (sessions and items), documents.py,
comments.py (the document page's comments panel).
"""

from __future__ import annotations

from flask import Blueprint

from ...labels import COMMENT_AUTHORS_LABELS, COMMENT_SCOPE_LABELS, VISIBILITY_LABELS

bp = Blueprint("organiser", __name__, url_prefix="/organiser")


@bp.context_processor
def organiser_context() -> dict:
    """Labels the organiser templates show next to stored values."""
    return {"visibility_labels": VISIBILITY_LABELS, "comment_scope_labels": COMMENT_SCOPE_LABELS,
            "comment_authors_labels": COMMENT_AUTHORS_LABELS}


# The views join bp as their modules are imported (Flask's pattern for a package).
from . import agenda, comments, congress, documents  # noqa: E402, F401
