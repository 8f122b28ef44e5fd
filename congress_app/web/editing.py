"""How an organiser-side view handles its forms, the same on every page.

Views send a form through `submit` (validate, call a service), then flash and redirect.
A service that refuses the input (InputRefused) leaves the database as it was; the form
comes back with the message on the field and the service's 4xx status.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import abort, flash, redirect, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..extensions import db
from ..numbers import whole_number
from ..services import submissions as submission_service
from ..services.errors import InputRefused
from . import render_error
from .organiser_forms import ConfirmForm, MoveForm

T = TypeVar("T")


def acting_user():
    """The signed-in account itself (not the proxy), for services and the audit trail."""
    return current_user._get_current_object()


def refused_on_form(form, refused: InputRefused) -> int:
    """Put the service's message on its field (or above the form); return its status."""
    db.session.rollback()
    field = form[refused.field] if refused.field and refused.field in form else None
    if field is not None:
        field.errors = [*field.errors, refused.message]
    else:
        form.form_errors.append(refused.message)
    return refused.status


def loaded_version(form) -> int | None:
    """The edit_version the form was loaded at; None (no check) if it sent none we can read."""
    return whole_number(str(form.edit_version.data or ""))


def sent_again(seen: submission_service.AlreadySubmitted, where: str):
    """The same "new …" form sent a second time (Back, then Save): show what the first one
    made instead of making it twice."""
    if seen.object_id is None:
        return render_error(409, _l("This form is being saved already. Wait a moment, then "
                                    "open the list to see what was made."))
    flash(_("This form had already been sent, so nothing was added twice: here is what it "
            "made."), "info")
    return redirect(where)


def form_status() -> int:
    """A form that came back with errors is a 400; a page opened with GET is a 200."""
    return 400 if request.method == "POST" else 200


@dataclass(frozen=True)
class Sent(Generic[T]):
    """What became of a sent form: `done`, with what the service returned (`value`), or not,
    with the status the page answers (200 on GET, 400 invalid, the refusal's 4xx)."""

    done: bool
    status: int
    value: T | None = None


def submit(form, save: Callable[[], T], *, once: str | None = None) -> Sent[T]:
    """Validate the form, call `save`, and turn its InputRefused into the form's message and
    status: the one way every organiser form is sent, so a view says only what to save.

    `once` names what a "new …" form makes: its token is claimed before saving (sent before:
    submissions.AlreadySubmitted goes up to the view), released when refused, and tied to
    what was made.
    """
    if not form.validate_on_submit():
        return Sent(False, form_status())
    claimed = once is not None and submission_service.claim(form.once.data, once)
    try:
        value = save()
    except InputRefused as refused:
        if claimed:
            submission_service.release(form.once.data)
        return Sent(False, refused_on_form(form, refused))
    if claimed:
        submission_service.made(form.once.data, value)
    return Sent(True, 200, value)


def direction_or_400() -> str:
    """The direction of an up/down button, or 400 for anything else."""
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    return form.direction.data


def confirmed_or_400() -> None:
    """Refuse a button press that is not a valid form (CSRF included)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
