"""Góp ý on a phone: a delegate comments on a paragraph (§ N) or on the whole draft, then
reads, edits or withdraws their own comments ("My comments") until the window closes.

Comments are never public: each page shows the signed-in delegate's own only. A visitor who
is not signed in is sent to the delegate sign-in, which comes back to the same form.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, TextAreaField

from ..labels import STANCE_LABELS
from ..models import Comment, CommentWindow, Delegate, Document
from ..numbers import whole_number
from ..services import closing as closing_service
from ..services import comment_groups, paragraphs
from ..services import comments as comment_service
from ..services import documents as document_service
from ..services import reader as reader_service
from ..services import visibility as visibility_service
from ..services.errors import InputRefused
from . import render_error
from .editing import refused_on_form
from .public import reader_url
from .tenancy import congress_or_404

bp = Blueprint("comments", __name__)

OWN, GROUP = "own", "group"

WINDOW_CLOSED_TITLE = _l("Comments are closed")

# The phone's outbox (static/js/outbox.js) marks the copies it sends again by itself: they are
# answered without messages, and the pages they fetch leave the delegate's messages in place,
# so a copy sent quietly never shows (or swallows) a message on the page the delegate sees.
OUTBOX_HEADER = "X-Congress-Outbox"


def sent_by_outbox() -> bool:
    return request.headers.get(OUTBOX_HEADER) == "1"


def outbox_context() -> dict:
    return {"quiet_request": sent_by_outbox()}


class CommentForm(FlaskForm):
    """A comment: the stance, the reason or text, a proposed wording; the client id makes
    the same form sent twice one comment. A group's secretary also says whose opinion it is
    (`kind`) and, for the group's, how many of its delegates share it."""

    kind = RadioField(_l("Whose opinion"), validate_choice=False, default=OWN)
    group_share = StringField(_l("How many of the group's delegates share it"))
    stance = RadioField(_l("Your stance"), validate_choice=False)
    text = TextAreaField(_l("What you think (required if you disagree: say why)"))
    proposed_wording = TextAreaField(_l("Proposed wording for this paragraph (optional)"))
    client_id = HiddenField()
    edit_version = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stance.choices = [(stance.value, label) for stance, label in STANCE_LABELS.items()]
        self.kind.choices = [(OWN, _l("My own comment")), (GROUP, _l("Group opinion"))]


def group_readers(congress, delegate: Delegate | None) -> str:
    """The delegate's group when its delegates read each other's comments, else ""."""
    if delegate is None or not congress.delegates_see_group_comments:
        return ""
    return delegate.discussion_group


def group_mode(window: CommentWindow | None, delegate: Delegate | None) -> str:
    """What the form offers a group's secretary: "both" (own comment or the group's
    opinion), "group" (the group's opinion only), or "" (no group choice: own comments)."""
    if window is None or not comment_groups.is_secretary(delegate):
        return ""
    if not window.authors.takes_groups:
        return ""
    return "both" if window.authors.takes_own else GROUP


def _group_context(congress, delegate: Delegate | None, window: CommentWindow | None,
                   comment: Comment | None = None) -> dict:
    """The form's group part: the mode, the group and its delegate count."""
    if comment is not None:  # editing: a group's opinion stays one, an own comment too
        mode = GROUP if comment.is_group_opinion else ""
        group = comment.discussion_group
    else:
        mode = group_mode(window, delegate)
        group = delegate.discussion_group if delegate is not None else ""
    size = comment_groups.group_size(congress, group) if mode else 0
    return {"group_mode": mode, "group": group, "group_size": size,
            "group_sees": group_readers(congress, delegate)}


def _delegate() -> Delegate | None:
    """The signed-in delegate, or None (anonymous, or an organiser-side account)."""
    user = current_user._get_current_object()
    return user if getattr(user, "is_delegate", False) and user.is_authenticated else None


def _to_sign_in():
    """Sign in with the card first, then come back to this very page."""
    target = request.full_path.removesuffix("?")
    return redirect(url_for("delegate.sign_in", next=target))


