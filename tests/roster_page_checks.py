"""What the roster page tests share: a delegate by number, the rows a refusal keeps, the form."""

from __future__ import annotations

from sqlalchemy import func, select

from congress_app.extensions import db
from congress_app.models import AuditEvent, Delegate
from congress_app.services import delegates as delegate_service


def _number(congress, number: int) -> Delegate | None:
    db.session.expire_all()  # the requests ran in their own sessions
    return delegate_service.delegate_by_number(congress, number)


def _state() -> tuple:
    """Every delegate row and the audit trail: what a refused request must not change."""
    db.session.expire_all()
    return (
        db.session.execute(select(Delegate.__table__).order_by(Delegate.id)).all(),
        db.session.scalar(select(func.count(AuditEvent.id))),
    )


def _text(response) -> str:
    return response.get_data(as_text=True)


def _form(**changes) -> dict:
    form = {"number": "7", "full_name": "Vũ Thị Hạnh", "unit": "Chi bộ Trạm Y tế phường",
            "discussion_group": "Tổ 3", "seat": "C-07", "kind": "alternate"}
    return {**form, **changes}
