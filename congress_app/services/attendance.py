"""Check-in at the door and the attendance count.

Every check-in belongs to a session (attendance_sessions: the clock's or the staff's
choice; a congress without sessions has one congress-wide attendance). A scan ends in one
of three outcomes: checked in now (or back after being checked out), already checked in
earlier, or not valid (unknown, revoked or deactivated card, another congress's card). A
typed number is first only looked up (who it is, to confirm: a mistyped digit must not
check in the wrong person); the confirmed number then checks in like a scan. A check-in
made by mistake can be undone while its session is the door's (congress-wide: on its day),
audited; a delegate leaving early is checked out (audited), and "present now" leaves them
out. Attendance counts official delegates only; alternates and guests are counted on
their own. Every count is a GROUP BY in the database, so the attendance screen can poll it
cheaply.
"""

from __future__ import annotations

import enum
import hashlib
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Absence, CheckIn, Congress, CongressSession, Delegate, DelegateKind, User
from ..models.base import utcnow
from ..numbers import whole_number
from . import audit
from . import delegates as delegate_service
from .attendance_sessions import CLOCK, SessionChoice, resolve
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
    returned: bool = False  # back in after being checked out of the session


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


def _in_session(session: CongressSession | None):
    """The check-ins of one session, or the congress-wide ones (no session)."""
    return CheckIn.session_id == session.id if session is not None \
        else CheckIn.session_id.is_(None)


def _record_of(delegate: Delegate, session: CongressSession | None) -> CheckIn | None:
    return db.session.scalar(select(CheckIn).where(CheckIn.delegate_id == delegate.id,
                                                   _in_session(session)))


class Arrival(enum.Enum):
    """What one check-in call did."""

    NEW = "new"
    RETURNED = "returned"  # the checked-out delegate is back
    ALREADY = "already"


def _come_back(record: CheckIn, user: User | None) -> bool:
    """Clear a checkout, audited; False when another phone did it first (one UPDATE
    decides)."""
    left_at = record.checked_out_at
    with audit.edit_transaction():
        done = db.session.execute(
            update(CheckIn).where(CheckIn.id == record.id, CheckIn.checked_out_at.is_not(None))
            .values(checked_out_at=None, checked_out_by_user_id=None)).rowcount
        if done:
            audit.record(user, "delegate.checkin_return", record.delegate,
                         number=record.delegate.number, left_at=left_at.isoformat(),
                         session=record.session_id)
    db.session.refresh(record)
    return bool(done)


def _arrive(delegate: Delegate, session: CongressSession | None, user: User | None,
            method: str) -> tuple[CheckIn, Arrival]:
    """Record an arrival in a session once; the unique (delegate, session) makes two
    simultaneous scans of one card end in one row: the loser reads the winner's row."""
    existing = _record_of(delegate, session)
    if existing is not None:
        if existing.checked_out_at is not None and _come_back(existing, user):
            return existing, Arrival.RETURNED
        return existing, Arrival.ALREADY
    record = CheckIn(delegate_id=delegate.id, congress_id=delegate.congress_id, at=utcnow(),
                     session_id=session.id if session is not None else None,
                     by_user_id=user.id if user is not None else None, method=method)
    db.session.add(record)
    try:
        audit.commit(user, "delegate.checkin", delegate, number=delegate.number, method=method,
                     session=record.session_id)
    except IntegrityError:
        return _record_of(delegate, session), Arrival.ALREADY
    return record, Arrival.NEW


def check_in(
    delegate: Delegate, *, user: User | None = None, method: str = "scan",
    session: SessionChoice = CLOCK,
) -> tuple[CheckIn, bool]:
    """Record an arrival once per session (CLOCK: the clock's session). Returns (the
    check-in, whether this call created it or brought a checked-out delegate back)."""
    record, arrival = _arrive(delegate, resolve(delegate.congress, session), user, method)
    return record, arrival != Arrival.ALREADY


