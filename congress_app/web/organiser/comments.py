"""Góp ý on the organiser's document page: open a document for comments (when, and on
what), close them by hand, and see how many have been received."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ...i18n import format_moment
from ...models import Document, utcnow
from ...services import comments as comment_service
from ...services.errors import InputRefused
from ..access import organiser_required
from ..editing import acting_user, confirmed_or_400, loaded_version, refused_on_form
from ..organiser_forms import CommentWindowForm
from . import bp
from .documents import document_page, live_document_or_410


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["CONGRESS_TIMEZONE"])


def _aware(value: datetime | None) -> datetime | None:
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


@bp.post("/documents/<int:document_id>/comments/open")
@organiser_required
def comments_open(document_id: int):
    """Open (reopen, or reschedule) the document for delegates' comments."""
    document = live_document_or_410(document_id)
    form = CommentWindowForm()
    status = 400
    if form.validate_on_submit():
        try:
            window = comment_service.open_window(
                document.congress, document, opens_at=_aware(form.opens_at.data),
                closes_at=_aware(form.closes_at.data), scope=form.scope.data,
                authors=form.authors.data, user=acting_user(),
                expected_version=loaded_version(form))
        except InputRefused as refused:
            status = refused_on_form(form, refused)
        else:
            flash(_("Comments on “%(title)s” are open from %(opens)s until %(closes)s.",
                    title=document.title, opens=format_moment(window.opens_at),
                    closes=format_moment(window.closes_at)), "success")
            return redirect(url_for(".document", document_id=document.id, _anchor="comments"))
    return document_page(document, comment_form=form, status=status)


@bp.post("/documents/<int:document_id>/comments/close")
@organiser_required
def comments_close(document_id: int):
    """Close comments now, before their closing time."""
    document = live_document_or_410(document_id)
    confirmed_or_400()
    window = comment_service.window_of(document)
    if window is None:
        raise InputRefused(_l("This document is not open for comments."), 409)
    comment_service.close_window(document.congress, window, user=acting_user())
    flash(_("Comments on “%(title)s” are closed. The comments received are kept.",
            title=document.title), "success")
    return redirect(url_for(".document", document_id=document.id, _anchor="comments"))
