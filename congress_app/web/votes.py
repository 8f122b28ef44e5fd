"""Votes (biểu quyết), the organisers' pages; the delegate's phone is web/ballots.py.

Organisers (admins, editors) create votes on agenda items, open, count (show of hands),
close and annul them; every vote is loaded with access.own_or_404, so another congress's id
answers 404. Results are shown only once a vote is closed, to organisers and delegates alike.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField

from ..labels import METHOD_LABELS, RULE_LABELS
from ..models import AgendaItem, Vote, VoteMethod, VoteState
from ..numbers import whole_number
from ..services import stage as stage_service
from ..services import submissions as submission_service
from ..services import votes as vote_service
from ..services.errors import InputRefused
from . import render_error
from .access import organiser_required, own_or_404
from .editing import acting_user, refused_on_form, sent_again, submit
from .organiser_forms import OnceForm
from .tenancy import congress_or_404

bp = Blueprint("votes", __name__)


# Forms -------------------------------------------------------------------------------------


class NewVoteForm(OnceForm):
    """A new vote; its one-time token makes the same form sent twice one vote."""

    item_id = HiddenField()
    question = StringField(_l("Question"))
    method = SelectField(_l("Method"), validate_choice=False)
    secret = BooleanField(_l("Secret (phones only): nobody can see who voted what"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.method.choices = [(m.value, label) for m, label in METHOD_LABELS.items()]


class RuleForm(FlaskForm):
    rule = SelectField(_l("Passing rule of the votes opened from now on"),
                       validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rule.choices = [(r.value, label) for r, label in RULE_LABELS.items()]


class CountsForm(FlaskForm):
    for_count = StringField(_l("For"))
    against_count = StringField(_l("Against"))
    abstain_count = StringField(_l("Abstain"))
    confirmed = BooleanField(_l("The sum differs from those present: I confirm it"))
    reason = TextAreaField(_l("Reason the sum differs"))


class AnnulForm(FlaskForm):
    reason = TextAreaField(_l("Reason for annulling"))


class ActionForm(FlaskForm):
    """Open or close: the CSRF token only."""


def _valid_or_400(form: FlaskForm) -> None:
    if not form.validate_on_submit():
        abort(400)


# The organisers' list ----------------------------------------------------------------------


@bp.get("/organiser/votes")
@organiser_required
def index():
    """The agenda items in programme order with their votes, a form to add one to each."""
    congress = congress_or_404()
    votes = vote_service.votes_of(congress)
    by_item: dict[int, list[Vote]] = {}
    for vote in votes:
        by_item.setdefault(vote.item_id, []).append(vote)
    rule_form = RuleForm(rule=vote_service.congress_rule(congress).value)
    items = stage_service.programme_order(congress)
    item_ids = [item.id for item in items]
    return render_template(
        "votes/index.html", congress=congress, items=items,
        by_item=by_item, new_form=NewVoteForm(), rule_form=rule_form,
        once={item_id: submission_service.new_token() for item_id in item_ids},
        cast={v.id: vote_service.ballots_cast(v) for v in votes
              if v.method == VoteMethod.PHONES and v.state == VoteState.OPEN},
        active="votes.index")


@bp.post("/organiser/votes/rule")
@organiser_required
def set_rule():
    congress = congress_or_404()
    form = RuleForm()
    _valid_or_400(form)
    rule = vote_service.set_rule(congress, form.rule.data, acting_user())
    flash(_("Votes opened from now on pass with: %(rule)s.", rule=RULE_LABELS[rule]),
          "success")
    return redirect(url_for(".index"))


@bp.post("/organiser/votes/new")
@organiser_required
def create():
    congress = congress_or_404()
    form = NewVoteForm()
    _valid_or_400(form)
    item_id = whole_number(form.item_id.data or "")
    if item_id is None:
        abort(400)
    item = own_or_404(AgendaItem, item_id)
    try:
        sent = submit(form, lambda: vote_service.create(
            congress, item, acting_user(), question=form.question.data,
            method=form.method.data, secret=form.secret.data), once="vote")
    except submission_service.AlreadySubmitted as seen:
        return sent_again(seen, url_for(".detail", vote_id=seen.object_id)
                          if seen.object_id else url_for(".index"))
    if not sent.done:
        errors = [*form.question.errors, *form.method.errors, *form.form_errors]
        return render_error(sent.status, errors[0] if errors else None)
    flash(_("The vote has been added; open it when the congress votes."), "success")
    return redirect(url_for(".detail", vote_id=sent.value.id))


# One vote ----------------------------------------------------------------------------------


def _detail(vote: Vote, *, counts_form: CountsForm | None = None,
            annul_form: AnnulForm | None = None, status: int = 200):
    congress = congress_or_404()
    if counts_form is None:
        counts_form = CountsForm()
        if vote.for_count is not None:
            counts_form.for_count.data = str(vote.for_count)
            counts_form.against_count.data = str(vote.against_count)
            counts_form.abstain_count.data = str(vote.abstain_count)
    return render_template(
        "votes/detail.html", congress=congress, vote=vote, rule=vote_service.rule_of(vote),
        result=vote_service.result(vote), cast=vote_service.ballots_cast(vote),
        present=vote_service.present_count(vote), counts_form=counts_form,
        annul_form=annul_form or AnnulForm(), action_form=ActionForm(),
        active="votes.index"), status


@bp.get("/organiser/votes/<int:vote_id>")
@organiser_required
def detail(vote_id: int):
    return _detail(own_or_404(Vote, vote_id))


def _act(vote: Vote, call, done: str):
    _valid_or_400(ActionForm())
    try:
        call(vote, acting_user())
    except InputRefused as refused:
        flash(refused.message, "error")
        return _detail(vote, status=refused.status)
    flash(done, "success")
    return redirect(url_for(".detail", vote_id=vote.id))


@bp.post("/organiser/votes/<int:vote_id>/open")
@organiser_required
def open_vote(vote_id: int):
    return _act(own_or_404(Vote, vote_id), vote_service.open_vote, _("The vote is open."))


@bp.post("/organiser/votes/<int:vote_id>/close")
@organiser_required
def close_vote(vote_id: int):
    return _act(own_or_404(Vote, vote_id), vote_service.close_vote, _("The vote is closed."))


@bp.post("/organiser/votes/<int:vote_id>/counts")
@organiser_required
def counts(vote_id: int):
    vote = own_or_404(Vote, vote_id)
    form = CountsForm()
    _valid_or_400(form)
    try:
        vote_service.record_counts(
            vote, acting_user(), for_count=form.for_count.data,
            against_count=form.against_count.data, abstain_count=form.abstain_count.data,
            confirmed=form.confirmed.data, reason=form.reason.data)
    except InputRefused as refused:
        status = refused_on_form(form, refused)
        return _detail(vote, counts_form=form, status=status)
    flash(_("The counts have been saved. Close the vote to announce the result."), "success")
    return redirect(url_for(".detail", vote_id=vote.id))


@bp.post("/organiser/votes/<int:vote_id>/annul")
@organiser_required
def annul(vote_id: int):
    vote = own_or_404(Vote, vote_id)
    form = AnnulForm()
    _valid_or_400(form)
    try:
        vote_service.annul_vote(vote, acting_user(), form.reason.data)
    except InputRefused as refused:
        status = refused_on_form(form, refused)
        return _detail(vote, annul_form=form, status=status)
    flash(_("The vote has been annulled."), "success")
    return redirect(url_for(".detail", vote_id=vote.id))


@bp.get("/organiser/votes/<int:vote_id>/minutes.pdf")
@organiser_required
def minutes_pdf(vote_id: int):
    """The closed vote's result as a printable PDF for the minutes."""
    from ..pdf.vote_minutes import render_vote_minutes_pdf
    from .cards import download_filename, send_private_pdf

    vote = own_or_404(Vote, vote_id)
    if vote_service.result(vote) is None:
        return render_error(409, _l("The minutes of a vote are printed once it is closed."))
    return send_private_pdf(render_vote_minutes_pdf(vote),
                            download_filename(_l("Vote"), str(vote.id), vote.question))


@bp.get("/organiser/votes/minutes.pdf")
@organiser_required
def congress_minutes_pdf():
    """The congress's minutes (biên bản Đại hội): sessions, attendance and every vote, as
    of now, in the language asked for (or the organiser's own)."""
    from ..i18n import print_language
    from ..pdf.congress_minutes import render_congress_minutes_pdf
    from .cards import download_filename, send_private_pdf

    congress = congress_or_404()
    language = print_language(request.args)
    return send_private_pdf(
        render_congress_minutes_pdf(congress, language=language),
        download_filename(_l("Minutes of the congress"), congress.organisation,
                          language=language))