def _scan(delegate: Delegate | None, user: User | None, method: str,
          session: SessionChoice) -> ScanOutcome:
    """Check in an active delegate once; anyone else is invalid and nothing is written."""
    if delegate is None or not delegate.active:
        return INVALID
    record, arrival = _arrive(delegate, resolve(delegate.congress, session), user, method)
    status = ScanStatus.ALREADY if arrival == Arrival.ALREADY else ScanStatus.CREATED
    return ScanOutcome(status, delegate, record, returned=arrival == Arrival.RETURNED)


def check_in_by_token(congress: Congress, token: str, user: User | None,
                      session: SessionChoice = CLOCK) -> ScanOutcome:
    """Check in the holder of a card of this congress; a revoked or foreign card is invalid."""
    return _scan(delegate_service.delegate_by_token(token, congress), user, "scan", session)


def _number_refused(delegate: Delegate | None) -> ScanOutcome | None:
    """The refusal for a typed number nobody active holds, else None."""
    if delegate is None:
        return ScanOutcome(ScanStatus.INVALID, reason=Invalid.UNKNOWN_NUMBER)
    if not delegate.active:
        return ScanOutcome(ScanStatus.INVALID, delegate, reason=Invalid.INACTIVE)
    return None


def look_up_number(congress: Congress, number: int,
                   session: SessionChoice = CLOCK) -> ScanOutcome:
    """Who a typed number is, before anything is written: CONFIRM with the delegate, ALREADY
    (nothing to confirm) with the earlier check-in, or INVALID with the reason."""
    delegate = delegate_service.delegate_by_number(congress, number)
    refused = _number_refused(delegate)
    if refused is not None:
        return refused
    record = _record_of(delegate, resolve(congress, session))
    if record is not None and record.checked_out_at is None:
        return ScanOutcome(ScanStatus.ALREADY, delegate, record)
    return ScanOutcome(ScanStatus.CONFIRM, delegate)


def check_in_by_number(congress: Congress, number: int, user: User | None,
                       session: SessionChoice = CLOCK) -> ScanOutcome:
    """Check in by the number printed on the card (after the staff confirmed who it is)."""
    delegate = delegate_service.delegate_by_number(congress, number)
    return _number_refused(delegate) or _scan(delegate, user, "number", session)


def _local_day(at: datetime, timezone: str):
    return at.astimezone(ZoneInfo(timezone)).date()


def _own_checkin(congress: Congress, checkin_id: int) -> CheckIn:
    record = db.session.scalar(
        select(CheckIn).where(CheckIn.id == checkin_id, CheckIn.congress_id == congress.id))
    if record is None:
        raise InputRefused(_l("This check-in does not exist (it may have been undone "
                              "already)."), 404)
    return record


def undo_check_in(congress: Congress, checkin_id: int, user: User | None,
                  timezone: str, session: SessionChoice = CLOCK) -> Delegate:
    """Remove a check-in of this congress made by mistake, audited with who undid it;
    returns the delegate, who counts as absent again.

    Another congress's check-in, or one already undone, is 404: staff only ever see their
    own congress's ids. Only a check-in of the door's session (`session`; CLOCK: the
    clock's) can be undone, a congress-wide one only on its day; any other is refused
    (409): it may be on a printed attendance sheet, and the door cannot rewrite a past
    session's record.
    """
    record = _own_checkin(congress, checkin_id)
    if record.session_id is not None:
        door = resolve(congress, session)
        if door is None or door.id != record.session_id:
            raise InputRefused(_l("This check-in belongs to another session and can no "
                                  "longer be undone at the door."), 409)
    elif _local_day(record.at, timezone) != _local_day(utcnow(), timezone):
        raise InputRefused(_l("This check-in was made on an earlier day and can no longer "
                              "be undone at the door."), 409)
    delegate = record.delegate
    with audit.edit_transaction():
        audit.record(user, "delegate.checkin_undo", delegate, number=delegate.number,
                     checked_in_at=record.at.isoformat(), method=record.method,
                     session=record.session_id)
        db.session.delete(record)
    db.session.expire(delegate)
    return delegate


