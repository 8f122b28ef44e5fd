"""Organiser pages for the delegate roster: CSV import, editing, search, card reissue.

The import has two steps: the uploaded file is checked and shown as a preview, and kept
under a random token in CACHE_DIR/imports; only the confirm button applies it, after
reading the kept file again. Nothing is written before that.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from ..extensions import db
from ..labels import EDUCATION_LABELS, SEX_LABELS, THEORY_LABELS
from ..models import Delegate
from ..services import delegate_profile, roster_file, roster_import, roster_search
from ..services import delegates as delegate_service
from ..services.errors import InputRefused
from .access import admin_required, organiser_required, own_or_404
from .editing import acting_user, confirmed_or_400, form_status, refused_on_form, submit
from .organiser_forms import ConfirmForm
from .request import int_arg
from .roster_forms import KIND_LABELS, DelegateForm, RosterConfirmForm, RosterUploadForm
from .tenancy import congress_or_404

bp = Blueprint("roster", __name__, url_prefix="/organiser/delegates")

PER_PAGE = 200


@bp.context_processor
def roster_context() -> dict:
    """Labels the roster templates show next to stored values."""
    return {
        "kind_labels": KIND_LABELS,
        "field_labels": delegate_service.FIELD_LABELS,
        # The labels of the stored values of the credentials details, by column.
        "detail_labels": {
            name: {value.value: label for value, label in labels.items()}
            for name, labels in (("sex", SEX_LABELS), ("education", EDUCATION_LABELS),
                                 ("theory_level", THEORY_LABELS))
        },
        "card_url": lambda delegate: url_for("cards.delegate_card_pdf", delegate_id=delegate.id),
    }


def _details(form: DelegateForm) -> dict:
    return {
        "number": form.number.data,
        "full_name": form.full_name.data,
        "unit": form.unit.data,
        "discussion_group": form.discussion_group.data,
        "group_secretary": form.group_secretary.data,
        "seat": form.seat.data,
        "kind": form.kind.data,
        **{name: getattr(form, name).data for name in delegate_profile.PROFILE_FIELDS},
    }


# The roster --------------------------------------------------------------------------


@bp.get("/")
@organiser_required
def index():
    """Every delegate, searchable by name, unit or number, with counts per kind."""
    congress = congress_or_404()
    query = request.args.get("q", "").strip()[:100]
    page = db.paginate(
        roster_search.search_query(congress, query),
        page=int_arg("page", 1, hi=10**6, clamp=True),  # an OFFSET the DB can take
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "organiser/delegates/index.html",
        congress=congress,
        query=query,
        page=page,
        counts=roster_search.kind_counts(congress),
    )


@bp.route("/new", methods=["GET", "POST"])
@organiser_required
def new():
    """Add one delegate by hand; the card can be printed at once."""
    congress = congress_or_404()
    form = DelegateForm()
    sent = submit(form, lambda: delegate_service.create_delegate(
        congress, user=acting_user(), **_details(form)))
    if sent.done:
        delegate = sent.value
        flash(_("%(name)s has been added as number %(number)d.",
                name=delegate.full_name, number=delegate.number), "success")
        return redirect(url_for(".delegate", delegate_id=delegate.id))
    return render_template(
        "organiser/delegates/delegate.html", congress=congress, delegate=None, form=form
    ), sent.status


@bp.route("/<int:delegate_id>", methods=["GET", "POST"])
@organiser_required
def delegate(delegate_id: int):
    """One delegate: the details form, check-in state, card and deactivation."""
    delegate = own_or_404(Delegate, delegate_id)
    form = DelegateForm(obj=delegate)
    sent = submit(form, lambda: delegate_service.update_delegate(
        delegate, user=acting_user(), **_details(form)))
    if sent.done:
        flash(_("The details of %(name)s have been saved.", name=delegate.full_name),
              "success")
        return redirect(url_for(".delegate", delegate_id=delegate.id))
    return render_template(
        "organiser/delegates/delegate.html",
        congress=delegate.congress, delegate=delegate, form=form,
    ), sent.status


def _set_active(delegate_id: int, active: bool):
    delegate = own_or_404(Delegate, delegate_id)
    confirmed_or_400()
    delegate_service.set_active(delegate, active, user=acting_user())
    if active:
        flash(_("%(name)s is active again: the card and PIN work.", name=delegate.full_name),
              "success")
    else:
        flash(_("%(name)s has been deactivated: the card and PIN no longer work, and the "
                "delegate is not counted.", name=delegate.full_name), "success")
    return redirect(url_for(".delegate", delegate_id=delegate.id))


@bp.post("/<int:delegate_id>/deactivate")
@organiser_required
def deactivate(delegate_id: int):
    """Stop a delegate's card and PIN; nothing is deleted."""
    return _set_active(delegate_id, False)


@bp.post("/<int:delegate_id>/reactivate")
@organiser_required
def reactivate(delegate_id: int):
    """Let a deactivated delegate's card and PIN work again."""
    return _set_active(delegate_id, True)


