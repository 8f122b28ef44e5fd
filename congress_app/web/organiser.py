"""Organiser pages: congress details, agenda, documents. Every route needs an editor account.

Views parse a form, call a service, flash and redirect. A service that refuses the input
(InputRefused) leaves the database as it was; the form comes back with the message on
the field and the service's 4xx status.
"""

from __future__ import annotations

from functools import partial, wraps

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from ..extensions import db
from ..labels import VISIBILITY_LABELS
from ..models import AgendaItem, CongressSession, Document, DocumentVersion
from ..qr import is_local_base_url, qr_payload
from ..services import agenda as agenda_service
from ..services import congress as congress_service
from ..services import documents as document_service
from ..services import intake
from ..services import submissions as submission_service
from ..services.errors import InputRefused
from . import render_error
from .files import send_version
from .organiser_forms import (
    AgendaItemForm,
    ConfirmForm,
    CongressForm,
    DocumentDetailsForm,
    DocumentUploadForm,
    LinkDocumentForm,
    MoveForm,
    ReplaceFileForm,
    SessionForm,
)
from .secure_context import hall_https
from .tenancy import congress_or_404

bp = Blueprint("organiser", __name__, url_prefix="/organiser")


def organiser_required(view):
    """Anonymous visitors go to sign-in; signed-in accounts without edit rights get 403."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.can_edit:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


@bp.context_processor
def organiser_context() -> dict:
    """Labels the organiser templates show next to stored values."""
    return {"visibility_labels": VISIBILITY_LABELS}


# Helpers -----------------------------------------------------------------------------


def _user():
    """The signed-in account itself (not the proxy), for services and the audit trail."""
    return current_user._get_current_object()


def _of_this_congress(congress_id: int) -> None:
    """Another congress's objects do not exist for this page, whatever the id says."""
    congress = congress_service.get_congress()
    if congress is None or congress_id != congress.id or not current_user.serves(congress_id):
        abort(404)


def _session_or_404(session_id: int) -> CongressSession:
    session = db.get_or_404(CongressSession, session_id)
    _of_this_congress(session.congress_id)
    return session


def _item_or_404(item_id: int) -> AgendaItem:
    item = db.get_or_404(AgendaItem, item_id)
    _of_this_congress(item.session.congress_id)
    return item


def _document_or_404(document_id: int) -> Document:
    document = db.get_or_404(Document, document_id)
    _of_this_congress(document.congress_id)
    return document


def _live_document_or_410(document_id: int) -> Document:
    """A document that may still be changed; a deleted one answers 410 Gone."""
    document = _document_or_404(document_id)
    if document.is_deleted:
        abort(410)
    return document


def congress_values(form: CongressForm) -> dict:
    """The congress form's fields, as the services take them."""
    return {name: form[name].data for name in (
        "title", "organisation", "parent_organisation", "ordinal", "term", "venue",
        "starts_on", "ends_on", "motto", "delegates_expected", "members_represented",
        "follow_browser_language")}


def refused_on_form(form, refused: InputRefused) -> int:
    """Put the service's message on its field (or above the form); return its status."""
    db.session.rollback()
    field = form[refused.field] if refused.field and refused.field in form else None
    if field is not None:
        field.errors = [*field.errors, refused.message]
    else:
        form.form_errors.append(refused.message)
    return refused.status


