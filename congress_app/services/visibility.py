"""Who may see a document: the one place that decides it, for pages, search, the offline
copy, printed editions and the files themselves.

Whoever looks is reduced to a Viewer first, so a signed-in account, a delegate's card, an
anonymous visitor and a printed edition's reader all answer the same questions the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Congress, Delegate, Document, User, Visibility
from .documents import congress_documents


@dataclass(frozen=True)
class Viewer:
    """What visibility needs to know of whoever looks.

    `is_delegate`: signed in with a delegate's card (an inactive card still counts here: it
    is not asked to sign in again, it is refused); `can_edit`: an admin or editor account;
    `congress_id`: the delegate's congress, or the account's (None: it serves every one).
    """

    is_delegate: bool = False
    can_edit: bool = False
    is_active: bool = True
    congress_id: int | None = None

    def organises(self, congress_id: int) -> bool:
        """An organiser of that congress: an account tied to another one sees only what the
        public sees."""
        return self.can_edit and self.is_active and self.congress_id in (None, congress_id)

    def is_delegate_of(self, congress_id: int) -> bool:
        return self.is_delegate and self.is_active and self.congress_id == congress_id


PUBLIC = Viewer()


def organiser_of(congress: Congress) -> Viewer:
    """An organiser of this congress, who sees every document of it (organisers' prints)."""
    return Viewer(can_edit=True, congress_id=congress.id)


def delegate_of(congress: Congress) -> Viewer:
    """An active, signed-in delegate of this congress (delegates' prints)."""
    return Viewer(is_delegate=True, congress_id=congress.id)


def viewer_of(user: Viewer | User | Delegate | object | None) -> Viewer:
    """The Viewer a visitor is: Flask-Login's current_user (an account, a delegate or the
    anonymous visitor) or a Viewer already; anything else is the public."""
    if isinstance(user, Viewer):
        return user
    if isinstance(user, Delegate):
        return Viewer(is_delegate=True, is_active=user.is_active, congress_id=user.congress_id)
    if isinstance(user, User):
        return Viewer(can_edit=user.can_edit, is_active=user.is_active,
                      congress_id=user.congress_id)
    return PUBLIC


def can_view(document: Document, user: Viewer | User | Delegate | object | None) -> bool:
    """Whether this visitor may see the document, or learn that it exists.

    Organisers (admin, editor) see everything of the congresses they serve. Anyone may see
    published public documents; signed-in delegates of the same congress also see published
    delegates-only ones.
    """
    viewer = viewer_of(user)
    if viewer.organises(document.congress_id):
        return True
    if document.is_deleted or not document.published or document.current_version is None:
        return False
    if document.visibility == Visibility.PUBLIC:
        return True
    if document.visibility == Visibility.DELEGATES:
        return viewer.is_delegate_of(document.congress_id)
    return False


def is_public(document: Document) -> bool:
    """Whether anyone at all may see it (so a shared cache may keep it)."""
    return can_view(document, PUBLIC)


def needs_delegate_sign_in(document: Document,
                           user: Viewer | User | Delegate | object | None) -> bool:
    """A published delegates-only document scanned by someone not signed in as a delegate:
    they get the sign-in page (and then the document) rather than a 404."""
    viewer = viewer_of(user)
    return (
        not document.is_deleted
        and document.published
        and document.visibility == Visibility.DELEGATES
        and not viewer.is_delegate
        and not viewer.can_edit
    )


def list_documents(congress: Congress,
                   user: Viewer | User | Delegate | object | None) -> list[Document]:
    """The documents this visitor may see, in programme order."""
    viewer = viewer_of(user)
    return [d for d in congress_documents(congress) if can_view(d, viewer)]
