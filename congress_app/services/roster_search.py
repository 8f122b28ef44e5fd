"""Listing and searching the delegate roster, and its head counts by kind."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import CheckIn, Congress, Delegate, DelegateKind
from ..numbers import whole_number
from .delegates import fold


def _like_escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_query(congress: Congress, query: str = ""):
    """A select of the congress's delegates matching `query`, in number order.

    Every word of the query must begin a word of the folded name or unit ("nguyen van"
    finds "Nguyễn Văn …"); rows holding the whole query as typed come first. A query that
    is a number also finds the delegate with that number, listed before everyone else.
    """
    statement = select(Delegate).where(Delegate.congress_id == congress.id)
    text = fold(query)[:100]
    order = [Delegate.number]
    if text:
        words = []
        for word in text.split():
            escaped = _like_escape(word)
            words.append(or_(Delegate.search_name.like(f"{escaped}%", escape="\\"),
                             Delegate.search_name.like(f"% {escaped}%", escape="\\")))
        condition = and_(*words)
        phrase = _like_escape(text)
        order.insert(0, case(
            (or_(Delegate.search_name.like(f"{phrase}%", escape="\\"),
                 Delegate.search_name.like(f"% {phrase}%", escape="\\")), 0), else_=1))
        number = whole_number(text)
        if number is not None:
            condition = or_(Delegate.number == number, condition)
            order.insert(0, case((Delegate.number == number, 0), else_=1))
        statement = statement.where(condition)
    return statement.options(selectinload(Delegate.checkins)).order_by(*order)


@dataclass(frozen=True)
class KindCount:
    """Delegates of one kind: active ones, how many of them checked in, deactivated ones."""

    kind: DelegateKind
    active: int
    checked_in: int
    inactive: int


def kind_counts(congress: Congress) -> list[KindCount]:
    """Per kind (official, alternate, guest), in that order."""
    rows = db.session.execute(
        # Checked in to any session: one per delegate, however many sessions they came to.
        select(Delegate.kind, Delegate.active, func.count(Delegate.id),
               func.count(select(CheckIn.id).where(CheckIn.delegate_id == Delegate.id)
                          .limit(1).scalar_subquery()))
        .where(Delegate.congress_id == congress.id)
        .group_by(Delegate.kind, Delegate.active)
    ).all()
    totals = {kind: [0, 0, 0] for kind in DelegateKind}
    for kind, active, count, checked_in in rows:
        if active:
            totals[kind][0] += count
            totals[kind][1] += checked_in
        else:
            totals[kind][2] += count
    return [KindCount(kind, *totals[kind]) for kind in DelegateKind]
