"""Check-in at the door and the attendance count.

A scan ends in one of three outcomes: checked in now, already checked in earlier, or not
valid (unknown, revoked or deactivated card, another congress's card). A typed number is
first only looked up (who it is, to confirm: a mistyped digit must not check in the wrong
person); the confirmed number then checks in like a scan. A check-in made by mistake can be
undone on the day it was made, and the undo is audited. Attendance counts official
delegates only; alternates and guests are counted on their own. Every count is a GROUP BY
in the database, so the attendance screen can poll it cheaply.
"""

from __future__ import annotations

import enum
import hashlib
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import CheckIn, Congress, Delegate, DelegateKind, User
from ..models.base import utcnow
from ..numbers import whole_number
from . import audit
from . import delegates as delegate_service
from .errors import InputRefused

# Card tokens are unpadded base32 of TOKEN_BYTES bytes: 20 bytes → 32 characters.
TOKEN_LENGTH = -(-delegate_service.TOKEN_BYTES * 8 // 5)
_TOKEN = re.compile(rf"[A-Za-z2-7]{{{TOKEN_LENGTH}}}")
NUMBER_MAX = 999_999


class ScanStatus(enum.StrEnum):
    """What the door phone shows: green, amber or red."""

    CREATED = "created"
    ALREADY = "already"
    INVALID = "invalid"
    CONFIRM = "confirm"  # a typed number: who it is, waiting for the staff's confirmation


class Invalid(enum.StrEnum):
    """Why nobody was checked in, so the door staff are told what to do next."""

    CARD = "card"  # a scanned card that is revoked, deactivated, unknown or another's
    UNKNOWN_NUMBER = "unknown_number"  # nobody on this congress's roster has the number
    INACTIVE = "inactive"  # the number's delegate was taken off the roster


@dataclass(frozen=True)
class ScanOutcome:
    """The result of one scan or typed number. The check-in is None unless the delegate is
    (now or already) checked in; the delegate is None for an unknown card or number."""

    status: ScanStatus
    delegate: Delegate | None = None
    checkin: CheckIn | None = None
    reason: Invalid | None = None


INVALID = ScanOutcome(ScanStatus.INVALID, reason=Invalid.CARD)


def parse_token(value) -> str | None:
    """The card token if value has its shape (any case), else None: the caller answers 400."""
    if isinstance(value, str) and _TOKEN.fullmatch(value.strip()):
        return value.strip().upper()
    return None


def parse_number(value) -> int | None:
    """A delegate number from a form or JSON (1 … 999999), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        number = whole_number(value, NUMBER_MAX)
    else:
        return None
    return number if number is not None and 1 <= number <= NUMBER_MAX else None


def check_in(
    delegate: Delegate, *, user: User | None = None, method: str = "scan"
) -> tuple[CheckIn, bool]:
    """Record an arrival once. Returns (the check-in, whether this call created it).

    The unique delegate_id makes two simultaneous scans of one card end in one row:
    the loser of the race reads the winner's row.
    """
    existing = db.session.scalar(select(CheckIn).where(CheckIn.delegate_id == delegate.id))
    if existing is not None:
        return existing, False
    record = CheckIn(delegate_id=delegate.id, congress_id=delegate.congress_id, at=utcnow(),
                     by_user_id=user.id if user is not None else None, method=method)
    db.session.add(record)
    try:
        audit.commit(user, "delegate.checkin", delegate, number=delegate.number, method=method)
    except IntegrityError:
        existing = db.session.scalar(select(CheckIn).where(CheckIn.delegate_id == delegate.id))
        return existing, False
    return record, True


def _scan(delegate: Delegate | None, user: User | None, method: str) -> ScanOutcome:
    """Check in an active delegate once; anyone else is invalid and nothing is written."""
    if delegate is None or not delegate.active:
        return INVALID
    record, created = check_in(delegate, user=user, method=method)
    return ScanOutcome(ScanStatus.CREATED if created else ScanStatus.ALREADY, delegate, record)


def check_in_by_token(congress: Congress, token: str, user: User | None) -> ScanOutcome:
    """Check in the holder of a card of this congress; a revoked or foreign card is invalid."""
    return _scan(delegate_service.delegate_by_token(token, congress), user, "scan")


def _number_refused(delegate: Delegate | None) -> ScanOutcome | None:
    """The refusal for a typed number nobody active holds, else None."""
    if delegate is None:
        return ScanOutcome(ScanStatus.INVALID, reason=Invalid.UNKNOWN_NUMBER)
    if not delegate.active:
        return ScanOutcome(ScanStatus.INVALID, delegate, reason=Invalid.INACTIVE)
    return None


def look_up_number(congress: Congress, number: int) -> ScanOutcome:
    """Who a typed number is, before anything is written: CONFIRM with the delegate, ALREADY
    (nothing to confirm) with the earlier check-in, or INVALID with the reason."""
    delegate = delegate_service.delegate_by_number(congress, number)
    refused = _number_refused(delegate)
    if refused is not None:
        return refused
    record = db.session.scalar(select(CheckIn).where(CheckIn.delegate_id == delegate.id))
    if record is not None:
        return ScanOutcome(ScanStatus.ALREADY, delegate, record)
    return ScanOutcome(ScanStatus.CONFIRM, delegate)


def check_in_by_number(congress: Congress, number: int, user: User | None) -> ScanOutcome:
    """Check in by the number printed on the card (after the staff confirmed who it is)."""
    delegate = delegate_service.delegate_by_number(congress, number)
    return _number_refused(delegate) or _scan(delegate, user, "number")


def _local_day(at: datetime, timezone: str):
    return at.astimezone(ZoneInfo(timezone)).date()


def undo_check_in(congress: Congress, checkin_id: int, user: User | None,
                  timezone: str) -> Delegate:
    """Remove a check-in of this congress made today (in the congress's time zone), audited
    with who undid it; returns the delegate, who counts as absent again.

    Another congress's check-in, or one already undone, is 404: staff only ever see their
    own congress's ids. A check-in of an earlier day is refused (409): by then it may be on
    a printed attendance sheet, and the door cannot rewrite a past session's record.
    """
    record = db.session.scalar(
        select(CheckIn).where(CheckIn.id == checkin_id, CheckIn.congress_id == congress.id))
    if record is None:
        raise InputRefused(_l("This check-in does not exist (it may have been undone "
                              "already)."), 404)
    if _local_day(record.at, timezone) != _local_day(utcnow(), timezone):
        raise InputRefused(_l("This check-in was made on an earlier day and can no longer "
                              "be undone at the door."), 409)
    delegate = record.delegate
    with audit.edit_transaction():
        audit.record(user, "delegate.checkin_undo", delegate, number=delegate.number,
                     checked_in_at=record.at.isoformat(), method=record.method)
        db.session.delete(record)
    db.session.expire(delegate)
    return delegate


# Attendance ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """Present and expected official delegates of one unit or discussion group."""

    name: str
    present: int
    expected: int


@dataclass(frozen=True)
class Absentee:
    """An official delegate not yet checked in, as the absent list shows them."""

    number: int
    full_name: str
    unit: str
    discussion_group: str


def convened(congress: Congress, listed: int) -> int:
    """What "present" is counted against, on every screen and sheet: the delegates the
    congress convened (its details), or while that is unset the official delegates listed."""
    return congress.delegates_expected or listed


@dataclass(frozen=True)
class Attendance:
    """The head count: `expected` counts the roster's active official delegates, `base` is
    what the count is against (convened()); a roster that differs is warned about."""

    present: int
    expected: int
    congress_expected: int
    by_unit: list[Tally]
    by_group: list[Tally]
    absent: list[Absentee]
    others_present: dict[DelegateKind, int]

    @property
    def base(self) -> int:
        return self.congress_expected or self.expected

    @property
    def roster_differs(self) -> bool:
        return bool(self.congress_expected) and self.congress_expected != self.expected

    def as_json(self) -> dict:
        """Plain data for attendance.json; names stay as stored (an empty one is '')."""
        return {
            "present": self.present,
            "expected": self.expected,
            "congress_expected": self.congress_expected,
            "base": self.base,
            "roster_differs": self.roster_differs,
            "by_unit": [asdict(t) for t in self.by_unit],
            "by_group": [asdict(t) for t in self.by_group],
            "absent": [asdict(a) for a in self.absent],
            "others_present": {str(kind): n for kind, n in self.others_present.items()},
        }


def _official(congress: Congress):
    """The delegates the head count is about: active, official, of this congress."""
    return and_(Delegate.congress_id == congress.id, Delegate.active.is_(True),
                Delegate.kind == DelegateKind.OFFICIAL)


def _present():
    """Counts the rows of an outer join that found a check-in."""
    return func.count(CheckIn.id)


def head_count(congress: Congress) -> tuple[int, int]:
    """(present, listed) official delegates, in one query: the scan page's counter, shown
    against convened() like the attendance page and sheet."""
    row = db.session.execute(
        select(_present(), func.count(Delegate.id))
        .select_from(Delegate)
        .outerjoin(CheckIn, CheckIn.delegate_id == Delegate.id)
        .where(_official(congress))
    ).one()
    return row[0], row[1]


def present_now(congress: Congress) -> set[int]:
    """The ids of the official delegates present now: what votes and the credentials report
    count against (alternates and guests never vote). The one place that says "present"."""
    return set(db.session.scalars(
        select(Delegate.id).join(CheckIn, CheckIn.delegate_id == Delegate.id)
        .where(_official(congress))))


def _tallies(congress: Congress, column) -> list[Tally]:
    """Present / expected official delegates grouped by one column (unit or group)."""
    # Rosters are numbered unit by unit, so the lowest number gives the printed order.
    rows = db.session.execute(
        select(column, _present(), func.count(Delegate.id))
        .select_from(Delegate)
        .outerjoin(CheckIn, CheckIn.delegate_id == Delegate.id)
        .where(_official(congress))
        .group_by(column)
        .order_by(func.min(Delegate.number))
    ).all()
    return [Tally(name, present, expected) for name, present, expected in rows]


def attendance(congress: Congress) -> Attendance:
    """Present / expected overall, per unit and per group, the absentees and the others."""
    by_unit = _tallies(congress, Delegate.unit)
    absent = [
        Absentee(*row)
        for row in db.session.execute(
            select(Delegate.number, Delegate.full_name, Delegate.unit, Delegate.discussion_group)
            .outerjoin(CheckIn, CheckIn.delegate_id == Delegate.id)
            .where(_official(congress), CheckIn.id.is_(None))
            .order_by(Delegate.number)
        ).all()
    ]
    others = dict(
        db.session.execute(
            select(Delegate.kind, func.count(CheckIn.id))
            .join(CheckIn, CheckIn.delegate_id == Delegate.id)
            .where(Delegate.congress_id == congress.id, Delegate.active.is_(True),
                   Delegate.kind != DelegateKind.OFFICIAL)
            .group_by(Delegate.kind)
        ).all()
    )
    return Attendance(
        present=sum(t.present for t in by_unit),
        expected=sum(t.expected for t in by_unit),
        congress_expected=congress.delegates_expected,
        by_unit=by_unit,
        by_group=_tallies(congress, Delegate.discussion_group),
        absent=absent,
        others_present={kind: others.get(kind, 0)
                        for kind in (DelegateKind.ALTERNATE, DelegateKind.GUEST)},
    )


def attendance_version(congress: Congress) -> str:
    """A cheap digest that changes whenever the attendance could have changed.

    Check-ins are added and (undone at the door) removed: their count, highest id and the
    sum of their delegates' ids (SQLite may hand an undone row's id to the next check-in,
    so count and highest id alone could come back unchanged); any roster edit bumps a
    delegate's updated_at and a removal lowers the count, and the congress row holds
    delegates_expected. One round trip, no rows loaded.
    """
    def scalar(*columns, where):
        """One aggregate as a scalar subquery, so the whole digest is one statement."""
        return select(*columns).where(where).scalar_subquery()

    row = db.session.execute(select(
        scalar(func.count(CheckIn.id), where=CheckIn.congress_id == congress.id),
        scalar(func.max(CheckIn.id), where=CheckIn.congress_id == congress.id),
        scalar(func.sum(CheckIn.delegate_id), where=CheckIn.congress_id == congress.id),
        scalar(func.count(Delegate.id), where=Delegate.congress_id == congress.id),
        scalar(func.max(Delegate.updated_at), where=Delegate.congress_id == congress.id),
        scalar(Congress.updated_at, where=Congress.id == congress.id),
        scalar(Congress.delegates_expected, where=Congress.id == congress.id),
    )).one()
    return hashlib.sha256(repr(tuple(row)).encode()).hexdigest()[:32]
