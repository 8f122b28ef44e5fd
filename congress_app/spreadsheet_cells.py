"""Text that goes into a spreadsheet (CSV or XLSX exports, the roster file): a cell starting
with one of FORMULA_STARTS is run as a formula when the file is opened (CSV injection), and
whoever typed it may be anyone — a delegate's comment, a failed sign-in's username."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: str) -> bool:
    return value.startswith(FORMULA_STARTS)


def safe_cell(value: str) -> str:
    """The text as a spreadsheet shows it as text: a formula-like start gets an apostrophe."""
    return "'" + value if looks_like_formula(value) else value
