"""Translated names for the values stored in the database."""

from flask_babel import lazy_gettext as _l

from .models import (
    AnchorState,
    Choice,
    Classification,
    CommentAuthors,
    CommentScope,
    DelegateKind,
    DocumentCategory,
    EducationLevel,
    PassingRule,
    Role,
    Sex,
    Stance,
    TheoryLevel,
    Visibility,
    VoteMethod,
    VoteState,
)

CATEGORY_LABELS = {
    DocumentCategory.PROGRAMME: _l("Programme"),
    DocumentCategory.WORKING_RULES: _l("Working rules"),
    DocumentCategory.POLITICAL_REPORT: _l("Political report"),
    DocumentCategory.REVIEW_REPORT: _l("Review report"),
    DocumentCategory.COMMENTS_SUMMARY: _l("Summary of comments on draft documents"),
    DocumentCategory.DISCUSSION_PAPER: _l("Discussion papers"),
    DocumentCategory.DRAFT_RESOLUTION: _l("Draft resolution"),
    DocumentCategory.HIGHER_DRAFT: _l("Higher-level draft documents"),
    DocumentCategory.PRESS_RELEASE: _l("Press release"),
    DocumentCategory.OTHER: _l("Other documents"),
}

VISIBILITY_LABELS = {
    Visibility.PUBLIC: _l("Public"),
    Visibility.DELEGATES: _l("Delegates only"),
    Visibility.ORGANISERS: _l("Organisers only"),
}

ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.EDITOR: _l("Editor"),
    Role.CHECKIN: _l("Check-in staff"),
}

DELEGATE_KIND_LABELS = {
    DelegateKind.OFFICIAL: _l("Official delegate"),
    DelegateKind.ALTERNATE: _l("Alternate delegate"),
    DelegateKind.GUEST: _l("Guest"),
}

SEX_LABELS = {
    Sex.MALE: _l("Male"),
    Sex.FEMALE: _l("Female"),
}

EDUCATION_LABELS = {
    EducationLevel.DOCTORATE: _l("Doctorate"),
    EducationLevel.MASTER: _l("Master's degree"),
    EducationLevel.UNIVERSITY: _l("University degree"),
    EducationLevel.COLLEGE: _l("College"),
    EducationLevel.VOCATIONAL: _l("Vocational (intermediate)"),
    EducationLevel.GENERAL: _l("General education only"),
}

THEORY_LABELS = {
    TheoryLevel.ADVANCED: _l("Advanced level"),
    TheoryLevel.INTERMEDIATE: _l("Intermediate level"),
    TheoryLevel.ELEMENTARY: _l("Elementary level"),
    TheoryLevel.NONE: _l("Not yet trained"),
}

STANCE_LABELS = {
    Stance.AGREE: _l("Agree"),
    Stance.DISAGREE: _l("Disagree"),
    Stance.PARTLY: _l("Partly agree"),
}

COMMENT_SCOPE_LABELS = {
    CommentScope.PARAGRAPHS: _l("Each paragraph, and the whole document"),
    CommentScope.DOCUMENT: _l("The whole document only"),
}

COMMENT_AUTHORS_LABELS = {
    CommentAuthors.OFFICIAL_DELEGATES: _l("Official delegates, each on their own behalf"),
    CommentAuthors.GROUP_SECRETARIES: _l("Discussion-group secretaries, entering their "
                                         "group's opinion"),
    CommentAuthors.DELEGATES_AND_GROUPS: _l("Both: delegates on their own behalf, and the "
                                            "group secretaries for their group"),
}

# Góp ý, the secretariat's answer to a comment in the compiled report.
CLASSIFICATION_LABELS = {
    Classification.ACCEPTED: _l("Accepted"),
    Classification.EXPLAINED: _l("Explained"),
    Classification.NOT_ACCEPTED: _l("Not accepted"),
    Classification.ALREADY_IN_DRAFT: _l("Already in the draft"),
}

# Góp ý: a comment whose paragraph moved on in a newer version (services/comment_anchoring);
# a comment still on the same words has no flag.
ANCHOR_STATE_LABELS = {
    AnchorState.CHANGED: _l("Paragraph changed"),
    AnchorState.NOT_FOUND: _l("Paragraph not found in the new version"),
}


def absence_reason(reason: str, note: str = "") -> str:
    """A reason for absence as the sheets print it: "Vắng có lý do: <note>", "Vắng có lý
    do", "Vắng không có lý do", or "" while none is entered (services/attendance.Absentee)."""
    if reason == "excused":
        return str(_l("Excused: %(note)s", note=note)) if note else str(_l("Excused"))
    return str(_l("Unexcused")) if reason == "unexcused" else ""


# Votes (biểu quyết) ----------------------------------------------------------------------

METHOD_LABELS = {
    VoteMethod.HANDS: _l("Show of hands"),
    VoteMethod.PHONES: _l("On the phones"),
}

RULE_LABELS = {
    PassingRule.PRESENT: _l("More than half of the delegates present"),
    PassingRule.CONVENED: _l("More than half of the delegates convened"),
    PassingRule.CAST: _l("More than half of the votes cast"),
}

VOTE_STATE_LABELS = {
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
            "vote_state_labels": VOTE_STATE_LABELS, "choice_labels": CHOICE_LABELS}
