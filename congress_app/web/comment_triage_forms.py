"""The triage page's forms: one set per comment, prefixed by its id (many on one page)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField

from ..labels import CLASSIFICATION_LABELS


def _classification_choices():
    return [("", _l("— choose —")),
            *((c.value, label) for c, label in CLASSIFICATION_LABELS.items())]


class ClassifyForm(FlaskForm):
    """How the secretariat answers a comment; the service checks the choice."""

    classification = SelectField(_l("Answer"), choices=_classification_choices,
                                 validate_choice=False)
    response = TextAreaField(_l("Response"))
    # The triage's edit_version the page was loaded at (0: never triaged).
    edit_version = HiddenField()


class DuplicateForm(FlaskForm):
    """Merge this comment into another one, named by its number."""

    original = StringField(_l("Duplicate of comment No."))
    edit_version = HiddenField()


class SeparateForm(FlaskForm):
    """Undo a merge."""

    edit_version = HiddenField()


def forms_for(comment_id: int, version: int) -> dict:
    """The three forms of one comment as the page first shows them."""
    prefix = f"c{comment_id}"
    forms = {"classify": ClassifyForm(prefix=prefix), "duplicate": DuplicateForm(prefix=prefix),
             "separate": SeparateForm(prefix=prefix)}
    for form in forms.values():
        form.edit_version.data = str(version)
    return forms
