"""Who a visitor is to services/visibility.py: each kind of visitor reduced to one Viewer."""

from __future__ import annotations

from flask_login import AnonymousUserMixin

from congress_app.models import Delegate, Role, User
from congress_app.pdf.editions import Edition, edition_viewer
from congress_app.services import visibility
from congress_app.services.visibility import PUBLIC, Viewer


def test_the_anonymous_visitor_and_anything_unknown_are_the_public():
    assert visibility.viewer_of(AnonymousUserMixin()) == PUBLIC
    assert visibility.viewer_of(None) == PUBLIC
    assert visibility.viewer_of(Viewer(can_edit=True)) == Viewer(can_edit=True)


def test_an_organiser_organises_only_the_congresses_the_account_serves():
    editor = visibility.viewer_of(User(username="e", role=Role.EDITOR, congress_id=1,
                                       active=True))
    assert editor.organises(1) and not editor.organises(2)
    everywhere = visibility.viewer_of(User(username="a", role=Role.ADMIN, active=True))
    assert everywhere.organises(1) and everywhere.organises(2)
    inactive = visibility.viewer_of(User(username="x", role=Role.ADMIN, active=False))
    assert not inactive.organises(1)


def test_a_deactivated_card_is_still_a_delegate_but_sees_nothing_of_theirs():
    card = visibility.viewer_of(Delegate(congress_id=1, active=False))
    assert card.is_delegate and not card.is_delegate_of(1)
    assert visibility.viewer_of(Delegate(congress_id=1, active=True)).is_delegate_of(1)


def test_printed_editions_are_viewers_of_the_congress_printed(congress):
    assert edition_viewer(Edition.PUBLIC, congress) == PUBLIC
    assert edition_viewer(Edition.DELEGATES, congress).is_delegate_of(congress.id)
    organisers = edition_viewer(Edition.ORGANISERS, congress)
    assert organisers.organises(congress.id) and not organisers.organises(congress.id + 1)
