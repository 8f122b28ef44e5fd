"""Votes on a delegate's phone: the banner on every page while a vote awaits them, and
/vote/<id> with three big buttons (Tán thành / Không tán thành / Không biểu quyết), then the
result once the vote closes. Who may vote is the service's to decide (services/votes.py);
a double tap is one ballot (the form's client id, or the unique constraint).
"""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField

from ..labels import CHOICE_LABELS, vote_labels
from ..models import Delegate, Vote, VoteMethod, VoteState
from ..services import votes as vote_service
from ..services.errors import InputRefused
from . import render_error

bp = Blueprint("ballots", __name__)


class BallotForm(FlaskForm):
    client_id = HiddenField()


def _delegate() -> Delegate | None:
    user = current_user._get_current_object()
    return user if getattr(user, "is_delegate", False) and user.is_authenticated else None


def vote_banner() -> list[Vote]:
    """The open votes the signed-in delegate may vote on now and has not yet voted on (none
    for anyone else): a reminder, gone once the ballot is in."""
    delegate = _delegate()
    if delegate is None:
        return []
    votes = [v for v in vote_service.open_votes(delegate.congress)
             if v.method == VoteMethod.PHONES]
    if not votes:
        return []
    voted = vote_service.voted_on(delegate, [v.id for v in votes])
    return [v for v in votes if v.id not in voted and vote_service.eligible(v, delegate)]


def votes_context() -> dict:
    """base.html asks vote_banner() on every page: one query for a delegate while no vote
    is open, none for anyone else."""
    return {"vote_banner": vote_banner, **vote_labels()}


def _voter_vote(vote_id: int) -> tuple[Delegate, Vote]:
    delegate = _delegate()
    if delegate is None:
        if not current_user.is_authenticated:
            target = request.full_path.removesuffix("?")
            abort(redirect(url_for("delegate.sign_in", next=target)))
        raise InputRefused(_l("Votes are cast by delegates, signed in with their delegate "
                              "card."), 403)
    vote = vote_service.vote_of(delegate.congress, vote_id)
    if vote.state == VoteState.DRAFT:
        raise InputRefused(_l("There is no such vote."), 404)
    return delegate, vote


@bp.route("/vote/<int:vote_id>", methods=["GET", "POST"])
def ballot(vote_id: int):
    """The vote on a phone: the question and three big buttons, or the result once closed."""
    delegate, vote = _voter_vote(vote_id)
    form = BallotForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)  # the CSRF token: the page is sent again from a fresh copy
        try:
            new = vote_service.cast(vote, delegate, request.form.get("choice", ""),
                                    client_id=form.client_id.data)
        except InputRefused as refused:
            return render_error(refused.status, refused.message)
        if new and not vote.secret:  # a secret ballot's page says it, once, in its box
            flash(_("Your vote has been recorded."), "success")
        elif not new:
            flash(_("This vote had already been recorded, so it was counted once."), "info")
        return redirect(url_for(".ballot", vote_id=vote.id))
    form.client_id.data = str(uuid.uuid4())
    mine = vote_service.ballot_of(vote, delegate)
    return render_template(
        "votes/ballot.html", vote=vote, form=form, mine=mine, congress=delegate.congress,
        may_vote=vote_service.eligible(vote, delegate) and not (vote.secret and mine),
        result=vote_service.result(vote), choices=list(CHOICE_LABELS))
