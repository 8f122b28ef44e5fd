"""Forms of the roster pages. They parse and type the input; the services hold the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, IntegerField, StringField
from wtforms.validators import Optional, Regexp

from ..labels import DELEGATE_KIND_LABELS as KIND_LABELS
from ..models import DelegateKind
from .organiser_forms import ChoiceField, OwnParseMessage


class NumberField(OwnParseMessage, IntegerField):
    """A delegate number (STT), typed as digits."""

    parse_message = _l("Enter the number in digits, for example 12.")


class DelegateForm(FlaskForm):
    """One delegate, added or edited by hand (services.delegates checks the values)."""

    number = NumberField(_l("Number (STT)"), validators=[Optional()])
    full_name = StringField(_l("Full name"))
    unit = StringField(_l("Unit"))
    discussion_group = StringField(_l("Discussion group"))
    group_secretary = BooleanField(_l("Secretary of the discussion group"))
    seat = StringField(_l("Seat"))
    kind = ChoiceField(_l("Kind"), default=DelegateKind.OFFICIAL.value)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [(kind.value, label) for kind, label in KIND_LABELS.items()]


class RosterUploadForm(FlaskForm):
    """The roster file to preview."""

    file = FileField(
        _l("Roster file (CSV)"), validators=[FileRequired(_l("Choose the CSV file to import."))]
    )


class RosterConfirmForm(FlaskForm):
    """Confirm a previewed import: which kept upload, and the plan the organiser saw."""

    token = HiddenField(validators=[Regexp(r"^c[0-9]{1,10}-[0-9a-f]{32}$")])
    plan = HiddenField(validators=[Regexp(r"^[0-9a-f]{64}$")])