def check_out(congress: Congress, number: int, user: User | None,
              session: SessionChoice = CLOCK) -> CheckIn:
    """Check out a delegate leaving the session early (audited): the arrival stays on the
    record and the sheet, "present now" no longer counts them; a new scan brings them back.
    Nobody with the number, or not checked in to the session, or already out: refused."""
    chosen = resolve(congress, session)
    delegate = delegate_service.delegate_by_number(congress, number)
    if delegate is None:
        raise InputRefused(_l("Nobody on the roster has number %(number)d.", number=number),
                           404, field="number")
    record = _record_of(delegate, chosen)
    if record is None:
        raise InputRefused(_l("%(name)s is not checked in to this session.",
                              name=delegate.full_name), 409, field="number")
    if record.checked_out_at is not None:
        raise InputRefused(_l("%(name)s has already been checked out.",
                              name=delegate.full_name), 409, field="number")
    with audit.edit_transaction():
        done = db.session.execute(
            update(CheckIn).where(CheckIn.id == record.id, CheckIn.checked_out_at.is_(None))
            .values(checked_out_at=utcnow(),
                    checked_out_by_user_id=user.id if user is not None else None)).rowcount
        if done:
            audit.record(user, "delegate.checkout", delegate, number=delegate.number,
                         session=record.session_id)
    db.session.refresh(record)
    return record


# Attendance ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """Present and expected official delegates of one unit or discussion group."""

    name: str
    present: int
    expected: int


@dataclass(frozen=True)
class Absentee:
    """An official delegate not checked in to the session, as the absent list shows them,
    with the organisers' reason: "excused" (có lý do), "unexcused" or "" (not entered)."""

    number: int
    full_name: str
    unit: str
    discussion_group: str
    reason: str = ""
    note: str = ""


@dataclass(frozen=True)
class Leaver:
    """An official delegate checked out of the session before its end."""

    number: int
    full_name: str
    unit: str
    checked_in_at: datetime
    checked_out_at: datetime


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
    session: CongressSession | None = None
    left: list[Leaver] = field(default_factory=list)

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
            "session": None if self.session is None else {
                "id": self.session.id, "name": self.session.name,
                "date": self.session.date.isoformat()},
            "left": [{**asdict(t), "checked_in_at": t.checked_in_at.isoformat(),
                      "checked_out_at": t.checked_out_at.isoformat()} for t in self.left],
        }


def _official(congress: Congress):
    """The delegates the head count is about: active, official, of this congress."""
    return and_(Delegate.congress_id == congress.id, Delegate.active.is_(True),
                Delegate.kind == DelegateKind.OFFICIAL)


def _here(session: CongressSession | None):
    """Outer-join condition: the delegate's check-in to the session, not checked out."""
    return and_(CheckIn.delegate_id == Delegate.id, _in_session(session),
                CheckIn.checked_out_at.is_(None))


def head_count(congress: Congress, session: SessionChoice = CLOCK) -> tuple[int, int]:
    """(present, listed) official delegates of the session, in one query: the scan page's
    counter, shown against convened() like the attendance page and sheet."""
    row = db.session.execute(
        select(func.count(CheckIn.id), func.count(Delegate.id))
        .select_from(Delegate)
        .outerjoin(CheckIn, _here(resolve(congress, session)))
        .where(_official(congress))
    ).one()
    return row[0], row[1]


def present_now(congress: Congress, session: SessionChoice = CLOCK) -> set[int]:
    """The ids of the official delegates present now: checked in to the current session
    (the clock's, or the one given) and not checked out. What votes and the credentials
    report count against (alternates and guests never vote). The one place that says
    "present"."""
    return set(db.session.scalars(
        select(Delegate.id).join(CheckIn, _here(resolve(congress, session)))
        .where(_official(congress))))


