"""The audit trail: every organiser action is recorded with who, what and when."""

from __future__ import annotations

import json

from ..extensions import db
from ..models import AuditEvent, User


def record(user: User | None, action: str, obj=None, **detail) -> AuditEvent:
    """Add an audit event to the current transaction (the caller commits)."""
    event = AuditEvent(
        user_id=user.id if user is not None else None,
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=getattr(obj, "id", None),
        detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else "",
    )
    db.session.add(event)
    return event
