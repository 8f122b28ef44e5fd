"""Search over document titles and text, for delegates and organisers alike."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from ..services import search as search_service
from .tenancy import get_congress

bp = Blueprint("search", __name__)


@bp.get("/search")
def search():
    """The search page; with ?q= the documents this visitor may see that match."""
    congress = get_congress()
    results = search_service.search(congress, request.args.get("q", ""), current_user)
    return render_template(
        "search/results.html",
        congress=congress,
        results=results,
        query_max=search_service.QUERY_MAX,
    )