def _tallies(congress: Congress, session: CongressSession | None, column) -> list[Tally]:
    """Present / expected official delegates grouped by one column (unit or group)."""
    # Rosters are numbered unit by unit, so the lowest number gives the printed order.
    rows = db.session.execute(
        select(column, func.count(CheckIn.id), func.count(Delegate.id))
        .select_from(Delegate)
        .outerjoin(CheckIn, _here(session))
        .where(_official(congress))
        .group_by(column)
        .order_by(func.min(Delegate.number))
    ).all()
    return [Tally(name, present, expected) for name, present, expected in rows]


def _absent_and_left(congress: Congress, session: CongressSession | None
                     ) -> tuple[list[Absentee], list[Leaver]]:
    """Official delegates without a check-in to the session (with any reason entered), and
    those checked out of it, in one query."""
    absence_in = Absence.session_id == session.id if session is not None \
        else Absence.session_id.is_(None)
    rows = db.session.execute(
        select(Delegate.number, Delegate.full_name, Delegate.unit, Delegate.discussion_group,
               Absence.excused, Absence.note, CheckIn.at, CheckIn.checked_out_at)
        .outerjoin(CheckIn, and_(CheckIn.delegate_id == Delegate.id, _in_session(session)))
        .outerjoin(Absence, and_(Absence.delegate_id == Delegate.id, absence_in))
        .where(_official(congress),
               CheckIn.id.is_(None) | CheckIn.checked_out_at.is_not(None))
        .order_by(Delegate.number)
    ).all()
    absent, left = [], []
    for number, name, unit, group, excused, note, arrived, out in rows:
        if arrived is None:
            reason = "" if excused is None else ("excused" if excused else "unexcused")
            absent.append(Absentee(number, name, unit, group, reason, note or ""))
        else:
            left.append(Leaver(number, name, unit, arrived, out))
    return absent, left


def attendance(congress: Congress, session: SessionChoice = CLOCK) -> Attendance:
    """Present / expected in the session (CLOCK: the clock's) overall, per unit and per
    group, the absentees with their reasons, those who left early, and the others."""
    chosen = resolve(congress, session)
    by_unit = _tallies(congress, chosen, Delegate.unit)
    others = dict(
        db.session.execute(
            select(Delegate.kind, func.count(CheckIn.id))
            .join(CheckIn, _here(chosen))
            .where(Delegate.congress_id == congress.id, Delegate.active.is_(True),
                   Delegate.kind != DelegateKind.OFFICIAL)
            .group_by(Delegate.kind)
        ).all()
    )
    absent, left = _absent_and_left(congress, chosen)
    return Attendance(
        present=sum(t.present for t in by_unit),
        expected=sum(t.expected for t in by_unit),
        congress_expected=congress.delegates_expected,
        by_unit=by_unit,
        by_group=_tallies(congress, chosen, Delegate.discussion_group),
        absent=absent,
        others_present={kind: others.get(kind, 0)
                        for kind in (DelegateKind.ALTERNATE, DelegateKind.GUEST)},
        session=chosen,
        left=left,
    )


def attendance_version(congress: Congress, session: SessionChoice = CLOCK) -> str:
    """A cheap digest that changes whenever the attendance of the session could have changed.

    Check-ins are added and (undone at the door) removed: their count, highest id and the
    sum of their delegates' ids (SQLite may hand an undone row's id to the next check-in,
    so count and highest id alone could come back unchanged); any roster edit bumps a
    delegate's updated_at and a removal lowers the count, and the congress row holds
    delegates_expected; checkouts and absence reasons are counted and dated. The session
    shown is part of it, so the clock moving on to the next session changes it too. One
    round trip, no rows loaded.
    """
    chosen = resolve(congress, session)
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
        scalar(func.count(CheckIn.checked_out_at), where=CheckIn.congress_id == congress.id),
        scalar(func.max(CheckIn.checked_out_at), where=CheckIn.congress_id == congress.id),
        scalar(func.count(Absence.id), where=Absence.congress_id == congress.id),
        scalar(func.max(Absence.at), where=Absence.congress_id == congress.id),
    )).one()
    key = (*row, chosen.id if chosen is not None else None)
    return hashlib.sha256(repr(key).encode()).hexdigest()[:32]
