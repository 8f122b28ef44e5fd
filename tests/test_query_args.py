"""int_arg, the one reader of numbers in query strings: junk never raises, each view says
whether a number out of range is ignored or taken to the nearest bound."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from congress_app.numbers import INTEGER_MAX, whole_number
from congress_app.web.auth import load_user
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


@pytest.mark.parametrize(("raw", "hi", "clamp", "expected"), [
    ("7", 99, False, 7), (" 0042 ", 99, False, 42), ("0", 99, False, 0), ("100", 99, False, None),
    ("100", 99, True, 99), ("9" * 5000, 99, True, 99), ("²", 99, False, None),
    ("٣", 99, False, None), ("-1", 99, False, None), ("+1", 99, False, None),
    ("1_0", 99, False, None), ("", 99, False, None), (None, 99, False, None),
    ("999999999", INTEGER_MAX, False, 999_999_999), ("1000000000", INTEGER_MAX, False, None),
])
def test_whole_number_is_the_one_reading_of_typed_numbers(raw, hi, clamp, expected):
    assert whole_number(raw, hi, clamp=clamp) == expected


@pytest.mark.parametrize("version", ["²", "٣", "1" * 12, "-1"])
def test_a_session_id_with_odd_digits_signs_nobody_in(app, organiser, version):
    with app.test_request_context():
        assert load_user(f"u:{organiser.id}:{organiser.credential_stamp}:{version}") is None
        assert load_user(f"d:1:{version}:1") is None
