"""Forms of the organiser pages. They parse and type the input; the rules live in services.

WTForms ships no Vietnamese messages, so every message a field can show is our own
English msgid, translated through Flask-Babel like the rest of the interface.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import AnyOf, Optional, ValidationError

from ..labels import (
    CATEGORY_LABELS,
    COMMENT_AUTHORS_LABELS,
    COMMENT_SCOPE_LABELS,
    VISIBILITY_LABELS,
)
from ..models import CommentAuthors
from ..services.submissions import new_token


class OwnParseMessage:
    """Mixin: replace the parse error of a typed field with our translatable message."""

    parse_message = None

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(self.parse_message) from None


class DayField(OwnParseMessage, DateField):
    """A date, from <input type=date>."""

    parse_message = _l("Enter a date such as 2025-07-22.")


class ClockField(OwnParseMessage, TimeField):
    """A time of day, HH:MM, from <input type=time>."""

    parse_message = _l("Enter a time such as 07:30.")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", ["%H:%M", "%H:%M:%S"])
        super().__init__(*args, **kwargs)


class CountField(OwnParseMessage, IntegerField):
    """A whole number."""

    parse_message = _l("Enter a whole number of 0 or more.")


class ChoiceField(OwnParseMessage, SelectField):
    """A select list that refuses values not offered, with our own message."""

    parse_message = _l("Choose one of the options in the list.")

    def pre_validate(self, form):
        if self.process_errors:
            return  # the value could not even be read; that message is already shown
        if self.data not in {value for value, _label in self.choices}:
            raise ValidationError(self.parse_message)


class CongressForm(FlaskForm):
    """The congress details (services.congress.update_congress checks them)."""

    title = StringField(_l("Full title of the congress"))
    organisation = StringField(_l("Organisation holding the congress"))
    parent_organisation = StringField(_l("Parent organisation"))
    ordinal = StringField(_l("Ordinal (for example “%(example)s”)", example="lần thứ I"))
    term = StringField(_l("Term (for example “2025–2030”)"))
    venue = StringField(_l("Venue"))
    starts_on = DayField(_l("First day"), validators=[Optional()])
    ends_on = DayField(_l("Last day"), validators=[Optional()])
    motto = StringField(_l("Motto"))
    delegates_expected = CountField(_l("Delegates expected"), validators=[Optional()])
    members_represented = CountField(_l("Party members represented"), validators=[Optional()])
    follow_browser_language = BooleanField(_l("Follow the language of each visitor's phone"))
    delegates_see_group_comments = BooleanField(
        _l("Delegates see their discussion group's comments"))


class OnceForm(FlaskForm):
    """A form that makes something: it carries a one-time token (services/submissions)."""

    once = HiddenField(default=new_token)


class SessionForm(OnceForm):
    """A session of the congress."""

    name = StringField(_l("Name of the session"))
    date = DayField(_l("Date"), validators=[Optional()])
    starts_at = ClockField(_l("Starts at"), validators=[Optional()])
    ends_at = ClockField(_l("Ends at"), validators=[Optional()])
    # The edit_version the form was loaded at: a save based on an older one is refused.
    edit_version = HiddenField()


class AgendaItemForm(OnceForm):
    """An agenda item; the session is chosen from the congress's sessions."""

    session = ChoiceField(_l("Session"), coerce=int)
    starts_at = ClockField(_l("Starts at"), validators=[Optional()])
    title = StringField(_l("Title"))
    presenter = StringField(_l("Presented by"))
    notes = TextAreaField(_l("Notes"))
    # The edit_version the form was loaded at: a save based on an older one is refused.
    edit_version = HiddenField()

    def __init__(self, sessions, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.session.choices = [(s.id, s.name) for s in sessions]


class LinkDocumentForm(FlaskForm):
    """Choose a document to link to an agenda item."""

    document = ChoiceField(_l("Document"), coerce=int)

    def __init__(self, documents, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.document.choices = [(d.id, f"{d.title} ({d.code})") for d in documents]


class MoveForm(FlaskForm):
    """The up and down buttons: two submit buttons named `direction`."""

    direction = HiddenField(
        validators=[AnyOf(["up", "down"], message=_l("Choose whether to move up or down."))]
    )


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF token: delete, publish, unpublish."""


def _category_choices():
    return [(category.value, label) for category, label in CATEGORY_LABELS.items()]


def _visibility_choices():
    return [(visibility.value, label) for visibility, label in VISIBILITY_LABELS.items()]


class DocumentDetailsForm(FlaskForm):
    """What a document is called and who may see it."""

    title = StringField(_l("Title"))
    category = ChoiceField(_l("Category"))
    visibility = ChoiceField(_l("Who may see it"))
    published = BooleanField(_l("Published (delegates can open it)"), default=True)
    # The edit_version the form was loaded at: a save based on an older one is refused.
    edit_version = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = _category_choices()
        self.visibility.choices = _visibility_choices()


class DocumentUploadForm(DocumentDetailsForm):
    """A new document: its details and its PDF file (with a one-time token, as OnceForm)."""

    once = HiddenField(default=new_token)

    file = FileField(
        _l("File"), validators=[FileRequired(_l("Choose the file to upload."))]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # No category is chosen for the organiser: a forgotten choice would file a report
        # under "Programme" without anyone noticing.
        self.category.choices = [("", _l("Choose…")), *self.category.choices]

    def validate_category(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Choose the category of the document."))


class ReplaceFileForm(FlaskForm):
    """A new version of a document's file."""

    file = FileField(
        _l("New file"), validators=[FileRequired(_l("Choose the file to upload."))]
    )
    # Its limit is the service's (intake.clean_note): a Length validator would render a
    # maxlength, where a browser silently cuts a pasted note.
    note = StringField(_l("What changed (optional)"))



class MomentField(OwnParseMessage, DateTimeLocalField):
    """A date and time of day, from <input type=datetime-local>, in the congress's time zone."""

    parse_message = _l("Enter a date and time such as 2025-07-22 14:00.")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"])
        super().__init__(*args, **kwargs)


class CommentWindowForm(FlaskForm):
    """When a document takes comments, and on what; the service checks the times."""

    opens_at = MomentField(_l("Comments open at"), validators=[Optional()])
    closes_at = MomentField(_l("Comments close at"), validators=[Optional()])
    scope = ChoiceField(_l("Delegates comment on"))
    authors = ChoiceField(_l("Who may comment"), default=CommentAuthors.OFFICIAL_DELEGATES.value)
    # The edit_version the window was loaded at: a save based on an older one is refused.
    edit_version = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope.choices = [(scope.value, label)
                              for scope, label in COMMENT_SCOPE_LABELS.items()]
        self.authors.choices = [(authors.value, label)
                                for authors, label in COMMENT_AUTHORS_LABELS.items()]
