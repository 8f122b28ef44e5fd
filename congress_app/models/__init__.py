"""All models, imported here so Alembic and the app see every table."""

from .base import utcnow
from .congress import AgendaItem, AgendaItemDocument, Congress, CongressSession
from .delegate import CheckIn, Delegate, DelegateKind
from .document import Document, DocumentCategory, DocumentVersion, Visibility
from .setup import SetupToken
from .submission import FormSubmission
from .user import AuditEvent, Role, User

__all__ = [
    "AgendaItem",
    "AgendaItemDocument",
    "AuditEvent",
    "CheckIn",
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
    "User",
    "Visibility",
    "utcnow",
]