@bp.route("/<int:delegate_id>/reissue", methods=["GET", "POST"])
@organiser_required
def reissue(delegate_id: int):
    """Ask first (GET), then make a new card (POST): the old card stops working at once."""
    delegate = own_or_404(Delegate, delegate_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        delegate_service.reissue_credentials(delegate, user=acting_user())
        flash(_("A new card has been issued for %(name)s. The old card and its PIN no longer "
                "work: print the new card now.", name=delegate.full_name), "success")
        return redirect(url_for(".delegate", delegate_id=delegate.id, _anchor="card"))
    return render_template(
        "organiser/delegates/reissue.html", congress=delegate.congress, delegate=delegate,
        form=form,
    ), form_status()


@bp.route("/<int:delegate_id>/delete", methods=["GET", "POST"])
@admin_required
def delete(delegate_id: int):
    """Ask first (GET), then delete a delegate who was never checked in (POST, admins only)."""
    delegate = own_or_404(Delegate, delegate_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        name, number = delegate.full_name, delegate.number
        delegate_service.delete_delegate(delegate, user=acting_user())  # refused: its 409 page
        flash(_("Delegate number %(number)d, %(name)s, has been deleted.", number=number,
                name=name), "success")
        return redirect(url_for(".index"))
    if delegate.checkin is not None:
        raise InputRefused(delegate_service.checked_in_message(delegate), 409)
    return render_template(
        "organiser/confirm_delete.html", congress=delegate.congress,
        heading=_("Delete %(name)s?", name=delegate.full_name),
        consequences=[
            _("Number %(number)d is removed from the roster, and the card and PIN stop "
              "working for good.", number=delegate.number),
            _("The audit log keeps the number and name. Deactivating instead can be undone."),
        ],
        form=form, cancel_url=url_for(".delegate", delegate_id=delegate.id),
    ), form_status()


# The CSV import ----------------------------------------------------------------------


def _render_preview(congress, preview, filename: str, token: str | None, notice=None,
                    status: int | None = None):
    """The preview page; the confirm form only when the file may be applied."""
    confirm_form = None
    if preview.can_apply and token is not None:
        confirm_form = RosterConfirmForm(formdata=None, token=token, plan=preview.fingerprint)
    if status is None:
        status = 422 if preview.rejected else 200
    return render_template(
        "organiser/delegates/preview.html",
        congress=congress, preview=preview, filename=filename, confirm_form=confirm_form,
        notice=notice,
    ), status


@bp.route("/import", methods=["GET", "POST"])
@organiser_required
def import_roster():
    """Upload a roster file (POST) and see what importing it would do; nothing is saved."""
    congress = congress_or_404()
    form = RosterUploadForm()

    def read_and_preview() -> tuple[bytes, roster_import.RosterPreview]:
        data = form.file.data.stream.read(roster_file.MAX_FILE_BYTES + 1)
        return data, roster_import.preview_roster(congress, data)

    sent = submit(form, read_and_preview)
    if sent.done:
        data, preview = sent.value
        name = (form.file.data.filename or "")[:255]
        if not preview.can_apply:
            return _render_preview(congress, preview, name, None)
        # Post/redirect/get: Back from the roster, after confirming, comes to a page the
        # browser can simply reload, not to "Confirm form resubmission".
        token = roster_import.stash_upload(data, congress)
        return redirect(url_for(".import_preview", token=token, name=name), 303)
    return _import_page(congress, form, sent.status)


def _import_page(congress, form, status: int):
    return render_template(
        "organiser/delegates/import.html", congress=congress, form=form,
        max_rows=roster_file.MAX_ROWS,
    ), status


@bp.get("/import/<token>")
@organiser_required
def import_preview(token: str):
    """What importing the kept file would do, as a page of its own; once the file has been
    confirmed (or has expired) it says so and offers to upload again."""
    congress = congress_or_404()
    try:
        data = roster_import.stashed_upload(token, congress)
    except InputRefused as refused:
        upload_form = RosterUploadForm(formdata=None)
        return _import_page(congress, upload_form, refused_on_form(upload_form, refused))
    preview = roster_import.preview_roster(congress, data)
    return _render_preview(congress, preview, request.args.get("name", "")[:255],
                           token if preview.can_apply else None)


@bp.post("/import/confirm")
@organiser_required
def import_confirm():
    """Apply the previewed file in one transaction, then show the roster."""
    congress = congress_or_404()
    form = RosterConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    token = form.token.data
    upload_form = RosterUploadForm(formdata=None)
    try:
        data = roster_import.stashed_upload(token, congress)
    except InputRefused as refused:
        status = refused_on_form(upload_form, refused)
        return render_template(
            "organiser/delegates/import.html", congress=congress, form=upload_form,
            max_rows=roster_file.MAX_ROWS,
        ), status
    try:
        result = roster_import.apply_roster(congress, data, acting_user(), expected=form.plan.data)
    except InputRefused as refused:
        db.session.rollback()
        try:
            preview = roster_import.preview_roster(congress, data)
        except InputRefused:
            preview = None
        if preview is None or not preview.can_apply:
            roster_import.discard_upload(token)
        if preview is None:
            status = refused_on_form(upload_form, refused)
            return render_template(
                "organiser/delegates/import.html", congress=congress, form=upload_form,
                max_rows=roster_file.MAX_ROWS,
            ), status
        return _render_preview(congress, preview, "", token, notice=refused.message,
                               status=refused.status)
    roster_import.discard_upload(token)
    flash(_("The roster file has been imported: %(added)d added, %(changed)d changed, "
            "%(unchanged)d unchanged.", added=result.added, changed=result.changed,
            unchanged=result.unchanged), "success")
    return redirect(url_for(".index"))
