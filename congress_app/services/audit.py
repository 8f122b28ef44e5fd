"""The audit trail: every organiser action is recorded with who, what and when.

Recording adds a row to the caller's transaction; reading (the admins' audit page and its
CSV) filters by action, account, a day range in the congress's time zone and the details.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..models import AuditEvent, User
from ..numbers import whole_number
from .errors import EditConflict, InputRefused

# The account filter's value for events recorded without an account (CLI, failed logins).
SYSTEM = "system"


def record(user: User | None, action: str, obj=None, **detail) -> AuditEvent:
    """Add an audit event to the current transaction (the caller commits)."""
    event = AuditEvent(
        user_id=user.id if user is not None else None,
        congress_id=_congress_of(user, obj),
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=getattr(obj, "id", None),
        detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else "",
    )
    db.session.add(event)
    return event


def _congress_of(user: User | None, obj) -> int | None:
    """The congress an action concerned: the object's, else the account's; None for what
    concerns the instance as a whole (an unknown name's failed login, an account serving
    every congress)."""
    from ..models import AgendaItem, Congress

    if isinstance(obj, Congress):
        return obj.id
    if isinstance(obj, AgendaItem):
        return obj.session.congress_id if obj.session is not None else None
    if obj is not None and not isinstance(obj, User):
        congress_id = getattr(obj, "congress_id", None)
        if congress_id is not None:
            return congress_id
    if isinstance(obj, User) and obj.congress_id is not None:
        return obj.congress_id
    return user.congress_id if user is not None else None


@contextmanager
def edit_transaction(refused: Callable[[], InputRefused] | None = None) -> Iterator[None]:
    """Commit what the block changed, or nothing at all: the one way services commit.

    A row another organiser saved since it was read (StaleDataError) is an EditConflict, so
    the page can ask for a reload. A unique row another request wrote first (IntegrityError:
    the same number, a check-in at the door meanwhile) is the refusal `refused()` makes, in
    the service's words (made only then: translating it earlier would fix the language of
    the request); without one it goes on up. Any other failure undoes the block and goes
    on up.
    """
    try:
        yield
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise EditConflict() from None
    except IntegrityError:
        db.session.rollback()
        if refused is None:
            raise
        raise refused() from None
    except BaseException:
        db.session.rollback()
        raise


def commit(user: User | None, action: str, obj=None, *,
           refused: Callable[[], InputRefused] | None = None, **detail) -> None:
    """Flush the change, record it in the audit trail, commit (edit_transaction)."""
    with edit_transaction(refused):
        db.session.flush()
        record(user, action, obj, **detail)


@dataclass(frozen=True)
class AuditFilter:
    """What the admin asked to see; empty fields do not filter."""

    action: str = ""
    account: str = ""  # a user id as text, SYSTEM, or ""
    since: date | None = None  # first day included, in the congress's time zone
    until: date | None = None  # last day included
    text: str = ""


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    """Midnight of a congress day, as the aware instant the UTC column compares with."""
    return datetime.combine(day, time.min, tzinfo=zone)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def events_query(wanted: AuditFilter, timezone: str, congress_id: int | None = None) -> Select:
    """The filtered events, newest first (id breaks ties within one clock tick); with a
    congress, only that congress's events (what an admin tied to it may read)."""
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if congress_id is not None:
        query = query.where(AuditEvent.congress_id == congress_id)
    if wanted.action:
        query = query.where(AuditEvent.action == wanted.action)
    if wanted.account == SYSTEM:
        query = query.where(AuditEvent.user_id.is_(None))
    elif (account_id := whole_number(wanted.account)) is not None:
        query = query.where(AuditEvent.user_id == account_id)
    zone = ZoneInfo(timezone)
    if wanted.since is not None:
        query = query.where(AuditEvent.at >= _day_start(wanted.since, zone))
    if wanted.until is not None:
        query = query.where(AuditEvent.at < _day_start(wanted.until + timedelta(days=1), zone))
    if wanted.text:
        pattern = f"%{_like_escape(wanted.text)}%"
        # Details are JSON with the Vietnamese kept as typed (ensure_ascii=False); the
        # failed-login username is a detail too, so searching a name finds its attempts.
        query = query.where(or_(AuditEvent.detail.ilike(pattern, escape="\\"),
                                AuditEvent.object_type.ilike(pattern, escape="\\")))
    return query


def _scoped(query: Select, congress_id: int | None) -> Select:
    return query if congress_id is None else query.where(AuditEvent.congress_id == congress_id)


def actions_present(congress_id: int | None = None) -> list[str]:
    """The actions that occur in the trail, for the filter's select."""
    query = _scoped(select(AuditEvent.action), congress_id)
    return list(db.session.scalars(query.distinct().order_by(AuditEvent.action)))


def accounts_present(congress_id: int | None = None) -> list[User]:
    """The accounts that have at least one event, for the filter's select."""
    ids = _scoped(select(AuditEvent.user_id), congress_id).where(
        AuditEvent.user_id.is_not(None)).distinct()
    return list(db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.username)))


def details(event: AuditEvent) -> dict:
    """The event's details as a dict; a detail that is not a JSON object comes back as text."""
    if not event.detail:
        return {}
    try:
        value = json.loads(event.detail)
    except ValueError:
        return {"detail": event.detail}
    return value if isinstance(value, dict) else {"detail": value}


def latest_event(obj, action: str) -> AuditEvent | None:
    """The newest event of `action` on `obj`: "closed by … at …" reads it from the trail."""
    return db.session.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == action, AuditEvent.object_type == type(obj).__name__,
               AuditEvent.object_id == obj.id)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
