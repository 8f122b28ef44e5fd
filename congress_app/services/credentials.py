"""The credentials committee's count (thẩm tra tư cách đại biểu): who was convened, who is
present, and the composition of those present, table by table.

"Present" is attendance.present_now(): the official delegates present now, the base every
percentage is taken of. A delegate whose roster cell is empty is counted as "no data" in
that table, never put in a row: a table with no data at all has no rows, only its count of
delegates without data, and the report then prints "chưa có dữ liệu" instead of numbers.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from ..extensions import db
from ..models import Congress, Delegate, DelegateKind, EducationLevel, Sex, TheoryLevel
from . import attendance as attendance_service
from .delegates import fold

MAJORITY_ETHNICITY = "kinh"
# (label key, lowest, highest) of the age bands, in whole years at the congress's first day.
AGE_BANDS = (("under_35", None, 34), ("35_50", 35, 50), ("51_60", 51, 60),
             ("over_60", 61, None))
# Years since joining the party, at the congress's first day.
SENIORITY_BANDS = (("under_10", None, 9), ("10_19", 10, 19), ("20_29", 20, 29),
                   ("30_plus", 30, None))


@dataclass(frozen=True)
class Row:
    """One line of a table: a key the templates label, and how many present delegates."""

    key: str
    count: int
    base: int

    @property
    def share(self) -> float | None:
        """The share of the delegates present; None when nobody is present."""
        return self.count / self.base if self.base else None


@dataclass(frozen=True)
class Table:
    """One composition table over the delegates present; `unknown` have no data in it."""

    key: str
    rows: list[Row]
    unknown: int
    base: int

    @property
    def known(self) -> int:
        return self.base - self.unknown

    @property
    def has_data(self) -> bool:
        """Whether any present delegate has this detail: else no row is shown."""
        return self.known > 0

    def row(self, key: str) -> Row:
        return next(r for r in self.rows if r.key == key)

    def headline(self, key: str) -> Row | None:
        """The row a single figure quotes (women, minorities): None unless every present
        delegate has the detail, since a partial count would read as the whole."""
        return self.row(key) if self.has_data and not self.unknown else None


@dataclass(frozen=True)
class KindCount:
    """Convened (on the roster, or the congress's figure for officials), present, absent."""

    kind: DelegateKind
    convened: int
    listed: int
    present: int

    @property
    def absent(self) -> int:
        return max(self.convened - self.present, 0)


@dataclass(frozen=True)
class Absentee:
    number: int
    full_name: str
    unit: str
    # The organisers' reason for the session (services/absences): "excused", "unexcused", "".
    reason: str = ""
    note: str = ""


@dataclass(frozen=True)
class CredentialsReport:
    """Everything the report and the projector page print."""

    on_date: date
    kinds: list[KindCount]
    absent: list[Absentee]
    tables: list[Table]

    @property
    def official(self) -> KindCount:
        return self.kinds[0]

    @property
    def present(self) -> int:
        return self.official.present

    @property
    def convened(self) -> int:
        return self.official.convened

    @property
    def present_share(self) -> float | None:
        return self.present / self.convened if self.convened else None

    @property
    def roster_differs(self) -> bool:
        return self.official.convened != self.official.listed

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)


def _table(key: str, values: list, keys: list[str]) -> Table:
    """Count the known values of the present delegates into rows, in the order of `keys`."""
    base = len(values)
    known = [v for v in values if v is not None]
    rows = [Row(k, sum(1 for v in known if v == k), base) for k in keys]
    return Table(key, rows, base - len(known), base)


def _band(years: int | None, bands) -> str | None:
    if years is None:
        return None
    for key, low, high in bands:
        if (low is None or years >= low) and (high is None or years <= high):
            return key
    return None


def _value(member: enum.StrEnum | None) -> str | None:
    return member.value if member is not None else None


def _ethnic_group(ethnicity: str) -> str | None:
    if not ethnicity.strip():
        return None
    return "kinh" if fold(ethnicity) == MAJORITY_ETHNICITY else "minority"


def composition(delegates: list[Delegate], on_date: date) -> list[Table]:
    """The committee's tables over these (present) delegates. Ages and seniority are in
    years between the year of birth (or joining) and the year of `on_date`: the roster
    holds years only, so that is what it supports."""
    year = on_date.year

    def since(start: int | None) -> int | None:
        return year - start if start is not None else None

    return [
        _table("sex", [_value(d.sex) for d in delegates], [s.value for s in Sex][::-1]),
        _table("ethnicity", [_ethnic_group(d.ethnicity or "") for d in delegates],
               ["minority", "kinh"]),
        _table("age", [_band(since(d.birth_year), AGE_BANDS) for d in delegates],
               [key for key, *_ in AGE_BANDS]),
        _table("education", [_value(d.education) for d in delegates],
               [e.value for e in EducationLevel]),
        _table("theory_level", [_value(d.theory_level) for d in delegates],
               [t.value for t in TheoryLevel]),
        _table("seniority", [_band(since(d.party_joined_year), SENIORITY_BANDS)
                             for d in delegates], [key for key, *_ in SENIORITY_BANDS]),
    ]


def credentials_report(congress: Congress) -> CredentialsReport:
    """The count as of now, against the delegates convened (attendance.convened())."""
    present_ids = attendance_service.present_now(congress)
    delegates = list(db.session.scalars(
        select(Delegate)
        .where(Delegate.congress_id == congress.id, Delegate.active.is_(True))
        .order_by(Delegate.number)))
    counted = attendance_service.attendance(congress)
    others_present = counted.others_present
    reasons = {a.number: a for a in counted.absent}
    kinds = []
    for kind in DelegateKind:
        listed = sum(1 for d in delegates if d.kind == kind)
        if kind == DelegateKind.OFFICIAL:
            present = len(present_ids)
            convened = attendance_service.convened(congress, listed)
        else:
            present, convened = others_present.get(kind, 0), listed
        kinds.append(KindCount(kind, convened, listed, present))
    officials = [d for d in delegates if d.kind == DelegateKind.OFFICIAL]
    present = [d for d in officials if d.id in present_ids]
    absent = [Absentee(d.number, d.full_name, d.unit,
                       *((reasons[d.number].reason, reasons[d.number].note)
                         if d.number in reasons else ("", "")))
              for d in officials if d.id not in present_ids]
    return CredentialsReport(
        on_date=congress.starts_on, kinds=kinds, absent=absent,
        tables=composition(present, congress.starts_on))


def composition_counts(report: CredentialsReport) -> dict:
    """The report's tables as plain numbers, which a purge keeps in its audit event once the
    details they were counted from are gone."""
    return {
        "present": report.present,
        "convened": report.convened,
        **{t.key: {**{r.key: r.count for r in t.rows}, "no_data": t.unknown}
           for t in report.tables},
    }
