"""All models, imported here so Alembic and the app see every table."""

from .attendance import Absence
from .base import utcnow
from .comment import AnchorState, Comment, CommentAuthors, CommentScope, CommentWindow, Stance
from .comment_triage import Classification, CommentReportAdoption, CommentTriage
from .congress import AgendaItem, AgendaItemDocument, Congress, CongressSession
from .delegate import CheckIn, Delegate, DelegateKind
from .document import Document, DocumentCategory, DocumentVersion, Visibility
from .setup import SetupToken
from .submission import FormSubmission
from .user import AuditEvent, Role, User

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
    "Document",
    "DocumentCategory",
    "DocumentVersion",
    "FormSubmission",
    "Role",
    "SetupToken",
    "Stance",
    "User",
    "Visibility",
    "utcnow",
]
