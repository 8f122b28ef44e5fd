"""What the roster service tests read back: counts, what an import could change, a delegate."""

from __future__ import annotations

from sqlalchemy import func, select

from congress_app.extensions import db
from congress_app.models import AuditEvent, Delegate
from congress_app.services import delegates as delegate_service


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _state() -> tuple:
    """Everything an import could change."""
    db.session.expire_all()
    delegates = db.session.execute(
        select(Delegate.number, Delegate.full_name, Delegate.unit, Delegate.discussion_group,
               Delegate.seat, Delegate.kind, Delegate.active, Delegate.token_hash,
               Delegate.updated_at).order_by(Delegate.number)
    ).all()
    return delegates, _count(AuditEvent)


def _delegate(congress, number: int) -> Delegate:
    db.session.expire_all()
    return delegate_service.delegate_by_number(congress, number)
