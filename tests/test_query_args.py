"""int_arg, the one reader of numbers in query strings: junk never raises, each view says
whether a number out of range is ignored or taken to the nearest bound."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from congress_app.web.request import int_arg


@pytest.mark.parametrize(("raw", "expected"), [
    (None, 7), ("", 7), (" 12 ", 12), ("012", 12), ("abc", 7), ("-3", 7), ("+3", 7),
    ("1_000", 7), ("²", 7), ("٣", 7), ("1.5", 7), ("0", 7), ("100", 100), ("101", 7),
    ("9" * 40, 7), ("9" * 5000, 7), ("0" * 30 + "5", 5),
])
def test_a_number_out_of_range_or_junk_is_the_default(app, raw, expected):
    query = "" if raw is None else f"?n={quote(raw)}"
    with app.test_request_context(f"/{query}"):
        assert int_arg("n", 7, hi=100) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("abc", 1), ("0", 1), ("50", 50), ("101", 100), ("9" * 5000, 100)])
def test_clamp_takes_a_number_to_the_nearest_bound(app, raw, expected):
    with app.test_request_context(f"/?page={raw}"):
        assert int_arg("page", 1, hi=100, clamp=True) == expected
