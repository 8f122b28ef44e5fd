"""Góp ý on the organiser's document page: open a document for comments (when, and on
what), close them by hand, and see how many have been received."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ...i18n import format_moment
from ...services import comments as comment_service
from ...services.errors import InputRefused
from ..access import organiser_required
from ..editing import acting_user, confirmed_or_400, loaded_version, refused_on_form
from ..organiser_forms import CommentWindowForm
from . import bp
from .comment_window import aware
from .documents import document_page, live_document_or_410


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
                document.congress, document, opens_at=aware(form.opens_at.data),
                closes_at=aware(form.closes_at.data), scope=form.scope.data,
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
