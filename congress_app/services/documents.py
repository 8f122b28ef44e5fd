"""Documents: stable codes, titles, editing, deletion and listing.

A document's files arrive through services/intake.py; who may see it is decided in
services/visibility.py.
"""

from __future__ import annotations

import secrets
import unicodedata

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import Congress, Document, DocumentCategory, User, Visibility
from ..models.base import utcnow
from . import audit
from .errors import InputRefused, claim_edit

# No 0/O, 1/I/L: a delegate typing a code from paper cannot confuse them.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
TITLE_MAX = 300


def normalise_code(raw: str) -> str | None:
    """The canonical (upper-case) code, or None if it cannot be a code at all."""
    code = raw.strip().upper()
    if not code or len(code) > 16 or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


def new_code() -> str:
    """A random code that no document, live or deleted, has ever had."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if db.session.scalar(select(Document.id).where(Document.code == code)) is None:
            return code


def find_by_code(raw: str) -> Document | None:
    """The document a scanned code names, deleted ones included (they answer 410)."""
    code = normalise_code(raw)
    if code is None:
        return None
    return db.session.scalar(select(Document).where(Document.code == code))


def clean_title(raw: str | None) -> str:
    """NFC, trimmed, 1–300 characters."""
    title = unicodedata.normalize("NFC", (raw or "").strip())
    if not title:
        raise InputRefused(_l("The title must not be empty."), field="title")
    if len(title) > TITLE_MAX:
        raise InputRefused(
            _l("The title is too long (at most %(max)d characters).", max=TITLE_MAX),
            field="title",
        )
    return title


def update_document(
    document: Document,
    *,
    title: str,
    category: DocumentCategory | str,
    visibility: Visibility | str,
    published: bool,
    user: User | None = None,
    expected_version: int | None = None,
) -> None:
    """Change what a document is called and who sees it; never its code.

    `expected_version` is the edit_version the form was loaded at (see claim_edit).
    """
    if document.is_deleted:
        raise InputRefused(_l("This document has been deleted."), 410)
    claim_edit(document, expected_version)
    document.title = clean_title(title)
    document.category = DocumentCategory(category)
    document.visibility = Visibility(visibility)
    document.published = published
    audit.commit(user, "document.update", document, title=document.title,
                 visibility=str(document.visibility), published=published)


def delete_document(document: Document, *, user: User | None = None) -> None:
    """Retire a document: its code answers 410 Gone and is never handed out again.

    The row and its files stay, so the code cannot be reused and nothing uploaded is lost.
    """
    if document.is_deleted:
        return
    document.deleted_at = utcnow()
    document.published = False
    for link in list(document.agenda_links):
        db.session.delete(link)
    audit.commit(user, "document.delete", document, code=document.code)


def congress_documents(congress: Congress, *, include_deleted: bool = False) -> list[Document]:
    """Every document of the congress in programme order, whoever may see it."""
    query = select(Document).where(Document.congress_id == congress.id)
    if not include_deleted:
        query = query.where(Document.deleted_at.is_(None))
    return list(db.session.scalars(query.order_by(Document.position, Document.id)))


CATEGORY_ORDER = list(DocumentCategory)


def group_by_category(documents: list[Document]) -> list[tuple[DocumentCategory, list[Document]]]:
    """Documents grouped under their category, categories in programme order."""
    groups: dict[DocumentCategory, list[Document]] = {}
    for document in documents:
        groups.setdefault(document.category, []).append(document)
    return [(c, groups[c]) for c in CATEGORY_ORDER if c in groups]
