"""Who a printed handout is for, and so which documents it may list.

A printout cannot check who holds it: the public edition lists only what anyone may open,
the delegates' edition adds delegates-only documents (delegates sign in to open them), and
the organisers' edition lists everything, marked. Each edition renders as a stand-in viewer
passed to the same services the web pages use, so print and screen never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from flask_login import AnonymousUserMixin

from ..models import Congress


class Edition(StrEnum):
    PUBLIC = "public"
    DELEGATES = "delegates"
    ORGANISERS = "organisers"


EDITION_LABELS = {
    Edition.PUBLIC: _l("Public: documents anyone may open"),
    Edition.DELEGATES: _l("Delegates: adds delegates-only documents"),
    Edition.ORGANISERS: _l("Organisers: every document, restricted ones marked"),
}


@dataclass(frozen=True)
class _DelegateReader:
    """An active, signed-in delegate of this congress, as far as can_view() asks."""

    congress_id: int
    is_authenticated: bool = True
    is_active: bool = True
    is_anonymous: bool = False
    is_delegate: bool = True
    can_edit: bool = False


@dataclass(frozen=True)
class _OrganiserReader:
    """An organiser, as far as can_view() asks: sees every document."""

    congress_id: int
    is_authenticated: bool = True
    is_active: bool = True
    is_anonymous: bool = False
    is_delegate: bool = False
    can_edit: bool = True


def parse_edition(raw: str | None, default: Edition = Edition.PUBLIC) -> Edition | None:
    """The edition named in a query string (the default when left out), or None if unknown."""
    value = (raw or "").strip().lower()
    if not value:
        return default
    try:
        return Edition(value)
    except ValueError:
        return None


def edition_viewer(edition: Edition, congress: Congress):
    """A stand-in visitor who sees exactly what this edition may print."""
    if edition is Edition.ORGANISERS:
        return _OrganiserReader(congress.id)
    if edition is Edition.DELEGATES:
        return _DelegateReader(congress.id)
    return AnonymousUserMixin()
