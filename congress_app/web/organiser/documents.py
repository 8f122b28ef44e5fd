"""The congress's documents, as organisers manage them: upload, details, new versions,
publication and deletion; the code and its printed QR codes never change."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ...extensions import db
from ...models import Document, DocumentVersion
from ...qr import is_local_base_url, qr_payload
from ...services import comments as comment_service
from ...services import documents as document_service
from ...services import intake
from ...services import submissions as submission_service
from ..access import organiser_required, own_or_404
from ..editing import (
    acting_user,
    confirmed_or_400,
    form_status,
    loaded_version,
    sent_again,
    submit,
)
from ..files import send_version
from ..organiser_forms import ConfirmForm, DocumentDetailsForm, DocumentUploadForm, ReplaceFileForm
from ..tenancy import congress_or_404
from . import bp
from .comment_window import window_form


def live_document_or_410(document_id: int) -> Document:
    """A document that may still be changed; a deleted one answers 410 Gone."""
    document = own_or_404(Document, document_id)
    if document.is_deleted:
        abort(410)
    return document


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
        comments=comment_service.states(congress),
    )


@bp.route("/documents/new", methods=["GET", "POST"])
@organiser_required
def document_new():
    """Upload a new document; it gets its code and QR code at once."""
    congress = congress_or_404()
    form = DocumentUploadForm()
    try:
        sent = submit(form, lambda: intake.create_document(
            congress,
            title=form.title.data,
            category=form.category.data,
            visibility=form.visibility.data,
            published=form.published.data,
            upload=intake.Upload(form.file.data.stream, form.file.data.filename),
            user=acting_user(),
        ), once="document")
    except submission_service.AlreadySubmitted as seen:
        return sent_again(seen, url_for(".document", document_id=seen.object_id))
    if sent.done:
        document = sent.value
        flash(
            _("“%(title)s” has been uploaded. Its code is %(code)s.",
              title=document.title, code=document.code),
            "success",
        )
        return redirect(url_for(".document", document_id=document.id))
    return render_template(
        "organiser/document_form.html", congress=congress, document=None, form=form
    ), sent.status


@bp.get("/documents/<int:document_id>")
@organiser_required
def document(document_id: int):
    """One document: its QR code, its state, its versions and where it is used."""
    return document_page(own_or_404(Document, document_id))


def document_page(document: Document, *, comment_form=None, status: int = 200):
    """The document's page; `comment_form` is the comments form sent back with its errors."""
    base_url = current_app.config["PUBLIC_BASE_URL"]
    return render_template(
        "organiser/document.html",
        congress=document.congress,
        document=document,
        qr_text=qr_payload(base_url, document.code),
        base_url_is_local=is_local_base_url(base_url),
        form=ConfirmForm(),
        comments=comment_service.state(document),
        comment_form=comment_form or window_form(document),
    ), status


@bp.route("/documents/<int:document_id>/edit", methods=["GET", "POST"])
@organiser_required
def document_edit(document_id: int):
    """Change title, category, visibility and publication; never the code."""
    document = live_document_or_410(document_id)
    form = DocumentDetailsForm(obj=document)
    sent = submit(form, lambda: document_service.update_document(
        document,
        title=form.title.data,
        category=form.category.data,
        visibility=form.visibility.data,
        published=form.published.data,
        user=acting_user(),
        expected_version=loaded_version(form),
    ))
    if sent.done:
        flash(_("The document has been saved."), "success")
        return redirect(url_for(".document", document_id=document.id))
    return render_template(
        "organiser/document_form.html", congress=document.congress, document=document, form=form
    ), sent.status


@bp.route("/documents/<int:document_id>/replace", methods=["GET", "POST"])
@organiser_required
def document_replace(document_id: int):
    """Upload a new version; the code and the printed QR codes stay the same."""
    document = live_document_or_410(document_id)
    form = ReplaceFileForm()
    sent = submit(form, lambda: intake.replace_file(
        document,
        intake.Upload(form.file.data.stream, form.file.data.filename),
        note=form.note.data or "",
        user=acting_user(),
    ))
    if sent.done:
        flash(
            _("Version %(n)d is now the one every QR code opens. The code %(code)s "
              "has not changed.", n=sent.value.number, code=document.code),
            "success",
        )
        return redirect(url_for(".document", document_id=document.id))
    return render_template(
        "organiser/replace.html", congress=document.congress, document=document, form=form
    ), sent.status


@bp.get("/documents/<int:document_id>/versions/<int:number>/file")
@organiser_required
def version_file(document_id: int, number: int):
    """Any version's file, older ones included: organisers only."""
    own_or_404(Document, document_id)
    version = db.first_or_404(
        select(DocumentVersion).where(
            DocumentVersion.document_id == document_id, DocumentVersion.number == number
        )
    )
    return send_version(version, as_attachment=request.args.get("download") == "1")


def _set_published(document_id: int, published: bool):
    """Publish or unpublish without touching anything else."""
    document = live_document_or_410(document_id)
    confirmed_or_400()
    document_service.update_document(
        document,
        title=document.title,
        category=document.category,
        visibility=document.visibility,
        published=published,
        user=acting_user(),
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
    document = live_document_or_410(document_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        document_service.delete_document(document, user=acting_user())
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
    ), form_status()
