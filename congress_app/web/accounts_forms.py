"""Forms of the accounts pages. They parse the input; services.users holds the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

from ..labels import ROLE_LABELS
from ..models import Role
from ..services.users import PASSWORD_MAX
from .organiser_forms import ChoiceField

# The congress select's value for "every congress" (a congress is chosen by its id).
EVERY_CONGRESS = ""
_TOO_LONG = _l("This is too long (at most %(max)d characters).")


def congress_choices(actor, congresses) -> list[tuple[str, str]]:
    """What an admin may tie an account to: its own congress, or (serving every congress)
    any congress or every one."""
    if actor.congress_id is not None:
        return [(str(c.id), c.title) for c in congresses if c.id == actor.congress_id]
    return [(EVERY_CONGRESS, str(_l("Every congress on this site"))),
            *((str(c.id), c.title) for c in congresses)]


def _new_password_fields(label):
    password = PasswordField(label, validators=[
        InputRequired(_l("Enter the new password.")),
        Length(max=PASSWORD_MAX, message=_TOO_LONG)])
    confirm = PasswordField(_l("The same password again"), validators=[
        InputRequired(_l("Enter the new password a second time.")),
        EqualTo("password", message=_l("The two passwords are not the same."))])
    return password, confirm


class _RoleAndCongress(FlaskForm):
    role = ChoiceField(_l("Role"), default=Role.EDITOR.value)
    congress = ChoiceField(_l("Works for"))

    def __init__(self, congress_options, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [(role.value, label) for role, label in ROLE_LABELS.items()]
        self.congress.choices = congress_options


class AccountForm(_RoleAndCongress):
    """A new account, with the one-time password its owner replaces at first sign-in."""

    username = StringField(_l("Username"), validators=[
        InputRequired(_l("Enter a username.")), Length(max=80, message=_TOO_LONG)])
    password, confirm = _new_password_fields(_l("One-time password"))


class AccountEditForm(_RoleAndCongress):
    """An account's role and congress tie."""


class OneTimePasswordForm(FlaskForm):
    """A password an admin hands over; the account must replace it at its next sign-in."""

    password, confirm = _new_password_fields(_l("One-time password"))


class OwnPasswordForm(FlaskForm):
    """Any account changes its own password, knowing the current one."""

    current = PasswordField(_l("Current password"), validators=[
        InputRequired(_l("Enter your current password.")),
        Length(max=PASSWORD_MAX, message=_TOO_LONG)])
    password, confirm = _new_password_fields(_l("New password"))
