"""The agenda, as organisers build it: sessions, their items, and the documents linked to each."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from ...extensions import db
from ...models import AgendaItem, CongressSession, Document
from ...services import agenda as agenda_service
from ...services import congress as congress_service
from ...services import submissions as submission_service
from ..access import organiser_required, own_or_404
from ..editing import (
    acting_user,
    confirmed_or_400,
    direction_or_400,
    form_status,
    loaded_version,
    sent_again,
    submit,
)
from ..organiser_forms import AgendaItemForm, ConfirmForm, LinkDocumentForm, SessionForm
from ..tenancy import congress_or_404
from . import bp

# Sessions ----------------------------------------------------------------------------


@bp.get("/agenda")
@organiser_required
def agenda():
    """Sessions and their items in programme order, with move, edit and delete buttons."""
    congress = congress_or_404()
    return render_template(
        "organiser/agenda.html",
        congress=congress,
        sessions=congress_service.programme(congress, acting_user()),
    )


@bp.route("/sessions/new", methods=["GET", "POST"])
@organiser_required
def session_new():
    """Add a session at the end of the programme."""
    congress = congress_or_404()
    form = SessionForm()
    if request.method == "GET" and congress.starts_on:
        form.date.data = congress.starts_on
    try:
        sent = submit(form, lambda: agenda_service.create_session(
            congress,
            name=form.name.data,
            date=form.date.data,
            starts_at=form.starts_at.data,
            ends_at=form.ends_at.data,
            user=acting_user(),
        ), once="session")
    except submission_service.AlreadySubmitted as seen:
        return sent_again(seen, url_for(".agenda", _anchor=f"session-{seen.object_id}"))
    if sent.done:
        session = sent.value
        flash(_("The session “%(name)s” has been added.", name=session.name), "success")
        return redirect(url_for(".agenda", _anchor=f"session-{session.id}"))
    return render_template(
        "organiser/session_form.html", congress=congress, session=None, form=form
    ), sent.status


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@organiser_required
def session_edit(session_id: int):
    """Rename or reschedule a session."""
    session = own_or_404(CongressSession, session_id)
    form = SessionForm(obj=session)
    sent = submit(form, lambda: agenda_service.update_session(
        session,
        name=form.name.data,
        date=form.date.data,
        starts_at=form.starts_at.data,
        ends_at=form.ends_at.data,
        user=acting_user(),
        expected_version=loaded_version(form),
    ))
    if sent.done:
        flash(_("The session “%(name)s” has been saved.", name=session.name), "success")
        return redirect(url_for(".agenda", _anchor=f"session-{session.id}"))
    return render_template(
        "organiser/session_form.html", congress=session.congress, session=session, form=form
    ), sent.status


@bp.post("/sessions/<int:session_id>/move")
@organiser_required
def session_move(session_id: int):
    """Move a session one place up or down."""
    session = own_or_404(CongressSession, session_id)
    agenda_service.move_session(session, direction_or_400(), user=acting_user())
    return redirect(url_for(".agenda", _anchor=f"session-{session.id}"))


@bp.route("/sessions/<int:session_id>/delete", methods=["GET", "POST"])
@organiser_required
def session_delete(session_id: int):
    """Ask first (GET), then delete the session and its items (POST)."""
    session = own_or_404(CongressSession, session_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        name = session.name
        agenda_service.delete_session(session, user=acting_user())
        flash(_("The session “%(name)s” has been deleted.", name=name), "success")
        return redirect(url_for(".agenda"))
    return render_template(
        "organiser/confirm_delete.html",
        congress=session.congress,
        form=form,
        heading=_("Delete the session “%(name)s”?", name=session.name),
        consequences=[
            ngettext("Its %(num)d agenda item is deleted with it.",
                     "Its %(num)d agenda items are deleted with it.", len(session.items)),
            _("The documents linked to them stay, with their codes and QR codes."),
        ],
        cancel_url=url_for(".agenda", _anchor=f"session-{session.id}"),
    ), form_status()


# Agenda items ------------------------------------------------------------------------


def _render_item_page(congress, item, form, link_form=None, status=200):
    """The item form, and for an existing item its linked documents."""
    return render_template(
        "organiser/item_form.html",
        congress=congress,
        item=item,
        form=form,
        link_form=link_form,
    ), status


@bp.route("/sessions/<int:session_id>/items/new", methods=["GET", "POST"])
@organiser_required
def item_new(session_id: int):
    """Add an agenda item at the end of a session."""
    session = own_or_404(CongressSession, session_id)
    congress = session.congress
    form = AgendaItemForm(congress.sessions, session=session.id)
    try:
        sent = submit(form, lambda: agenda_service.create_item(
            db.session.get(CongressSession, form.session.data),
            title=form.title.data,
            starts_at=form.starts_at.data,
            presenter=form.presenter.data,
            notes=form.notes.data,
            user=acting_user(),
        ), once="item")
    except submission_service.AlreadySubmitted as seen:
        return sent_again(seen, url_for(".agenda", _anchor=f"item-{seen.object_id}"))
    if sent.done:
        item = sent.value
        flash(_("The agenda item “%(title)s” has been added.", title=item.title), "success")
        return redirect(url_for(".agenda", _anchor=f"item-{item.id}"))
    return _render_item_page(congress, None, form, status=sent.status)


def _link_form(item: AgendaItem) -> LinkDocumentForm:
    return LinkDocumentForm(agenda_service.linkable_documents(item))


def _item_form(item: AgendaItem, **kwargs) -> AgendaItemForm:
    """The item form filled from the item (by id for the session, which obj= cannot do)."""
    return AgendaItemForm(
        item.session.congress.sessions,
        session=item.session_id,
        starts_at=item.starts_at,
        title=item.title,
        presenter=item.presenter,
        notes=item.notes,
        edit_version=item.edit_version,
        **kwargs,
    )


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
@organiser_required
def item_edit(item_id: int):
    """Edit an item; below the form, the documents linked to it."""
    item = own_or_404(AgendaItem, item_id)
    congress = item.session.congress
    form = _item_form(item)
    sent = submit(form, lambda: agenda_service.update_item(
        item,
        session=db.session.get(CongressSession, form.session.data),
        title=form.title.data,
        starts_at=form.starts_at.data,
        presenter=form.presenter.data,
        notes=form.notes.data,
        user=acting_user(),
        expected_version=loaded_version(form),
    ))
    if sent.done:
        flash(_("The agenda item “%(title)s” has been saved.", title=item.title), "success")
        return redirect(url_for(".agenda", _anchor=f"item-{item.id}"))
    return _render_item_page(congress, item, form, _link_form(item), sent.status)


@bp.post("/items/<int:item_id>/move")
@organiser_required
def item_move(item_id: int):
    """Move an item one place up or down in its session."""
    item = own_or_404(AgendaItem, item_id)
    agenda_service.move_item(item, direction_or_400(), user=acting_user())
    return redirect(url_for(".agenda", _anchor=f"item-{item.id}"))


@bp.route("/items/<int:item_id>/delete", methods=["GET", "POST"])
@organiser_required
def item_delete(item_id: int):
    """Ask first (GET), then delete the item (POST); its documents stay."""
    item = own_or_404(AgendaItem, item_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        title = item.title
        agenda_service.delete_item(item, user=acting_user())
        flash(_("The agenda item “%(title)s” has been deleted.", title=title), "success")
        return redirect(url_for(".agenda"))
    return render_template(
        "organiser/confirm_delete.html",
        congress=item.session.congress,
        form=form,
        heading=_("Delete the agenda item “%(title)s”?", title=item.title),
        consequences=[
            _("The documents linked to it stay, with their codes and QR codes."),
        ],
        cancel_url=url_for(".item_edit", item_id=item.id),
    ), form_status()


@bp.post("/items/<int:item_id>/documents")
@organiser_required
def item_link(item_id: int):
    """Link one more document to an item, at the end of its list."""
    item = own_or_404(AgendaItem, item_id)
    congress = item.session.congress
    link_form = _link_form(item)
    sent = submit(link_form, lambda: agenda_service.link_document(
        item, db.session.get(Document, link_form.document.data), user=acting_user()))
    if sent.done:
        flash(_("“%(title)s” has been linked.", title=sent.value.document.title), "success")
        return redirect(url_for(".item_edit", item_id=item.id, _anchor="documents"))
    form = _item_form(item, formdata=None)
    return _render_item_page(congress, item, form, link_form, sent.status)


@bp.post("/items/<int:item_id>/documents/<int:document_id>/move")
@organiser_required
def item_document_move(item_id: int, document_id: int):
    """Move a linked document one place up or down."""
    item = own_or_404(AgendaItem, item_id)
    document = own_or_404(Document, document_id)
    agenda_service.move_document(item, document, direction_or_400(), user=acting_user())
    return redirect(url_for(".item_edit", item_id=item.id, _anchor="documents"))


@bp.post("/items/<int:item_id>/documents/<int:document_id>/unlink")
@organiser_required
def item_document_unlink(item_id: int, document_id: int):
    """Remove a document from an item; the document itself stays."""
    item = own_or_404(AgendaItem, item_id)
    document = own_or_404(Document, document_id)
    confirmed_or_400()
    agenda_service.unlink_document(item, document, user=acting_user())
    flash(_("“%(title)s” is no longer linked to this item.", title=document.title), "success")
    return redirect(url_for(".item_edit", item_id=item.id, _anchor="documents"))
