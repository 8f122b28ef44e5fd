"""The comment window's form as the organiser's document page first shows it; shared by
the document page (organiser/documents.py) and the comments views (organiser/comments.py),
which import it from here rather than from each other."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from ...models import Document, utcnow
from ...services import comments as comment_service
from ..organiser_forms import CommentWindowForm


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["CONGRESS_TIMEZONE"])


def aware(value: datetime | None) -> datetime | None:
    """A time the organiser typed, read in the congress's time zone."""
    return None if value is None else value.replace(tzinfo=_zone())


def window_form(document: Document) -> CommentWindowForm:
    """The form as the page first shows it: the window's times, else from now until the
    evening of the congress's last day (or a day from now, once that has passed)."""
    window = comment_service.window_of(document)
    form = CommentWindowForm()
    now = utcnow().astimezone(_zone()).replace(second=0, microsecond=0, tzinfo=None)
    if window is not None and window.closed_since(utcnow()) is None:
        form.opens_at.data = window.opens_at.astimezone(_zone()).replace(tzinfo=None)
        form.closes_at.data = window.closes_at.astimezone(_zone()).replace(tzinfo=None)
        form.scope.data = window.scope.value
        form.authors.data = window.authors.value
    else:
        last_evening = datetime.combine(document.congress.ends_on, datetime.min.time()) \
            + timedelta(hours=17)
        form.opens_at.data = now
        form.closes_at.data = last_evening if last_evening > now else now + timedelta(days=1)
    if window is not None:
        form.edit_version.data = window.edit_version
    return form
