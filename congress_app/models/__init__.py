"""All models, imported here so Alembic and the app see every table."""

from .attendance import Absence
from .base import utcnow
from .comment import AnchorState, Comment, CommentAuthors, CommentScope, CommentWindow, Stance
from .comment_triage import Classification, CommentReportAdoption, CommentTriage
from .congress import AgendaItem, AgendaItemDocument, Congress, CongressSession
from .delegate import CheckIn, Delegate, DelegateKind, EducationLevel, Sex, TheoryLevel
from .document import Document, DocumentCategory, DocumentVersion, Visibility
from .setup import SetupToken
from .submission import FormSubmission
from .user import AuditEvent, Role, User
from .vote import Choice, PassingRule, Vote, VoteBallot, VoteCount, VoteMethod, VoteState

__all__ = [
    "Absence",
    "AgendaItem",
    "AgendaItemDocument",
    "AuditEvent",
    "CheckIn",
    "Classification",
    "AnchorState",
    "Comment",
    "CommentReportAdoption",
    "CommentAuthors",
    "CommentScope",
    "CommentTriage",
    "CommentWindow",
    "Congress",
    "CongressSession",
    "Delegate",
    "DelegateKind",
    "EducationLevel",
    "Sex",
    "TheoryLevel",
    "Document",
    "DocumentCategory",
    "DocumentVersion",
    "FormSubmission",
    "Role",
    "SetupToken",
    "Stance",
    "User",
    "Visibility",
    "Vote",
    "VoteBallot",
    "VoteCount",
    "VoteMethod",
    "VoteState",
    "Choice",
    "PassingRule",
    "utcnow",
]