def _refused_page(refused: InputRefused):
    title = WINDOW_CLOSED_TITLE if refused.status == 423 else None
    return render_error(refused.status, refused.message, title)


def _document_for_comments(code: str) -> Document:
    """The document behind the code as the reader finds it: 404 unknown or not visible, 410
    deleted; visitors who are not signed in as a delegate are sent to sign in."""
    document = document_service.find_by_code(code)
    if document is None:
        abort(404)
    if document.is_deleted:
        abort(410)
    visible = visibility_service.can_view(document, current_user)
    if not visible and not visibility_service.needs_delegate_sign_in(document, current_user):
        abort(404)
    if _delegate() is None:
        if not current_user.is_authenticated:
            abort(_to_sign_in())
        raise InputRefused(_l("Comments are written by delegates, signed in with their "
                              "delegate card. Organisers read them on the document's page."),
                           403)
    if not visible:
        abort(404)
    return document


def back_to_paragraph(document: Document, paragraph: int | None) -> str:
    """The reader in text mode at the paragraph commented on (at the top for the whole)."""
    version = document.current_version
    anchor = paragraphs.paragraph(version, paragraph) if paragraph and version else None
    if anchor is None:
        return url_for("public.document", code=document.code, mode="text")
    first = reader_service.page_window(version.pages, anchor.page).first
    return f"{reader_url(document.code, first, mode='text')}#p-{anchor.number}"


@bp.route("/d/<code>/comment", methods=["GET", "POST"], defaults={"paragraph": None})
@bp.route("/d/<code>/comment/<int:paragraph>", methods=["GET", "POST"])
def write(code: str, paragraph: int | None):
    """Write a comment on § `paragraph` of the current version, or on the whole document."""
    document = _document_for_comments(code)
    congress = document.congress
    delegate = _delegate()
    version = document.current_version
    anchor = paragraphs.paragraph(version, paragraph) if paragraph and version else None
    form = CommentForm()
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)  # the CSRF token: the form is re-sent from a fresh page
        try:
            comment, new = comment_service.write_comment(
                congress, document, delegate, client_id=form.client_id.data,
                paragraph=paragraph, stance=form.stance.data, text=form.text.data,
                proposed_wording=form.proposed_wording.data,
                as_group=form.kind.data == GROUP, group_share=form.group_share.data)
        except InputRefused as refused:
            if refused.field is None:
                return _refused_page(refused)
            status = refused_on_form(form, refused)
        else:
            if sent_by_outbox():
                return "", 204  # the server has it (new, or kept once): the outbox drops it
            if new and group_readers(congress, delegate):
                flash(_("Your comment has been sent. You, the organisers and the delegates of "
                        "%(group)s can read it; you can change it under “My comments” until "
                        "comments close.", group=delegate.discussion_group), "success")
            elif new:
                flash(_("Your comment has been sent. Only you and the organisers can read it; "
                        "you can change it under “My comments” until comments close."),
                      "success")
            else:
                flash(_("This comment had already been sent, so it was kept once."), "info")
            return redirect(back_to_paragraph(document, comment.paragraph))
    else:
        try:
            _check_can_write(congress, document, delegate, paragraph, anchor)
        except InputRefused as refused:
            return _refused_page(refused)
        form.client_id.data = str(uuid.uuid4())
    state = comment_service.state(document, counted=False)
    groups = _group_context(congress, delegate, state.window)
    if groups["group_mode"] == GROUP:
        form.kind.data = GROUP
    return render_template(
        "comments/write.html", congress=congress, document=document, form=form,
        paragraph=anchor, state=state, back_url=back_to_paragraph(document, paragraph),
        text_max=comment_service.TEXT_MAX, wording_max=comment_service.WORDING_MAX,
        action=request.path, **groups,
    ), status


def _check_can_write(congress, document, delegate, paragraph, anchor) -> None:
    """What the service would refuse before anything is typed: say it now, not after."""
    comment_service.check_author(congress, delegate)
    window = comment_service.open_window_or_423(document)
    comment_groups.check_may_write(window, delegate)
    if paragraph is not None:
        comment_service.check_anchor(window, document, paragraph)


