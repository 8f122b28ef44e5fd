"""Who a printed handout is for, and so which documents it may list.

A printout cannot check who holds it: the public edition lists only what anyone may open,
the delegates' edition adds delegates-only documents (delegates sign in to open them), and
the organisers' edition lists everything, marked. Each edition renders as a Viewer
(services/visibility.py) passed to the same services the web pages use, so print and screen
never disagree.
"""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l

from ..models import Congress
from ..services import visibility
from ..services.visibility import Viewer


class Edition(StrEnum):
    PUBLIC = "public"
    DELEGATES = "delegates"
    ORGANISERS = "organisers"


EDITION_LABELS = {
    Edition.PUBLIC: _l("Public: documents anyone may open"),
    Edition.DELEGATES: _l("Delegates: adds delegates-only documents"),
    Edition.ORGANISERS: _l("Organisers: every document, restricted ones marked"),
}


def parse_edition(raw: str | None, default: Edition = Edition.PUBLIC) -> Edition | None:
    """The edition named in a query string (the default when left out), or None if unknown."""
    value = (raw or "").strip().lower()
    if not value:
        return default
    try:
        return Edition(value)
    except ValueError:
        return None


def edition_viewer(edition: Edition, congress: Congress) -> Viewer:
    """The viewer who sees exactly what this edition may print."""
    if edition is Edition.ORGANISERS:
        return visibility.organiser_of(congress)
    if edition is Edition.DELEGATES:
        return visibility.delegate_of(congress)
    return visibility.PUBLIC
