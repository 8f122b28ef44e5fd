"""Fixtures the vote test modules share (conftest registers them): a congress with ten
official delegates (seven checked in), an alternate checked in, and votes to open."""

from __future__ import annotations

from datetime import date, time

import pytest

from congress_app.extensions import db
from congress_app.models import AgendaItem, Congress, CongressSession, DelegateKind, VoteMethod
from congress_app.services import attendance
from congress_app.services import votes as vote_service

from .conftest import add_delegates

PRESENT = 7


@pytest.fixture
def hall(congress):
    """Ten official delegates, the first seven checked in; an alternate (No. 11) checked in."""
    officials = add_delegates(congress, 10)
    alternate = add_delegates(congress, 1, start=11, kind=DelegateKind.ALTERNATE)[0]
    for delegate in [*officials[:PRESENT], alternate]:
        attendance.check_in(delegate)
    return {"officials": officials, "alternate": alternate, "present": officials[:PRESENT],
            "absent": officials[PRESENT:]}


@pytest.fixture
def make_vote(congress):
    """make_vote(method=…, secret=…, opened=True): a vote on the congress's first item."""

    def make(method=VoteMethod.PHONES, secret=False, opened=True,
             question="Thông qua Chương trình làm việc của Đại hội"):
        item = congress.sessions[0].items[0]
        vote = vote_service.create(congress, item, None, question=question, method=method,
                                   secret=secret)
        if opened:
            vote_service.open_vote(vote, None)
        return vote

    return make


@pytest.fixture
def other_congress(app):
    """A second congress with one session, item and official delegate checked in."""
    other = Congress(slug="khac", title="Đại hội khác", organisation="Đảng bộ phường Khác",
                     starts_on=date(2025, 7, 22), ends_on=date(2025, 7, 22))
    session = CongressSession(congress=other, name="Phiên", date=date(2025, 7, 22),
                              starts_at=time(8, 0))
    session.items = [AgendaItem(position=1, title="Biểu quyết")]
    db.session.add_all([other, session])
    db.session.commit()
    delegate = add_delegates(other, 1)[0]
    attendance.check_in(delegate)
    return other
