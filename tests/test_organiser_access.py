"""Every organiser page needs an editor: anonymous → sign-in, check-in staff → 403.

The routes are read from the app's URL map, so a new organiser route is covered the
moment it is added.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from congress_app.extensions import db
from congress_app.models import CongressSession, Role
from congress_app.services import agenda as agenda_service

from .conftest import add_user
from .routes import (
    assert_admin_opens,
    blueprint_routes,
    routes_not_refused,
    routes_not_sending_to_sign_in,
)

RULES = blueprint_routes("organiser")


@pytest.fixture
def sample_ids(congress, make_document) -> dict[str, int]:
    """Real objects behind every URL parameter: a session, an item, a linked document."""
    document = make_document()
    session = congress.sessions[0]
    item = session.items[0]
    agenda_service.link_document(item, document)
    return {"session_id": session.id, "item_id": item.id, "document_id": document.id, "number": 1}




def test_the_organiser_blueprint_has_its_pages():
    endpoints = {endpoint for endpoint, _, _ in RULES}
    assert {"organiser.dashboard", "organiser.agenda", "organiser.documents",
            "organiser.document_new", "organiser.version_file"} <= endpoints


def test_anonymous_visitors_are_sent_to_sign_in(client, sample_ids):
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                      client.get("/login").get_data(as_text=True)).group(1)
    wrong = routes_not_sending_to_sign_in(client, RULES, sample_ids, token)
    assert not wrong, "\n".join(wrong)


def test_check_in_staff_are_refused(client, auth, sample_ids):
    add_user("door", Role.CHECKIN)
    auth.login("door", "pass word")
    token = auth.csrf_token("/")  # the sign-out form carries one
    wrong = routes_not_refused(client, RULES, sample_ids, token)
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(("endpoint", "rule", "method"), RULES)
def test_admins_may_open_every_organiser_page(client, auth, sample_ids, endpoint, rule, method):
    assert_admin_opens(client, auth, rule, method, sample_ids)


def test_a_form_sent_without_its_csrf_token_is_refused_and_changes_nothing(
    client, auth, congress
):
    add_user("admin", Role.ADMIN)
    auth.login("admin", "pass word")
    before = db.session.scalar(select(func.count(CongressSession.id)))
    response = client.post("/organiser/sessions/new", data={
        "name": "Phiên bế mạc", "date": "2025-07-23", "starts_at": "14:00",
    })
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(CongressSession.id))) == before
