"""Whole numbers that people type or pages send back, read one way everywhere.

int() is too generous for them: it takes "²" (str.isdigit() says yes, int() then raises),
"٣", "1_000", a sign and spaces, and a number past the database's INTEGER range answered 500
in queries; each was a fuzz finding. Query arguments (web/request.int_arg), the version a
form was loaded at, the item a stage page showed, a delegate number: all come through here.
"""

from __future__ import annotations

# The database's INTEGER holds 2**31 - 1: nine digits always fit.
INTEGER_MAX = 999_999_999


def whole_number(text: str | None, hi: int = INTEGER_MAX, *, clamp: bool = False) -> int | None:
    """`text` (spaces around it aside, leading zeros allowed) as a number from 0 to hi; None
    for anything but ASCII digits, and for more than hi unless `clamp` makes it hi."""
    raw = (text or "").strip()
    if not (raw.isascii() and raw.isdigit()):
        return None
    digits = raw.lstrip("0") or "0"
    # int() of 5,000 digits raises; one digit more than hi has is already too many.
    value = int(digits) if len(digits) <= len(str(hi)) else hi + 1
    if value <= hi:
        return value
    return hi if clamp else None
