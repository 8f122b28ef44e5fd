"""Forms of the roster pages. They parse and type the input; the services hold the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, IntegerField, StringField
from wtforms.validators import Optional, Regexp

from ..labels import DELEGATE_KIND_LABELS as KIND_LABELS
from ..labels import EDUCATION_LABELS, SEX_LABELS, THEORY_LABELS
from ..models import DelegateKind
from .organiser_forms import ChoiceField, OwnParseMessage


class NumberField(OwnParseMessage, IntegerField):
    """A delegate number (STT), typed as digits."""

    parse_message = _l("Enter the number in digits, for example 12.")


class YearField(OwnParseMessage, IntegerField):
    """A year, typed as four digits (services.delegate_profile checks the range)."""

    parse_message = _l("Enter the year in digits, for example 1975.")


def _optional_choices(labels: dict) -> list[tuple[str, str]]:
    """An empty first choice ("no data") and then the stored values with their labels."""
    return [("", _l("(no data)"))] + [(value.value, label) for value, label in labels.items()]


class DelegateForm(FlaskForm):
    """One delegate, added or edited by hand (services.delegates checks the values)."""

    number = NumberField(_l("Number (STT)"), validators=[Optional()])
    full_name = StringField(_l("Full name"))
    unit = StringField(_l("Unit"))
    discussion_group = StringField(_l("Discussion group"))
    group_secretary = BooleanField(_l("Secretary of the discussion group"))
    seat = StringField(_l("Seat"))
    kind = ChoiceField(_l("Kind"), default=DelegateKind.OFFICIAL.value)
    # The credentials committee's report counts these; all optional.
    sex = ChoiceField(_l("Sex"), default="")
    birth_year = YearField(_l("Year of birth"), validators=[Optional()])
    ethnicity = StringField(_l("Ethnicity"))
    education = ChoiceField(_l("Education level"), default="")
    theory_level = ChoiceField(_l("Political-theory level"), default="")
    party_joined_year = YearField(_l("Year of joining the party"), validators=[Optional()])
    position = StringField(_l("Position"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [(kind.value, label) for kind, label in KIND_LABELS.items()]
        self.sex.choices = _optional_choices(SEX_LABELS)
        self.education.choices = _optional_choices(EDUCATION_LABELS)
        self.theory_level.choices = _optional_choices(THEORY_LABELS)
        for name in ("sex", "education", "theory_level"):
            # A stored enum (or None) shows as its value in the list.
            field = getattr(self, name)
            field.data = getattr(field.data, "value", field.data) or ""


class RosterUploadForm(FlaskForm):
    """The roster file to preview."""

    file = FileField(
        _l("Roster file (CSV)"), validators=[FileRequired(_l("Choose the CSV file to import."))]
    )


class RosterConfirmForm(FlaskForm):
    """Confirm a previewed import: which kept upload, and the plan the organiser saw."""

    token = HiddenField(validators=[Regexp(r"^c[0-9]{1,10}-[0-9a-f]{32}$")])
    plan = HiddenField(validators=[Regexp(r"^[0-9a-f]{64}$")])
