"""Votes (biểu quyết): organisers open, close and annul them; delegates vote on phones.

Who may vote is decided here only: an active official delegate of the vote's congress who
is present for it (present_at: checked in to its agenda item's session, not checked out),
while the vote is open. One ballot per delegate
per vote is the database's unique constraint, so phones voting in the same second cannot
count twice: the loser of a race reads the winner's row. A secret ballot's choice goes to
a counter row (models.vote) in the same transaction as the "voted" row, so an acknowledged
vote is committed whole or not at all. Results are computed only for a closed vote.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import (
    AgendaItem,
    Choice,
    Congress,
    CongressSession,
    Delegate,
    DelegateKind,
    PassingRule,
    User,
    Vote,
    VoteBallot,
    VoteCount,
    VoteMethod,
    VoteState,
    utcnow,
)
from ..numbers import whole_number
from . import attendance, audit, closing
from .errors import InputRefused

QUESTION_MAX = 500
REASON_MAX = 2000
COUNT_MAX = 999_999


# Reading ---------------------------------------------------------------------------------


def votes_of(congress: Congress) -> list[Vote]:
    """Every vote of the congress, in programme order, then in the order created."""
    return list(db.session.scalars(
        select(Vote).join(AgendaItem, Vote.item_id == AgendaItem.id)
        .join(CongressSession, AgendaItem.session_id == CongressSession.id)
        .where(Vote.congress_id == congress.id)
        .order_by(CongressSession.position, CongressSession.date, AgendaItem.position,
                  AgendaItem.id, Vote.id)))


def vote_of(congress: Congress, vote_id: int) -> Vote:
    """A vote of this congress, else 404 (another congress's vote does not exist here)."""
    vote = db.session.get(Vote, vote_id)
    if vote is None or vote.congress_id != congress.id:
        raise InputRefused(_l("There is no such vote."), 404)
    return vote


def open_votes(congress: Congress) -> list[Vote]:
    return list(db.session.scalars(
        select(Vote).where(Vote.congress_id == congress.id, Vote.state == VoteState.OPEN)
        .order_by(Vote.opened_at, Vote.id)))


def ballots_cast(vote: Vote) -> int:
    """How many delegates have voted on the phones (the projector's live count)."""
    return db.session.scalar(
        select(func.count(VoteBallot.id)).where(VoteBallot.vote_id == vote.id)) or 0


def listed_officials(congress: Congress) -> int:
    return db.session.scalar(select(func.count(Delegate.id)).where(
        Delegate.congress_id == congress.id, Delegate.active.is_(True),
        Delegate.kind == DelegateKind.OFFICIAL)) or 0


def present_at(vote: Vote) -> set[int]:
    """The official delegates present for this vote: checked in to the session of its
    agenda item (a vote of the preparatory session counts that session's attendance,
    whichever session the clock or the door is on) and not checked out."""
    return attendance.present_now(vote.item.session.congress, session=vote.item.session)


def present_count(vote: Vote) -> int:
    return len(present_at(vote))


def convened_count(congress: Congress) -> int:
    return attendance.convened(congress, listed_officials(congress))


def congress_rule(congress: Congress) -> PassingRule:
    try:
        return PassingRule(congress.vote_rule)
    except ValueError:
        return PassingRule.PRESENT


def rule_of(vote: Vote) -> PassingRule:
    """The vote's rule: its own once opened, the congress's before."""
    return vote.rule or congress_rule(vote.item.session.congress)


# Results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """A closed vote's counts against its base; passed is For > half the base."""

    for_count: int
    against_count: int
    abstain_count: int
    rule: PassingRule
    base: int
    present: int
    convened: int

    @property
    def cast(self) -> int:
        return self.for_count + self.against_count + self.abstain_count

    @property
    def passed(self) -> bool:
        return self.base > 0 and 2 * self.for_count > self.base

    def percent(self, count: int) -> float:
        """Of the base, one decimal; 0 on an empty base."""
        return round(100 * count / self.base, 1) if self.base else 0.0

    def share(self, count: int) -> float | None:
        """Of the base, as a fraction to print (i18n.format_share); None on an empty base."""
        return count / self.base if self.base else None

    def as_json(self) -> dict:
        return {"for": self.for_count, "against": self.against_count,
                "abstain": self.abstain_count, "cast": self.cast, "rule": str(self.rule),
                "base": self.base, "present": self.present, "convened": self.convened,
                "passed": self.passed,
                "percent": {"for": self.percent(self.for_count),
                            "against": self.percent(self.against_count),
                            "abstain": self.percent(self.abstain_count)}}


def result(vote: Vote) -> Result | None:
    """The result of a closed vote (None before it closes, or once annulled: hidden)."""
    if vote.state != VoteState.CLOSED or vote.for_count is None:
        return None
    counts = (vote.for_count, vote.against_count or 0, vote.abstain_count or 0)
    rule = vote.rule or PassingRule.PRESENT
    present, convened = vote.present_count or 0, vote.convened_count or 0
    base = {PassingRule.PRESENT: present, PassingRule.CONVENED: convened,
            PassingRule.CAST: sum(counts)}[rule]
    return Result(*counts, rule=rule, base=base, present=present, convened=convened)


def tally(vote: Vote) -> dict[Choice, int]:
    """The counts recomputed from the stored phone ballots: the named ballots' choices, or a
    secret vote's counters (which must add up to its "voted" rows)."""
    if vote.secret:
        rows = db.session.execute(select(VoteCount.choice, VoteCount.count)
                                  .where(VoteCount.vote_id == vote.id)).all()
    else:
        rows = db.session.execute(
            select(VoteBallot.choice, func.count(VoteBallot.id))
            .where(VoteBallot.vote_id == vote.id).group_by(VoteBallot.choice)).all()
    counts = {choice: 0 for choice in Choice}
    for choice, n in rows:
        counts[Choice(choice)] += n
    return counts


# The organisers ----------------------------------------------------------------------------


def _question(text) -> str:
    question = " ".join(str(text or "").split())
    if not question:
        raise InputRefused(_l("Type the question the congress votes on."), field="question")
    if len(question) > QUESTION_MAX:
        raise InputRefused(_l("The question is too long (at most %(n)s characters).",
                              n=QUESTION_MAX), field="question")
    return question


def create(congress: Congress, item: AgendaItem, user: User | None, *, question,
           method, secret: bool = False) -> Vote:
    """A draft vote on an agenda item of this congress; secret only on the phones."""
    if item.session.congress_id != congress.id:
        raise InputRefused(_l("There is no such agenda item."), 404)
    try:
        method = VoteMethod(method)
    except ValueError:
        raise InputRefused(_l("Choose how the congress votes."), field="method") from None
    vote = Vote(congress_id=congress.id, item_id=item.id, question=_question(question),
                method=method, secret=bool(secret) and method == VoteMethod.PHONES,
                state=VoteState.DRAFT)
    db.session.add(vote)
    audit.commit(user, "vote.create", vote, question=vote.question, method=str(method),
                 secret=vote.secret)
    return vote


def set_rule(congress: Congress, rule, user: User | None) -> PassingRule:
    """The congress's passing rule, for the votes opened from now on."""
    try:
        rule = PassingRule(rule)
    except ValueError:
        raise InputRefused(_l("Choose one of the passing rules.")) from None
    if congress.vote_rule != rule.value:
        congress.vote_rule = rule.value
        audit.commit(user, "vote.rule", congress, rule=str(rule))
    return rule


def _refuse_state(vote: Vote, *allowed: VoteState) -> None:
    if vote.state not in allowed:
        raise InputRefused(_l("This vote is %(state)s: that cannot be done now.",
                              state=STATE_WORDS[vote.state]), 409)


STATE_WORDS = {
    VoteState.DRAFT: _l("not yet open"),
    VoteState.OPEN: _l("open"),
    VoteState.CLOSED: _l("closed"),
    VoteState.ANNULLED: _l("annulled"),
}


def open_vote(vote: Vote, user: User | None) -> None:
    """Open a draft vote, copying the congress's rule onto it; a secret vote gets its three
    counters now, so every ballot only ever increments an existing row."""
    _refuse_state(vote, VoteState.DRAFT)
    vote.rule = congress_rule(vote.item.session.congress)
    vote.state = VoteState.OPEN
    vote.opened_at = utcnow()
    if vote.secret:
        db.session.add_all(VoteCount(vote_id=vote.id, choice=c, count=0) for c in Choice)
    audit.commit(user, "vote.open", vote, question=vote.question, rule=str(vote.rule))


def _count(value, label) -> int:
    number = whole_number(str(value).strip(), COUNT_MAX) if value is not None else None
    if number is None or str(value).strip().startswith("-"):
        raise InputRefused(_l("%(label)s: type a whole number, 0 or more.", label=label))
    return number


def record_counts(vote: Vote, user: User | None, *, for_count, against_count, abstain_count,
                  confirmed: bool = False, reason: str = "") -> None:
    """The show of hands' counts, typed by the secretariat while the vote is open.

    Each count is checked against those present now: negative or above them is refused; a
    sum other than the present count is kept only when confirmed with a reason (stored),
    since a miscounted row of hands is the usual mistake.
    """
    _refuse_state(vote, VoteState.OPEN)
    if vote.method != VoteMethod.HANDS:
        raise InputRefused(_l("This vote is on the phones: its counts come from the "
                              "ballots."), 409)
    counts = (_count(for_count, _l("For")), _count(against_count, _l("Against")),
              _count(abstain_count, _l("Abstain")))
    present = present_count(vote)
    if any(n > present for n in counts):
        raise InputRefused(_l("A count cannot exceed the %(n)s delegates present.", n=present))
    reason = " ".join(str(reason or "").split())[:REASON_MAX]
    if sum(counts) != present and not (confirmed and reason):
        raise InputRefused(_l("For, Against and Abstain add up to %(sum)s, but %(n)s delegates "
                              "are present. Count again, or confirm with the reason.",
                              sum=sum(counts), n=present), 409, field="reason")
    vote.for_count, vote.against_count, vote.abstain_count = counts
    vote.mismatch_reason = reason if sum(counts) != present else ""
    audit.commit(user, "vote.counts", vote, question=vote.question, **{
        "for": counts[0], "against": counts[1], "abstain": counts[2]}, present=present,
        reason=vote.mismatch_reason)


def close_vote(vote: Vote, user: User | None) -> None:
    """Close an open vote: take the base (present now, convened) and fix the counts."""
    _refuse_state(vote, VoteState.OPEN)
    congress = vote.item.session.congress
    if vote.method == VoteMethod.HANDS:
        if vote.for_count is None:
            raise InputRefused(_l("Enter the counts of the show of hands before closing."),
                               409)
    else:
        counts = tally(vote)
        vote.for_count, vote.against_count, vote.abstain_count = (
            counts[Choice.FOR], counts[Choice.AGAINST], counts[Choice.ABSTAIN])
    vote.present_count = present_count(vote)
    vote.convened_count = convened_count(congress)
    vote.state = VoteState.CLOSED
    vote.closed_at = utcnow()
    outcome = result(vote)
    audit.commit(user, "vote.close", vote, question=vote.question, **{
        "for": vote.for_count, "against": vote.against_count, "abstain": vote.abstain_count},
        base=outcome.base, passed=outcome.passed)


def annul_vote(vote: Vote, user: User | None, reason) -> None:
    """Annul an open or closed vote, with the reason; the counts stay stored, unshown."""
    _refuse_state(vote, VoteState.OPEN, VoteState.CLOSED)
    reason = " ".join(str(reason or "").split())[:REASON_MAX]
    if not reason:
        raise InputRefused(_l("Say why the vote is annulled."), field="reason")
    vote.state = VoteState.ANNULLED
    vote.annul_reason = reason
    vote.annulled_at = utcnow()
    audit.commit(user, "vote.annul", vote, question=vote.question, reason=reason)


# The delegates ---------------------------------------------------------------------------


def eligible(vote: Vote, delegate: Delegate, present: set[int] | None = None) -> bool:
    """May this delegate vote on it now (open, on the phones, present official)?"""
    if vote.state != VoteState.OPEN or vote.method != VoteMethod.PHONES:
        return False
    if delegate.congress_id != vote.congress_id or not delegate.active \
            or delegate.kind != DelegateKind.OFFICIAL:
        return False
    return delegate.id in (present if present is not None else present_at(vote))


def voted_on(delegate: Delegate, vote_ids: list[int]) -> set[int]:
    """Which of these votes the delegate has a ballot in."""
    if not vote_ids:
        return set()
    return set(db.session.scalars(select(VoteBallot.vote_id).where(
        VoteBallot.delegate_id == delegate.id, VoteBallot.vote_id.in_(vote_ids))))


def ballot_of(vote: Vote, delegate: Delegate) -> VoteBallot | None:
    return db.session.scalar(select(VoteBallot).where(
        VoteBallot.vote_id == vote.id, VoteBallot.delegate_id == delegate.id))


def _refuse_voter(vote: Vote, delegate: Delegate) -> None:
    if delegate.congress_id != vote.congress_id:
        raise InputRefused(_l("There is no such vote."), 404)
    if vote.method != VoteMethod.PHONES:
        raise InputRefused(_l("This vote is by show of hands, not on the phones."), 409)
    if vote.state != VoteState.OPEN or closing.is_closed(vote.item.session.congress):
        raise InputRefused(_l("This vote is not open: nothing was recorded."), 423)
    if delegate.kind != DelegateKind.OFFICIAL or not delegate.active:
        raise InputRefused(_l("Only official delegates vote; alternates and guests do not."),
                           403)
    if delegate.id not in present_at(vote):
        raise InputRefused(_l("Only delegates checked in as present may vote. Please check "
                              "in at the door first."), 403)


ALREADY_SECRET = _l("You have already voted in this secret vote; a secret ballot cannot be "
                    "changed.")


def cast(vote: Vote, delegate: Delegate, choice, client_id: str = "") -> bool:
    """Record the delegate's choice; True when it was recorded now, False when the very same
    ballot (same client id, or a named vote's same choice) had been recorded already.

    A secret vote inserts the "voted" row and increments the choice's counter in one
    transaction; a second ballot hits the unique constraint and changes nothing (409). A
    named vote's ballot may be changed until the vote closes.
    """
    try:
        choice = Choice(choice)
    except ValueError:
        raise InputRefused(_l("Choose For, Against or Abstain.")) from None
    _refuse_voter(vote, delegate)
    client_id = str(client_id or "")[:40]
    existing = ballot_of(vote, delegate)
    if existing is not None:
        return _again(vote, existing, choice, client_id)
    db.session.add(VoteBallot(vote_id=vote.id, delegate_id=delegate.id, client_id=client_id,
                              choice=None if vote.secret else choice))
    try:
        if vote.secret:
            db.session.flush()
            db.session.execute(update(VoteCount).where(
                VoteCount.vote_id == vote.id, VoteCount.choice == choice)
                .values(count=VoteCount.count + 1))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        existing = ballot_of(vote, delegate)
        if existing is None:
            raise
        return _again(vote, existing, choice, client_id)
    return True


def _again(vote: Vote, ballot: VoteBallot, choice: Choice, client_id: str) -> bool:
    """A second ballot of the same delegate: the same tap again is calm, a named vote's new
    choice replaces the old one, a secret vote's is refused."""
    if vote.secret:
        if client_id and ballot.client_id == client_id:
            return False
        raise InputRefused(ALREADY_SECRET, 409)
    if ballot.choice == choice:
        return False
    ballot.choice = choice
    ballot.client_id = client_id
    db.session.commit()
    return True


# The projector ---------------------------------------------------------------------------


def _latest(congress: Congress, state: VoteState, column) -> Vote | None:
    return db.session.scalar(select(Vote).where(Vote.congress_id == congress.id,
                                                Vote.state == state)
                             .order_by(column.desc(), Vote.id.desc()).limit(1))


def screen_vote(congress: Congress, current: AgendaItem | None) -> Vote | None:
    """The vote the hall's projector shows: the open vote (the latest opened), else the
    latest closed one while its agenda item is on stage (moving on clears the result)."""
    vote = _latest(congress, VoteState.OPEN, Vote.opened_at)
    if vote is not None:
        return vote
    vote = _latest(congress, VoteState.CLOSED, Vote.closed_at)
    if vote is not None and current is not None and vote.item_id == current.id:
        return vote
    return None


def screen_version(congress: Congress) -> str:
    """What the projector's vote part depends on, cheaply: the latest opened and closed
    votes' ids and states, and the open one's ballots so far (the live count)."""
    shown = _latest(congress, VoteState.OPEN, Vote.opened_at)
    closed = _latest(congress, VoteState.CLOSED, Vote.closed_at)
    annulled = db.session.scalar(select(func.count(Vote.id)).where(
        Vote.congress_id == congress.id, Vote.state == VoteState.ANNULLED))
    parts = [f"o{shown.id}:{ballots_cast(shown)}:{present_count(shown)}" if shown
             else "o-",
             f"c{closed.id}" if closed else "c-", f"a{annulled}"]
    return "|".join(parts)
