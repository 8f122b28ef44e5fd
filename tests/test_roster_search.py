"""Roster search and the counts per kind, through the service, on the demo's 180 delegates."""

from __future__ import annotations

import pytest

from congress_app.config import ROOT
from congress_app.extensions import db
from congress_app.models import Delegate, DelegateKind
from congress_app.services import attendance as attendance_service
from congress_app.services import delegates as delegate_service
from congress_app.services import roster_import, roster_search

from .roster_checks import _delegate


@pytest.fixture
def demo_roster(congress, english):
    roster_import.apply_roster(congress, (ROOT / "seeds" / "delegates.csv").read_bytes())
    return congress


def _found(congress, query: str) -> list[Delegate]:
    return list(db.session.scalars(roster_search.search_query(congress, query)))


def test_searching_without_diacritics_finds_vietnamese_names(demo_roster):
    found = _found(demo_roster, "nguyen van")
    assert found
    assert found[0].full_name.startswith("Nguyễn Văn")
    with_phrase = [d for d in found if d.full_name.startswith("Nguyễn Văn")]
    assert found[:len(with_phrase)] == with_phrase  # whole-phrase matches first
    assert all("Nguyễn" in d.full_name or "Nguyễn" in d.unit for d in found)
    assert _found(demo_roster, "NGUYỄN VĂN") == found


def test_search_finds_by_unit_and_by_number(demo_roster):
    police = [d for d in _found(demo_roster, "") if d.unit == "Đảng bộ Công an phường"]
    assert len(police) >= 9
    assert _found(demo_roster, "cong an phuong")[:len(police)] == police
    by_number = _found(demo_roster, "12")
    assert by_number[0].number == 12
    assert all(d.number == 12 or " 12" in f" {d.search_name}" for d in by_number)
    assert _found(demo_roster, "so 1 khu")  # words in any order


@pytest.mark.parametrize("query", ["%", "_", "\\", "nguyen%", "zzz"])
def test_search_wildcards_are_plain_characters(demo_roster, query):
    assert _found(demo_roster, query) == []


def test_an_empty_search_lists_everyone_by_number(demo_roster):
    numbers = [d.number for d in _found(demo_roster, "  ")]
    assert numbers == list(range(1, 181))


def test_counts_per_kind(demo_roster):
    delegate_service.set_active(_delegate(demo_roster, 1), False)
    attendance_service.check_in(_delegate(demo_roster, 2))
    counts = {c.kind: (c.active, c.checked_in, c.inactive)
              for c in roster_search.kind_counts(demo_roster)}
    assert counts == {DelegateKind.OFFICIAL: (167, 1, 1), DelegateKind.ALTERNATE: (6, 0, 0),
                      DelegateKind.GUEST: (6, 0, 0)}