@bp.get("/delegate/comments")
def mine():
    """The delegate's own comments, newest first, with edit and withdraw while still open."""
    delegate = _delegate()
    if delegate is None:
        if not current_user.is_authenticated:
            return _to_sign_in()
        abort(403)
    congress = congress_or_404()
    own = comment_service.my_comments(congress, delegate)
    states = {c.document_id: comment_service.state(c.document, counted=False) for c in own}
    group = comment_groups.group_comments(congress, delegate)
    return render_template("comments/mine.html", congress=congress, comments=own,
                           group_sees=group_readers(congress, delegate),
                           states=states, stance_labels=STANCE_LABELS,
                           back_to_paragraph=back_to_paragraph, group_comments=group,
                           names_shown=closing_service.last_purge(congress) is None,
                           group_of=comment_groups.comment_label)


def _own_or_404(comment_id: int) -> Comment:
    """One of the signed-in delegate's own comments; anyone else's does not exist here."""
    delegate = _delegate()
    if delegate is None:
        if not current_user.is_authenticated:
            abort(_to_sign_in())
        abort(403)
    try:
        return comment_service.own_comment(congress_or_404(), delegate, comment_id)
    except InputRefused:
        abort(404)


@bp.route("/delegate/comments/<int:comment_id>/edit", methods=["GET", "POST"])
def edit(comment_id: int):
    """Change one's own comment (the paragraph stays) while the window is open."""
    comment = _own_or_404(comment_id)
    document = comment.document
    form = CommentForm(obj=comment)
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            comment_service.edit_comment(
                document.congress, _delegate(), comment, stance=form.stance.data,
                text=form.text.data, proposed_wording=form.proposed_wording.data,
                group_share=form.group_share.data,
                expected_version=whole_number(str(form.edit_version.data or "")))
        except InputRefused as refused:
            if refused.field is None:
                return _refused_page(refused)
            status = refused_on_form(form, refused)
        else:
            flash(_("Your comment has been changed."), "success")
            return redirect(url_for(".mine", _anchor=f"comment-{comment.id}"))
    else:
        try:
            comment_service.changeable(comment)
        except InputRefused as refused:
            return _refused_page(refused)
        form.stance.data = comment.stance.value
        form.edit_version.data = comment.edit_version
    return render_template(
        "comments/write.html", congress=document.congress, document=document, form=form,
        comment=comment, paragraph=_snapshot(comment),
        state=comment_service.state(document, counted=False),
        back_url=url_for(".mine"), text_max=comment_service.TEXT_MAX,
        wording_max=comment_service.WORDING_MAX, action=request.path,
        **_group_context(document.congress, _delegate(), None, comment),
    ), status


def _snapshot(comment: Comment) -> paragraphs.Paragraph | None:
    """The paragraph as the delegate read it when commenting."""
    if comment.paragraph is None:
        return None
    return paragraphs.Paragraph(comment.paragraph, 0, "paragraph", comment.paragraph_text,
                                comment.section)


@bp.route("/delegate/comments/<int:comment_id>/withdraw", methods=["GET", "POST"])
def withdraw(comment_id: int):
    """Ask first (GET: a stray tap withdraws nothing), then withdraw one's own comment (POST
    with the CSRF token) while the window is open."""
    comment = _own_or_404(comment_id)
    try:
        comment_service.changeable(comment)
        if request.method == "GET":
            return render_template("comments/withdraw.html", congress=comment.document.congress,
                                   comment=comment, stance_labels=STANCE_LABELS)
        if not FlaskForm().validate_on_submit():
            abort(400)
        comment_service.withdraw_comment(comment.document.congress, _delegate(), comment)
    except InputRefused as refused:
        return _refused_page(refused)
    flash(_("Your comment has been withdrawn: it is no longer counted."), "success")
    return redirect(url_for(".mine"))