def _loaded_version(form) -> int | None:
    """The edit_version the form was loaded at; None (no check) if it sent none we can read."""
    value = str(form.edit_version.data or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None


def _sent_again(seen: submission_service.AlreadySubmitted, where: str):
    """The same "new …" form sent a second time (Back, then Save): show what the first one
    made instead of making it twice."""
    if seen.object_id is None:
        return render_error(409, _l("This form is being saved already. Wait a moment, then "
                                    "open the list to see what was made."))
    flash(_("This form had already been sent, so nothing was added twice: here is what it "
            "made."), "info")
    return redirect(where)


def _invalid_status() -> int:
    """A form that came back with errors is a 400; a page opened with GET is a 200."""
    return 400 if request.method == "POST" else 200


def _direction_or_400() -> str:
    """The direction of an up/down button, or 400 for anything else."""
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    return form.direction.data


def _confirmed_or_400() -> None:
    """Refuse a button press that is not a valid form (CSRF included)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)


# Dashboard and congress details ------------------------------------------------------


@bp.get("/")
@organiser_required
def dashboard():
    """Links to everything, how much is prepared, and warnings about QR addresses and HTTPS."""
    congress = congress_service.get_congress()
    base_url = current_app.config["PUBLIC_BASE_URL"]
    return render_template(
        "organiser/dashboard.html",
        congress=congress,
        counts=agenda_service.counts(congress) if congress else None,
        base_url=base_url,
        base_url_is_local=is_local_base_url(base_url),
        hall_https=hall_https(base_url),
    )


@bp.route("/congress", methods=["GET", "POST"])
@organiser_required
def congress_details():
    """Edit what the home page, the programme and every printout are headed with.

    On a fresh instance (no demo loaded) the same form sets the congress up.
    """
    congress = congress_service.get_congress()
    form = CongressForm(obj=congress)
    status = _invalid_status()
    if form.validate_on_submit():
        try:
            save = (
                congress_service.create_congress
                if congress is None
                else partial(congress_service.update_congress, congress)
            )
            save(**congress_values(form), user=_user())
        except InputRefused as refused:
            status = refused_on_form(form, refused)
        else:
            flash(_("The congress details have been saved."), "success")
            return redirect(url_for(".dashboard"))
    return render_template("organiser/congress.html", congress=congress, form=form), status


# Sessions ----------------------------------------------------------------------------


@bp.get("/agenda")
@organiser_required
def agenda():
    """Sessions and their items in programme order, with move, edit and delete buttons."""
    congress = congress_or_404()
    return render_template(
        "organiser/agenda.html",
        congress=congress,
        sessions=congress_service.programme(congress, _user()),
    )


@bp.route("/sessions/new", methods=["GET", "POST"])
@organiser_required
def session_new():
    """Add a session at the end of the programme."""
    congress = congress_or_404()
    form = SessionForm()
    if request.method == "GET" and congress.starts_on:
        form.date.data = congress.starts_on
    status = _invalid_status()
    if form.validate_on_submit():
        try:
            once = submission_service.claim(form.once.data, "session")
        except submission_service.AlreadySubmitted as seen:
            return _sent_again(seen, url_for(".agenda", _anchor=f"session-{seen.object_id}"))
        try:
            session = agenda_service.create_session(
                congress,
                name=form.name.data,
                date=form.date.data,
                starts_at=form.starts_at.data,
                ends_at=form.ends_at.data,
                user=_user(),
            )
        except InputRefused as refused:
            if once:
                submission_service.release(form.once.data)
            status = refused_on_form(form, refused)
        else:
            if once:
                submission_service.made(form.once.data, session)
            flash(_("The session “%(name)s” has been added.", name=session.name), "success")
            return redirect(url_for(".agenda", _anchor=f"session-{session.id}"))
    return render_template(
        "organiser/session_form.html", congress=congress, session=None, form=form
    ), status


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@organiser_required
def session_edit(session_id: int):
    """Rename or reschedule a session."""
    session = _session_or_404(session_id)
    form = SessionForm(obj=session)
    status = _invalid_status()
    if form.validate_on_submit():
        try:
            agenda_service.update_session(
                session,
                name=form.name.data,
                date=form.date.data,
                starts_at=form.starts_at.data,
                ends_at=form.ends_at.data,
                user=_user(),
                expected_version=_loaded_version(form),
            )
        except InputRefused as refused:
            status = refused_on_form(form, refused)
        else:
            flash(_("The session “%(name)s” has been saved.", name=session.name), "success")
            return redirect(url_for(".agenda", _anchor=f"session-{session.id}"))
    return render_template(
        "organiser/session_form.html", congress=session.congress, session=session, form=form
    ), status


@bp.post("/sessions/<int:session_id>/move")
@organiser_required
def session_move(session_id: int):
    """Move a session one place up or down."""
    session = _session_or_404(session_id)
    agenda_service.move_session(session, _direction_or_400(), user=_user())
    return redirect(url_for(".agenda", _anchor=f"session-{session.id}"))


@bp.route("/sessions/<int:session_id>/delete", methods=["GET", "POST"])
@organiser_required
def session_delete(session_id: int):
    """Ask first (GET), then delete the session and its items (POST)."""
    session = _session_or_404(session_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        name = session.name
        agenda_service.delete_session(session, user=_user())
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
    ), _invalid_status()


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
    session = _session_or_404(session_id)
    congress = session.congress
    form = AgendaItemForm(congress.sessions, session=session.id)
    status = _invalid_status()
    if form.validate_on_submit():
        try:
            once = submission_service.claim(form.once.data, "item")
        except submission_service.AlreadySubmitted as seen:
            return _sent_again(seen, url_for(".agenda", _anchor=f"item-{seen.object_id}"))
        try:
            item = agenda_service.create_item(
                db.session.get(CongressSession, form.session.data),
                title=form.title.data,
                starts_at=form.starts_at.data,
                presenter=form.presenter.data,
                notes=form.notes.data,
                user=_user(),
            )
        except InputRefused as refused:
            if once:
                submission_service.release(form.once.data)
            status = refused_on_form(form, refused)
        else:
            if once:
                submission_service.made(form.once.data, item)
            flash(_("The agenda item “%(title)s” has been added.", title=item.title), "success")
            return redirect(url_for(".agenda", _anchor=f"item-{item.id}"))
    return _render_item_page(congress, None, form, status=status)


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
    item = _item_or_404(item_id)
    congress = item.session.congress
    form = _item_form(item)
    status = _invalid_status()
    if form.validate_on_submit():
        try:
            agenda_service.update_item(
                item,
                session=db.session.get(CongressSession, form.session.data),
                title=form.title.data,
                starts_at=form.starts_at.data,
                presenter=form.presenter.data,
                notes=form.notes.data,
                user=_user(),
                expected_version=_loaded_version(form),
            )
        except InputRefused as refused:
            status = refused_on_form(form, refused)
        else:
            flash(_("The agenda item “%(title)s” has been saved.", title=item.title), "success")
            return redirect(url_for(".agenda", _anchor=f"item-{item.id}"))
    return _render_item_page(congress, item, form, _link_form(item), status)


@bp.post("/items/<int:item_id>/move")
@organiser_required
def item_move(item_id: int):
    """Move an item one place up or down in its session."""
    item = _item_or_404(item_id)
    agenda_service.move_item(item, _direction_or_400(), user=_user())
    return redirect(url_for(".agenda", _anchor=f"item-{item.id}"))


@bp.route("/items/<int:item_id>/delete", methods=["GET", "POST"])
@organiser_required
def item_delete(item_id: int):
    """Ask first (GET), then delete the item (POST); its documents stay."""
    item = _item_or_404(item_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        title = item.title
        agenda_service.delete_item(item, user=_user())
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
    ), _invalid_status()


@bp.post("/items/<int:item_id>/documents")
@organiser_required
def item_link(item_id: int):
    """Link one more document to an item, at the end of its list."""
    item = _item_or_404(item_id)
    congress = item.session.congress
    link_form = _link_form(item)
    status = 400
    if link_form.validate_on_submit():
        document = db.session.get(Document, link_form.document.data)
        try:
            agenda_service.link_document(item, document, user=_user())
        except InputRefused as refused:
            status = refused_on_form(link_form, refused)
        else:
            flash(_("“%(title)s” has been linked.", title=document.title), "success")
            return redirect(url_for(".item_edit", item_id=item.id, _anchor="documents"))
    form = _item_form(item, formdata=None)
    return _render_item_page(congress, item, form, link_form, status)


@bp.post("/items/<int:item_id>/documents/<int:document_id>/move")
@organiser_required
def item_document_move(item_id: int, document_id: int):
    """Move a linked document one place up or down."""
    item = _item_or_404(item_id)
    document = _document_or_404(document_id)
    agenda_service.move_document(item, document, _direction_or_400(), user=_user())
    return redirect(url_for(".item_edit", item_id=item.id, _anchor="documents"))


@bp.post("/items/<int:item_id>/documents/<int:document_id>/unlink")
@organiser_required
def item_document_unlink(item_id: int, document_id: int):
    """Remove a document from an item; the document itself stays."""
    item = _item_or_404(item_id)
    document = _document_or_404(document_id)
    _confirmed_or_400()
    agenda_service.unlink_document(item, document, user=_user())
    flash(_("“%(title)s” is no longer linked to this item.", title=document.title), "success")
    return redirect(url_for(".item_edit", item_id=item.id, _anchor="documents"))


# Documents ---------------------------------------------------------------------------


@bp.get("/documents")
@organiser_required
def documents():
    """Every document, unpublished and private ones included, then the deleted ones."""
    congress = congress_or_404()
    every = document_service.congress_documents(congress, include_deleted=True)
    return render_template(
        "organiser/documents.html",
        congress=congress,
        live=[d for d in every if not d.is_deleted],
        deleted=[d for d in every if d.is_deleted],
    )


@bp.route("/documents/new", methods=["GET", "POST"])
@organiser_required
def document_new():
    """Upload a new document; it gets its code and QR code at once."""
    congress = congress_or_404()
    form = DocumentUploadForm()
    status = _invalid_status()
    if form.validate_on_submit():
        try:
            once = submission_service.claim(form.once.data, "document")
        except submission_service.AlreadySubmitted as seen:
            return _sent_again(seen, url_for(".document", document_id=seen.object_id))
        try:
            document = intake.create_document(
                congress,
                title=form.title.data,
                category=form.category.data,
                visibility=form.visibility.data,
                published=form.published.data,
                upload=intake.Upload(form.file.data.stream, form.file.data.filename),
                user=_user(),
            )
        except InputRefused as refused:
            if once:
                submission_service.release(form.once.data)
            status = refused_on_form(form, refused)
        else:
            if once:
                submission_service.made(form.once.data, document)
            flash(
                _("“%(title)s” has been uploaded. Its code is %(code)s.",
                  title=document.title, code=document.code),
                "success",
            )
            return redirect(url_for(".document", document_id=document.id))
    return render_template(
        "organiser/document_form.html", congress=congress, document=None, form=form
    ), status


@bp.get("/documents/<int:document_id>")
@organiser_required
def document(document_id: int):
    """One document: its QR code, its state, its versions and where it is used."""
    document = _document_or_404(document_id)
    base_url = current_app.config["PUBLIC_BASE_URL"]
    return render_template(
        "organiser/document.html",
        congress=document.congress,
        document=document,
        qr_text=qr_payload(base_url, document.code),
        base_url_is_local=is_local_base_url(base_url),
        form=ConfirmForm(),
    )


@bp.route("/documents/<int:document_id>/edit", methods=["GET", "POST"])
@organiser_required
def document_edit(document_id: int):
    """Change title, category, visibility and publication; never the code."""
    document = _live_document_or_410(document_id)
    form = DocumentDetailsForm(obj=document)
    status = _invalid_status()
    if form.validate_on_submit():
        try:
            document_service.update_document(
                document,
                title=form.title.data,
                category=form.category.data,
                visibility=form.visibility.data,
                published=form.published.data,
                user=_user(),
                expected_version=_loaded_version(form),
            )
        except InputRefused as refused:
            status = refused_on_form(form, refused)
        else:
            flash(_("The document has been saved."), "success")
            return redirect(url_for(".document", document_id=document.id))
    return render_template(
        "organiser/document_form.html", congress=document.congress, document=document, form=form
    ), status


@bp.route("/documents/<int:document_id>/replace", methods=["GET", "POST"])
@organiser_required
def document_replace(document_id: int):
    """Upload a new version; the code and the printed QR codes stay the same."""
    document = _live_document_or_410(document_id)
    form = ReplaceFileForm()
    status = _invalid_status()
    if form.validate_on_submit():
        try:
            version = intake.replace_file(
                document,
                intake.Upload(form.file.data.stream, form.file.data.filename),
                note=form.note.data or "",
                user=_user(),
            )
        except InputRefused as refused:
            status = refused_on_form(form, refused)
        else:
            flash(
                _("Version %(n)d is now the one every QR code opens. The code %(code)s "
                  "has not changed.", n=version.number, code=document.code),
                "success",
            )
            return redirect(url_for(".document", document_id=document.id))
    return render_template(
        "organiser/replace.html", congress=document.congress, document=document, form=form
    ), status


@bp.get("/documents/<int:document_id>/versions/<int:number>/file")
@organiser_required
def version_file(document_id: int, number: int):
    """Any version's file, older ones included: organisers only."""
    _document_or_404(document_id)
    version = db.first_or_404(
        select(DocumentVersion).where(
            DocumentVersion.document_id == document_id, DocumentVersion.number == number
        )
    )
    return send_version(version, as_attachment=request.args.get("download") == "1")


def _set_published(document_id: int, published: bool):
    """Publish or unpublish without touching anything else."""
    document = _live_document_or_410(document_id)
    _confirmed_or_400()
    document_service.update_document(
        document,
        title=document.title,
        category=document.category,
        visibility=document.visibility,
        published=published,
        user=_user(),
    )
    if published:
        flash(_("“%(title)s” is published.", title=document.title), "success")
    else:
        flash(_("“%(title)s” is no longer published: only organisers can open it.",
                title=document.title), "success")
    return redirect(url_for(".document", document_id=document.id))


@bp.post("/documents/<int:document_id>/publish")
@organiser_required
def document_publish(document_id: int):
    """Let delegates open the document again."""
    return _set_published(document_id, True)


@bp.post("/documents/<int:document_id>/unpublish")
@organiser_required
def document_unpublish(document_id: int):
    """Hide the document from everyone but the organisers."""
    return _set_published(document_id, False)


@bp.route("/documents/<int:document_id>/delete", methods=["GET", "POST"])
@organiser_required
def document_delete(document_id: int):
    """Ask first (GET), then retire the document (POST): its code answers 410."""
    document = _live_document_or_410(document_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        document_service.delete_document(document, user=_user())
        flash(
            _("“%(title)s” has been deleted. Its code %(code)s now tells delegates that the "
              "document was withdrawn, and will never be given to another document.",
              title=document.title, code=document.code),
            "success",
        )
        return redirect(url_for(".documents"))
    return render_template(
        "organiser/confirm_delete.html",
        congress=document.congress,
        form=form,
        heading=_("Delete the document “%(title)s”?", title=document.title),
        consequences=[
            _("Scanning its QR code (%(code)s) will show that it has been withdrawn "
              "by the organisers.", code=document.code),
            _("It is removed from every agenda item it is linked to."),
            _("Its files stay stored; the code is never given to another document."),
        ],
        cancel_url=url_for(".document", document_id=document.id),
    ), _invalid_status()
