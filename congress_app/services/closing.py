"""Closing a congress (the organiser side becomes read-only) and purging personal data.

What a purge keeps and drops, and why: a congress's delegate list (number, full name, unit,
kind, discussion group) is part of its public record — the minutes and the resolution
name who took part — so it stays. What only served the days of the congress goes: the
card secrets (token and PIN hashes; the credential version is bumped too, which signs out
every phone still holding a delegate session), the seat, the details only the credentials
committee's report counted (sex, years of birth and of joining the party, ethnicity,
education and theory levels, position; the report's figures are kept as counts in the
purge's audit event), and every check-in with its time and the staff account that
recorded it. Delegate rows carry no phone or e-mail. The
attendance survives only as counts, in the purge's own audit event, and the check-in
events of the audit trail lose the delegate they named, keeping just their time.
Comments on the drafts lose their author (comments.author_id set to NULL): the triage, the
compiled report, its exports and the archive name no one, and every count stays.
The votes' ballots go too (who voted, and in a named vote what): each closed vote keeps
its counts, base and rule on its own row, so its result and minutes stay.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from ..extensions import db
from ..models import (
    Absence,
    AuditEvent,
    CheckIn,
    Comment,
    Congress,
    Delegate,
    DelegateKind,
    User,
    Vote,
    VoteBallot,
)
from ..models.base import utcnow
from . import attendance as attendance_service
from . import attendance_sessions, audit
from . import credentials as credentials_service
from .errors import InputRefused

PURGE_ACTION = "congress.purge"
# Events that tie a delegate to an arrival, a departure or a reason for absence: a purge
# keeps that they happened, not who.
ATTENDANCE_EVENTS = ("delegate.checkin", "delegate.checkin_undo", "delegate.checkout",
                     "delegate.checkin_return", "delegate.absence")


def is_closed(congress: Congress | None) -> bool:
    """Whether organisers' changes are refused for this congress."""
    return congress is not None and congress.closed_at is not None


def close(congress: Congress, *, user: User | None = None) -> None:
    """Make the congress read-only for every organiser; closing twice changes nothing."""
    if is_closed(congress):
        return
    congress.closed_at = utcnow()
    audit.commit(user, "congress.close", congress)


def reopen(congress: Congress, *, user: User | None = None) -> None:
    """Allow changes again (a purge, if one was made, stays done)."""
    if not is_closed(congress):
        return
    closed_at = congress.closed_at
    congress.closed_at = None
    audit.commit(user, "congress.reopen", congress, closed_at=closed_at.isoformat())


def last_purge(congress: Congress) -> AuditEvent | None:
    """The audit event of the congress's latest purge, which holds its counts; None if none."""
    return audit.latest_event(congress, PURGE_ACTION)


def purge_personal_data(congress: Congress, confirmation: str, *,
                        user: User | None = None) -> dict:
    """Drop card secrets, seats and check-ins of a closed congress; returns the counts kept.

    `confirmation` must be the congress's slug, typed by the admin: the purge cannot be undone.
    """
    if not is_closed(congress):
        raise InputRefused(_l("Close the congress before purging personal data."), 409)
    if (confirmation or "").strip() != congress.slug:
        raise InputRefused(
            _l("Type the congress code exactly as shown to confirm."), 400, "confirmation"
        )
    with audit.edit_transaction():
        counts = _attendance_counts(congress)
        counts["credentials"] = credentials_service.composition_counts(
            credentials_service.credentials_report(congress))
        delegate_ids = select(Delegate.id).where(Delegate.congress_id == congress.id)
        db.session.execute(
            update(AuditEvent)
            .where(AuditEvent.action.in_(ATTENDANCE_EVENTS),
                   AuditEvent.object_type == "Delegate",
                   AuditEvent.object_id.in_(delegate_ids))
            .values(object_type="", object_id=None, detail=""),
            execution_options={"synchronize_session": False},
        )
        # Reasons for absence may name an illness: they go with the check-ins.
        db.session.execute(delete(Absence).where(Absence.congress_id == congress.id),
                           execution_options={"synchronize_session": False})
        db.session.execute(delete(CheckIn).where(CheckIn.congress_id == congress.id),
                           execution_options={"synchronize_session": False})
        counts["comments_unnamed"] = db.session.execute(
            update(Comment).where(Comment.congress_id == congress.id,
                                  Comment.author_id.is_not(None))
            .values(author_id=None, updated_at=Comment.updated_at),  # not an edit
            execution_options={"synchronize_session": False}).rowcount
        # Who voted (and, in a named vote, what): each vote's result stays on its row.
        counts["ballots_removed"] = db.session.execute(
            delete(VoteBallot).where(VoteBallot.vote_id.in_(
                select(Vote.id).where(Vote.congress_id == congress.id))),
            execution_options={"synchronize_session": False}).rowcount
        db.session.execute(
            update(Delegate)
            .where(Delegate.congress_id == congress.id)
            .values(token_hash=None, pin_hash=None, seat="", sex=None, birth_year=None,
                    ethnicity="", education=None, theory_level=None, party_joined_year=None,
                    position="",
                    credential_version=Delegate.credential_version + 1, updated_at=utcnow()),
            execution_options={"synchronize_session": False},
        )
        audit.record(user, PURGE_ACTION, congress, **counts)
    db.session.expire_all()
    return counts


def _attendance_counts(congress: Congress) -> dict:
    """The attendance as numbers only: what the record keeps once check-ins are gone. The
    totals are the clock's session's (after the congress: its last); each session's
    present and absent official delegates are kept too."""
    current = attendance_service.attendance(congress)
    by_session = []
    for session in attendance_sessions.sessions_of(congress):
        seen = attendance_service.attendance(congress, session)
        by_session.append({"session": session.name, "date": session.date.isoformat(),
                           "present": seen.present, "absent": len(seen.absent),
                           "left_early": len(seen.left),
                           "excused": sum(1 for a in seen.absent if a.reason == "excused")})
    return {
        "present_by_session": by_session,
        "delegates": db.session.scalar(
            select(func.count(Delegate.id)).where(Delegate.congress_id == congress.id)),
        "checkins": db.session.scalar(
            select(func.count(CheckIn.id)).where(CheckIn.congress_id == congress.id)),
        "present": current.present,
        "expected": current.expected,
        "alternates_present": current.others_present.get(DelegateKind.ALTERNATE, 0),
        "guests_present": current.others_present.get(DelegateKind.GUEST, 0),
        "present_by_unit": {t.name or "": t.present for t in current.by_unit},
    }
