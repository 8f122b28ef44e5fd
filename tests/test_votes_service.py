"""Votes in the service: who may vote, one ballot per delegate by the database, secret
ballots that hold no link to a delegate, the show of hands' checks, the rule and the base."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event, func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from congress_app.extensions import db
from congress_app.models import (
    AuditEvent,
    Choice,
    Delegate,
    PassingRule,
    Vote,
    VoteBallot,
    VoteCount,
    VoteMethod,
    VoteState,
)
from congress_app.services import votes as vote_service
from congress_app.services.errors import InputRefused

from .conftest import add_delegates
from .threads import join_all
from .votes_fixtures import PRESENT


def _refused(call, *args, **kwargs) -> InputRefused:
    with pytest.raises(InputRefused) as caught:
        call(*args, **kwargs)
    return caught.value


def _ballots(vote) -> int:
    return db.session.scalar(select(func.count(VoteBallot.id))
                             .where(VoteBallot.vote_id == vote.id))


# A secret vote ----------------------------------------------------------------------------


def test_a_secret_vote_stores_who_voted_apart_from_what_was_chosen(hall, make_vote):
    vote = make_vote(secret=True)
    choices = [Choice.FOR, Choice.FOR, Choice.AGAINST, Choice.FOR, Choice.ABSTAIN]
    for delegate, choice in zip(hall["present"], choices, strict=False):
        assert vote_service.cast(vote, delegate, choice) is True

    # The "voted" rows: a delegate and no choice. The counters: no delegate column at all,
    # no time, nothing ordered by arrival.
    rows = db.session.execute(text("SELECT * FROM vote_ballots WHERE vote_id = :v"),
                              {"v": vote.id}).mappings().all()
    assert len(rows) == 5 and all(row["choice"] is None for row in rows)
    columns = {c["name"] for c in inspect(db.engine).get_columns("vote_counts")}
    assert columns == {"vote_id", "choice", "count"}
    counts = dict(db.session.execute(text(
        "SELECT choice, count FROM vote_counts WHERE vote_id = :v"), {"v": vote.id}).all())
    assert counts == {"for": 3, "against": 1, "abstain": 1}
    assert vote_service.result(vote) is None  # hidden while open

    vote_service.close_vote(vote, None)
    outcome = vote_service.result(vote)
    assert (outcome.for_count, outcome.against_count, outcome.abstain_count) == (3, 1, 1)
    assert vote_service.tally(vote) == {Choice.FOR: 3, Choice.AGAINST: 1, Choice.ABSTAIN: 1}
    assert outcome.rule == PassingRule.PRESENT and outcome.base == PRESENT
    assert not outcome.passed  # 3 of 7 present is not more than half
    assert outcome.percent(3) == pytest.approx(42.9)


def test_voting_twice_on_a_secret_vote_is_refused_and_changes_nothing(hall, make_vote):
    vote = make_vote(secret=True)
    delegate = hall["present"][0]
    assert vote_service.cast(vote, delegate, "for", client_id="tap-1") is True
    # The same tap sent again (a double tap, a retry): calm, still one ballot.
    assert vote_service.cast(vote, delegate, "for", client_id="tap-1") is False
    refused = _refused(vote_service.cast, vote, delegate, "against", client_id="tap-2")
    assert refused.status == 409 and refused.message is vote_service.ALREADY_SECRET
    assert _ballots(vote) == 1
    assert vote_service.tally(vote) == {Choice.FOR: 1, Choice.AGAINST: 0, Choice.ABSTAIN: 0}


def test_the_database_itself_refuses_a_second_ballot(hall, make_vote):
    vote = make_vote()
    delegate = hall["present"][0]
    db.session.add(VoteBallot(vote_id=vote.id, delegate_id=delegate.id, choice=Choice.FOR))
    db.session.commit()
    db.session.add(VoteBallot(vote_id=vote.id, delegate_id=delegate.id, choice=Choice.AGAINST))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


# A named vote ------------------------------------------------------------------------------


def test_a_named_ballot_may_change_until_closing_and_then_not(hall, make_vote):
    vote = make_vote()
    first, second = hall["present"][:2]
    vote_service.cast(vote, first, "against")
    vote_service.cast(vote, second, "for")
    assert vote_service.cast(vote, first, "for") is True  # changed its mind
    assert vote_service.cast(vote, first, "for") is False  # the same again
    assert vote_service.ballot_of(vote, first).choice == Choice.FOR
    vote_service.close_vote(vote, None)
    assert (vote.for_count, vote.against_count, vote.abstain_count) == (2, 0, 0)
    refused = _refused(vote_service.cast, vote, first, "against")
    assert refused.status == 423
    assert vote_service.ballot_of(vote, first).choice == Choice.FOR


def test_who_may_not_vote_is_told_why_and_nothing_is_stored(hall, make_vote, other_congress):
    vote = make_vote()
    assert _refused(vote_service.cast, vote, hall["alternate"], "for").status == 403
    assert _refused(vote_service.cast, vote, hall["absent"][0], "for").status == 403
    stranger = db.session.scalar(select(Delegate).where(
        Delegate.congress_id == other_congress.id))
    assert _refused(vote_service.cast, vote, stranger, "for").status == 404
    assert _refused(vote_service.cast, vote, hall["present"][0], "maybe").status == 400
    draft = make_vote(opened=False)
    assert _refused(vote_service.cast, draft, hall["present"][0], "for").status == 423
    hands = make_vote(method=VoteMethod.HANDS)
    assert _refused(vote_service.cast, hands, hall["present"][0], "for").status == 409
    assert db.session.scalar(select(func.count(VoteBallot.id))) == 0
    assert vote_service.eligible(vote, hall["present"][0])
    assert not vote_service.eligible(vote, hall["alternate"])


# Phones at the same moment -----------------------------------------------------------------


@pytest.mark.parametrize("secret", [True, False], ids=["secret", "named"])
def test_phones_voting_at_the_same_moment_count_exactly_once_each(
        app, congress, make_vote, secret):
    """Every phone in its own thread, app context and session; they all start together and
    two of them tap twice (the same delegate in two threads)."""
    from congress_app.services import attendance

    delegates = add_delegates(congress, 24)
    for delegate in delegates:
        attendance.check_in(delegate)
    vote_id = make_vote(secret=secret).id
    ids = [d.id for d in delegates] + [delegates[0].id, delegates[1].id]
    start = threading.Barrier(len(ids), timeout=30)
    errors: list[BaseException] = []
    refused: list[int] = []

    def phone(delegate_id: int, n: int):
        try:
            with app.app_context():
                vote = db.session.get(Vote, vote_id)
                delegate = db.session.get(Delegate, delegate_id)
                db.session.commit()  # the connection goes back to the pool while waiting
                start.wait()
                try:
                    vote_service.cast(vote, delegate, list(Choice)[n % 3], client_id=f"c{n}")
                except InputRefused as no:
                    refused.append(no.status)
                db.session.remove()
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    phones = [threading.Thread(target=phone, args=(i, n)) for n, i in enumerate(ids)]
    for thread in phones:
        thread.start()
    join_all(phones, 60)
    assert not errors, errors
    db.session.expire_all()
    vote = db.session.get(Vote, vote_id)
    assert _ballots(vote) == 24
    assert sum(vote_service.tally(vote).values()) == 24
    assert all(status == 409 for status in refused)
    if secret:  # the second taps chose another choice with another client id
        assert len(refused) == 2


def test_a_ballot_whose_counter_fails_leaves_no_voted_row(hall, make_vote):
    """The "voted" row and the counter are one transaction: the counter update failing
    (here forced) leaves the delegate free to vote, and nothing counted."""
    vote = make_vote(secret=True)

    def fail_the_counter(conn, cursor, statement, *args):
        if statement.startswith("UPDATE vote_counts"):
            raise RuntimeError("the server died here")

    event.listen(db.engine, "before_cursor_execute", fail_the_counter)
    try:
        with pytest.raises(RuntimeError):
            vote_service.cast(vote, hall["present"][0], "for")
    finally:
        event.remove(db.engine, "before_cursor_execute", fail_the_counter)
    db.session.rollback()
    assert _ballots(vote) == 0
    assert vote_service.cast(vote, hall["present"][0], "for") is True
    assert vote_service.tally(vote)[Choice.FOR] == 1


# Show of hands -------------------------------------------------------------------------------


def test_the_show_of_hands_is_checked_against_those_present(hall, make_vote):
    vote = make_vote(method=VoteMethod.HANDS)
    counts = {"for_count": "5", "against_count": "1", "abstain_count": "1"}
    for bad in ({"for_count": "-1"}, {"for_count": "8"}, {"against_count": "x"},
                {"abstain_count": ""}):
        assert _refused(vote_service.record_counts, vote, None, **(counts | bad)).status == 400
    # 5 + 1 + 0 = 6 of 7 present: a mismatch, kept only when confirmed with a reason.
    short = counts | {"abstain_count": "0"}
    assert _refused(vote_service.record_counts, vote, None, **short).status == 409
    assert _refused(vote_service.record_counts, vote, None, confirmed=True,
                    **short).status == 409
    db.session.refresh(vote)
    assert vote.for_count is None
    assert _refused(vote_service.close_vote, vote, None).status == 409  # no counts yet
    vote_service.record_counts(vote, None, confirmed=True, reason="Một đại biểu ra ngoài",
                               **short)
    assert vote.mismatch_reason == "Một đại biểu ra ngoài"
    vote_service.record_counts(vote, None, **counts)  # counted again: it adds up
    assert vote.mismatch_reason == ""
    vote_service.close_vote(vote, None)
    outcome = vote_service.result(vote)
    assert (outcome.for_count, outcome.base, outcome.passed) == (5, PRESENT, True)
    assert _refused(vote_service.record_counts, vote, None, **counts).status == 409


def test_the_rule_is_copied_when_the_vote_opens(hall, make_vote, congress):
    vote = make_vote(method=VoteMethod.HANDS, opened=False)
    vote_service.set_rule(congress, "convened", None)
    vote_service.open_vote(vote, None)
    vote_service.set_rule(congress, "cast", None)  # later votes only
    vote_service.record_counts(vote, None, for_count="7", against_count="0",
                               abstain_count="0")
    vote_service.close_vote(vote, None)
    outcome = vote_service.result(vote)
    # Convened is the congress's 168: 7 for is far from more than half.
    assert (outcome.rule, outcome.base, outcome.passed) == (PassingRule.CONVENED, 168, False)
    assert _refused(vote_service.set_rule, congress, "most", None).status == 400


def test_annulling_needs_a_reason_and_hides_the_result(hall, make_vote):
    vote = make_vote(method=VoteMethod.HANDS)
    assert _refused(vote_service.annul_vote, vote, None, "  ").status == 400
    vote_service.annul_vote(vote, None, "Nhầm câu hỏi")
    assert vote.state == VoteState.ANNULLED and vote.annul_reason == "Nhầm câu hỏi"
    assert vote_service.result(vote) is None
    assert _refused(vote_service.open_vote, vote, None).status == 409
    actions = list(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.object_type == "Vote").order_by(AuditEvent.id)))
    assert actions == ["vote.create", "vote.open", "vote.annul"]


def test_secret_counters_exist_from_the_opening(hall, make_vote):
    vote = make_vote(secret=True)
    assert db.session.scalar(select(func.count()).select_from(VoteCount)
                             .where(VoteCount.vote_id == vote.id)) == 3


# The congress's record -------------------------------------------------------------------


def test_an_item_voted_on_cannot_be_deleted_but_the_whole_congress_can(
        hall, make_vote, congress):
    from congress_app.models import Congress
    from congress_app.services import agenda as agenda_service
    from congress_app.services import deletion
    from congress_app.storage import file_store

    vote = make_vote(secret=True)
    vote_service.cast(vote, hall["present"][0], "for")
    item = vote.item
    assert _refused(agenda_service.delete_item, item).status == 409
    assert _refused(agenda_service.delete_session, item.session).status == 409
    assert db.session.get(Vote, vote.id) is not None
    congress_id = congress.id
    deletion.delete_congress(congress, congress.slug, user=None, store=file_store())
    db.session.expire_all()
    assert db.session.get(Congress, congress_id) is None
    for model in (Vote, VoteBallot, VoteCount):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0


def test_no_ballot_once_the_congress_is_closed(hall, make_vote, congress):
    from congress_app.services import closing

    vote = make_vote()
    closing.close(congress)
    assert _refused(vote_service.cast, vote, hall["present"][0], "for").status == 423
    assert _ballots(vote) == 0


def test_the_purge_removes_who_voted_what_and_keeps_the_results(hall, make_vote, congress):
    from congress_app.services import closing

    named = make_vote()
    for delegate, choice in zip(hall["present"][:3], ["for", "for", "against"], strict=True):
        vote_service.cast(named, delegate, choice)
    vote_service.close_vote(named, None)
    closing.close(congress)
    counts = closing.purge_personal_data(congress, congress.slug)
    assert counts["ballots_removed"] == 3
    assert db.session.scalar(select(func.count(VoteBallot.id))) == 0
    outcome = vote_service.result(db.session.get(Vote, named.id))
    assert (outcome.for_count, outcome.against_count) == (2, 1)


def test_a_delegate_who_voted_is_not_deleted_even_after_the_check_in_is_undone(
        congress, hall, make_vote):
    """The door may undo a check-in after the delegate voted: the ballot still names them."""
    from congress_app.services import delegates as delegate_service

    vote = make_vote()
    voter = hall["present"][0]
    vote_service.cast(vote, voter, "for")
    db.session.delete(voter.checkin)
    db.session.commit()
    refused = _refused(delegate_service.delete_delegate, voter)
    assert refused.status == 409 and "đã biểu quyết" in str(refused.message)
    assert db.session.get(type(voter), voter.id) is not None


def test_a_vote_counts_those_present_in_its_own_session(congress, hall, make_vote):
    """Seen when tried: the door recorded for the preparatory session while the clock was
    on another, and the preparatory vote counted 0 present, refusing every typed count."""
    from datetime import timedelta

    from congress_app.models import AgendaItem, CongressSession
    from congress_app.services import attendance

    first = congress.sessions[0]
    later = CongressSession(congress=congress, name="Phiên chính thức", position=99,
                            date=first.date + timedelta(days=1), starts_at=first.starts_at)
    later.items = [AgendaItem(position=1, title="Thông qua Nghị quyết")]
    db.session.add(later)
    db.session.commit()
    arrived = hall["officials"][:3]
    for delegate in arrived:  # the clock is on the later session now
        attendance.check_in(delegate, session=later)
    preparatory = make_vote(method=VoteMethod.HANDS)  # on the first session's item
    assert vote_service.present_count(preparatory) == PRESENT
    resolution = vote_service.create(congress, later.items[0], None,
                                     question="Thông qua Nghị quyết Đại hội",
                                     method=VoteMethod.PHONES)
    vote_service.open_vote(resolution, None)
    assert vote_service.present_at(resolution) == {d.id for d in arrived}
    assert vote_service.eligible(resolution, arrived[0])
    assert not vote_service.eligible(resolution, hall["present"][5])  # in the first only
