"""The roster pages: who may open them, the list and its search, delegates added by hand."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from congress_app.extensions import db
from congress_app.models import AuditEvent, Role
from congress_app.services import attendance as attendance_service
from congress_app.services import delegates as delegate_service
from congress_app.services import roster_import
from congress_app.web import roster as roster_views

from .conftest import add_user, csrf_token_from
from .roster_page_checks import _form, _number, _state, _text
from .routes import (
    assert_admin_opens,
    blueprint_routes,
    routes_not_refused,
    routes_not_sending_to_sign_in,
)
from .samples import make_csv

RULES = blueprint_routes("roster")


# Access ------------------------------------------------------------------------------


@pytest.fixture
def sample_ids(roster) -> dict[str, int | str]:
    return {"delegate_id": _number(roster, 1).id,
            "token": roster_import.stash_upload(make_csv(), roster)}


def test_the_roster_blueprint_has_its_pages():
    endpoints = {endpoint for endpoint, _, _ in RULES}
    assert {"roster.index", "roster.new", "roster.delegate", "roster.import_roster",
            "roster.import_confirm", "roster.reissue", "roster.deactivate",
            "roster.reactivate"} <= endpoints


def test_anonymous_visitors_are_sent_to_sign_in(client, sample_ids):
    token = csrf_token_from(_text(client.get("/login")))
    before = _state()
    wrong = routes_not_sending_to_sign_in(client, RULES, sample_ids, token)
    assert not wrong, "\n".join(wrong)
    assert _state() == before


def test_check_in_staff_are_refused(client, auth, sample_ids):
    add_user("door", Role.CHECKIN)
    auth.login("door", "pass word")
    token = auth.csrf_token("/")
    before = _state()
    wrong = routes_not_refused(client, RULES, sample_ids, token)
    assert not wrong, "\n".join(wrong)
    assert _state() == before


@pytest.mark.parametrize(("endpoint", "rule", "method"), RULES)
def test_admins_may_open_every_roster_page(client, auth, sample_ids, endpoint, rule, method):
    assert_admin_opens(client, auth, rule, method, sample_ids)


def test_the_organiser_navigation_leads_to_the_roster(client, signed_in):
    page = _text(client.get("/organiser/"))
    assert 'href="/organiser/delegates/"' in page
    assert ">Delegates</a>" in page


# The roster list ---------------------------------------------------------------------


def test_the_roster_lists_everyone_with_counts(client, signed_in, roster):
    attendance_service.check_in(_number(roster, 1))
    delegate_service.set_active(_number(roster, 2), False)
    html = _text(client.get("/organiser/delegates/"))
    for name in ("Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường"):
        assert name in html
    counts = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))
    assert "1 official delegate · 1 checked in" in counts
    assert "0 alternates · 1 deactivated" in counts
    assert "1 guest · 0 checked in" in counts
    assert "Checked in" in html and "Deactivated" in html


@pytest.mark.parametrize(
    ("query", "found", "not_found"),
    [
        ("nguyen van", ["Nguyễn Văn An"], ["Trần Thị Bình", "Lê Hoàng Cường"]),
        ("NGUYỄN văn an", ["Nguyễn Văn An"], ["Trần Thị Bình"]),
        ("cong an", ["Trần Thị Bình"], ["Nguyễn Văn An", "Lê Hoàng Cường"]),
        ("3", ["Lê Hoàng Cường"], ["Nguyễn Văn An", "Trần Thị Bình"]),
        ("%", [], ["Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường"]),
    ],
)
def test_searching_the_roster(client, signed_in, roster, query, found, not_found):
    response = client.get("/organiser/delegates/", query_string={"q": query})
    assert response.status_code == 200
    html = _text(response)
    for name in found:
        assert name in html
    for name in not_found:
        assert name not in html
    assert f"{len(found)} delegate" in html


def test_a_long_roster_is_split_into_pages(client, signed_in, roster, monkeypatch):
    monkeypatch.setattr(roster_views, "PER_PAGE", 2)
    first = _text(client.get("/organiser/delegates/"))
    assert "Nguyễn Văn An" in first and "Lê Hoàng Cường" not in first
    assert "Page 1 of 2" in first
    second = _text(client.get("/organiser/delegates/?page=2"))
    assert "Lê Hoàng Cường" in second and "Nguyễn Văn An" not in second
    assert client.get("/organiser/delegates/?page=99").status_code == 200


# By hand -----------------------------------------------------------------------------


def test_adding_editing_and_deactivating_a_delegate(client, signed_in, congress):
    added = signed_in.post("/organiser/delegates/new", _form())
    assert added.status_code == 302
    path = urlsplit(added.headers["Location"]).path
    delegate = _number(congress, 7)
    assert path == f"/organiser/delegates/{delegate.id}"
    assert delegate.kind == "alternate" and delegate.search_name.startswith("vu thi hanh")
    page = _text(client.get(path))
    assert "Vũ Thị Hạnh has been added as number 7." in page
    assert f'href="/organiser/print/delegates/{delegate.id}/card.pdf"' in page
    token = delegate_service.card_token(delegate)

    edited = signed_in.post(path, _form(full_name="Vũ Thị Hằng", seat="C-08"))
    assert edited.status_code == 302
    delegate = _number(congress, 7)
    assert (delegate.full_name, delegate.seat) == ("Vũ Thị Hằng", "C-08")
    assert delegate_service.delegate_by_token(token) == delegate

    assert signed_in.post(f"{path}/deactivate").status_code == 302
    assert not _number(congress, 7).active
    assert delegate_service.delegate_by_token(token) is None
    assert "is deactivated" in _text(client.get(path))
    assert signed_in.post(f"{path}/reactivate").status_code == 302
    delegate = _number(congress, 7)
    assert delegate_service.delegate_by_token(token) == delegate


def test_a_number_that_is_taken_is_refused_with_409(client, signed_in, roster):
    before = _state()
    response = signed_in.post("/organiser/delegates/new", _form(number="2"))
    assert response.status_code == 409
    assert "Number 2 is already taken by Trần Thị Bình." in _text(response)
    third = _number(roster, 3)
    response = signed_in.post(f"/organiser/delegates/{third.id}", _form(number="1"))
    assert response.status_code == 409
    assert "Number 1 is already taken by Nguyễn Văn An." in _text(response)
    assert _state() == before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"number": "bảy"}, "Enter the number in digits, for example 12."),
        ({"number": ""}, "Enter the delegate&#39;s number (STT)."),
        ({"full_name": ""}, "Enter the delegate&#39;s full name."),
        ({"full_name": "=1+1"}, "a cell may not start with ="),
        ({"kind": "chairman"}, "Choose one of the options in the list."),
        ({"seat": "S" * 21}, "Seat is too long (at most 20 characters)."),
    ],
)
def test_bad_details_are_refused_and_change_nothing(client, signed_in, congress, changes,
                                                    message):
    before = _state()
    response = signed_in.post("/organiser/delegates/new", _form(**changes))
    assert response.status_code == 400
    assert message in _text(response)
    assert _state() == before


def test_a_form_without_its_csrf_token_changes_nothing(client, signed_in, congress):
    before = _state()
    assert client.post("/organiser/delegates/new", data=_form()).status_code == 400
    assert _state() == before


def test_an_unknown_delegate_is_404(client, signed_in, congress):
    assert client.get("/organiser/delegates/9999").status_code == 404


def test_reissuing_a_card_asks_first_and_stops_the_old_card(client, signed_in, roster):
    delegate = _number(roster, 1)
    old_token, old_hash = delegate_service.card_token(delegate), delegate.token_hash
    path = f"/organiser/delegates/{delegate.id}/reissue"
    ask = client.get(path)
    assert ask.status_code == 200
    assert "stop working at once" in _text(ask)
    assert _number(roster, 1).token_hash == old_hash  # asking changes nothing

    done = signed_in.post(path)
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/organiser/delegates/{delegate.id}#card")
    delegate = _number(roster, 1)
    assert delegate.token_hash != old_hash and delegate.credential_version == 2
    assert delegate_service.delegate_by_token(old_token) is None
    assert delegate_service.delegate_by_token(delegate_service.card_token(delegate)) == delegate
    page = _text(client.get(f"/organiser/delegates/{delegate.id}"))
    assert "A new card has been issued for Nguyễn Văn An." in page
    assert f'href="/organiser/print/delegates/{delegate.id}/card.pdf"' in page
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("delegate.reissue") == 1
