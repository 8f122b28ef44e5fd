"""Errors a service raises when input is refused; views turn them into a 4xx page."""

from __future__ import annotations


class InputRefused(ValueError):
    """Input that breaks a rule. `message` is a lazy-translated text for the user."""

    def __init__(self, message, status: int = 400, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.status = status
        self.field = field
