"""Delegates added, edited, deactivated and given a new card by hand, through the service."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from congress_app.extensions import db
from congress_app.models import AuditEvent, DelegateKind
from congress_app.services import delegates as delegate_service
from congress_app.services.errors import InputRefused

from .roster_checks import _state


def _details(**changes) -> dict:
    details = {"number": 7, "full_name": "Vũ Thị Hạnh", "unit": "Chi bộ Trạm Y tế phường",
               "discussion_group": "Tổ 3", "seat": "C-07", "kind": "alternate"}
    return {**details, **changes}


def test_a_delegate_added_by_hand_has_a_working_card(congress, english):
    delegate = delegate_service.create_delegate(congress, **_details())
    assert delegate.kind == DelegateKind.ALTERNATE
    assert delegate.search_name == "vu thi hanh chi bo tram y te phuong"
    assert delegate_service.delegate_by_token(delegate_service.card_token(delegate)) == delegate


@pytest.mark.parametrize(
    ("changes", "field", "status", "message"),
    [
        ({"number": None}, "number", 400, "Enter the delegate's number"),
        ({"number": 0}, "number", 400, "from 1 to 99999"),
        ({"full_name": "  "}, "full_name", 400, "Enter the delegate's full name."),
        ({"full_name": "=cmd|' /C calc'!A0"}, "full_name", 400, "may not start with ="),
        ({"unit": "x" * 301}, "unit", 400, "too long"),
        ({"kind": "president"}, "kind", 400, "Choose one of the options"),
    ],
)
def test_bad_details_by_hand_are_refused(congress, english, changes, field, status, message):
    before = _state()
    with pytest.raises(InputRefused) as refused:
        delegate_service.create_delegate(congress, **_details(**changes))
    assert (refused.value.field, refused.value.status) == (field, status)
    assert message in str(refused.value.message)
    assert _state() == before


def test_a_number_taken_by_hand_is_refused_with_409(congress, english):
    delegate_service.create_delegate(congress, **_details())
    other = delegate_service.create_delegate(congress, **_details(number=8, full_name="Đỗ Văn Em"))
    before = _state()
    with pytest.raises(InputRefused) as refused:
        delegate_service.create_delegate(congress, **_details(full_name="Ai Khác"))
    assert refused.value.status == 409
    assert "Number 7 is already taken by Vũ Thị Hạnh" in str(refused.value.message)
    with pytest.raises(InputRefused) as refused:
        delegate_service.update_delegate(other, **_details(full_name="Đỗ Văn Em"))
    assert refused.value.status == 409
    assert _state() == before


def test_editing_keeps_the_card_and_deactivating_stops_it(congress, english):
    delegate = delegate_service.create_delegate(congress, **_details())
    token = delegate_service.card_token(delegate)
    delegate_service.update_delegate(delegate, **_details(number=70, full_name="Vũ Thị Hằng"))
    assert (delegate.number, delegate.search_name) == (70, "vu thi hang chi bo tram y te phuong")
    assert delegate_service.delegate_by_token(token) == delegate

    delegate_service.set_active(delegate, False)
    assert delegate_service.delegate_by_token(token) is None
    delegate_service.set_active(delegate, True)
    assert delegate_service.delegate_by_token(token) == delegate
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.object_type == "Delegate").order_by(AuditEvent.id)).all()
    assert actions == ["delegate.create", "delegate.update", "delegate.deactivate",
                       "delegate.reactivate"]


def test_reissuing_a_card_stops_the_old_one_at_once(congress, english):
    delegate = delegate_service.create_delegate(congress, **_details())
    old_token, old_hash = delegate_service.card_token(delegate), delegate.token_hash
    old_pin = delegate_service.card_pin(delegate)
    delegate_service.reissue_credentials(delegate)
    db.session.expire_all()
    assert delegate.token_hash != old_hash
    assert delegate_service.delegate_by_token(old_token) is None
    new_token = delegate_service.card_token(delegate)
    assert delegate_service.delegate_by_token(new_token) == delegate
    new_pin = delegate_service.card_pin(delegate)
    assert new_pin == old_pin or not delegate_service.check_pin(congress, 7, old_pin)
