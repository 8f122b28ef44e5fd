"""Errors a service raises when input is refused; views turn them into a 4xx page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l


class InputRefused(ValueError):
    """Input that breaks a rule. `message` is a lazy-translated text for the user."""

    def __init__(self, message, status: int = 400, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.status = status
        self.field = field


class EditConflict(InputRefused):
    """Someone else saved the same thing since this form was loaded: saving now would silently
    undo their change, so nothing is saved and the organiser is asked to reload."""

    def __init__(self) -> None:
        super().__init__(
            _l("Someone else changed this while you were editing it, so your changes have not "
               "been saved. Reload the page to see their changes, then make yours again."),
            409,
        )


def claim_edit(obj, expected_version: int | None) -> None:
    """Refuse a save based on an older edit_version than the row's, else count this save.

    `expected_version` is what the organiser's form was loaded with (None: no form, e.g. a
    publish button, which states its whole intent). The UPDATE then also checks the version
    SQLAlchemy read, which catches a save that lands between this check and the flush.
    """
    if expected_version is not None and expected_version != obj.edit_version:
        raise EditConflict()
    obj.edit_version = obj.edit_version + 1
