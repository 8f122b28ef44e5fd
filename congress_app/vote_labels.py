"""Translated names for a vote's stored values (method, rule, state, choice)."""

from flask_babel import lazy_gettext as _l

from .models import Choice, PassingRule, VoteMethod, VoteState

METHOD_LABELS = {
    VoteMethod.HANDS: _l("Show of hands"),
    VoteMethod.PHONES: _l("On the phones"),
}

RULE_LABELS = {
    PassingRule.PRESENT: _l("More than half of the delegates present"),
    PassingRule.CONVENED: _l("More than half of the delegates convened"),
    PassingRule.CAST: _l("More than half of the votes cast"),
}

STATE_LABELS = {
    VoteState.DRAFT: _l("Not yet open"),
    VoteState.OPEN: _l("Open"),
    VoteState.CLOSED: _l("Closed"),
    VoteState.ANNULLED: _l("Annulled"),
}

CHOICE_LABELS = {
    Choice.FOR: _l("For"),
    Choice.AGAINST: _l("Against"),
    Choice.ABSTAIN: _l("Abstain"),
}


def vote_labels() -> dict:
    """For templates: every label dict by name."""
    return {"method_labels": METHOD_LABELS, "rule_labels": RULE_LABELS,
            "vote_state_labels": STATE_LABELS, "choice_labels": CHOICE_LABELS}
