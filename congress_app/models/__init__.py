"""All models, imported here so Alembic and the app see every table."""

from .base import utcnow
from .congress import AgendaItem, AgendaItemDocument, Congress, CongressSession
from .document import Document, DocumentCategory, DocumentVersion, Visibility
from .user import AuditEvent, Role, User

__all__ = [
    "AgendaItem",
    "AgendaItemDocument",
    "AuditEvent",
    "Congress",
    "CongressSession",
    "Document",
    "DocumentCategory",
    "DocumentVersion",
    "Role",
    "User",
    "Visibility",
    "utcnow",
]
