"""Organise › Accounts: who may open the admin pages, how an admin creates accounts, and how
an admin tied to one congress is kept to it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from congress_app.extensions import db
from congress_app.models import Role, User
from congress_app.services import audit as audit_service
from congress_app.services import users as user_service
from congress_app.services.errors import InputRefused
from congress_app.services.users import DEMO_ORGANISER

from .accounts_fixtures import (
    ADMIN_RULES,
    NEW_PASSWORD,
    _events,
    _new_account,
    _post,
    _reload,
)
from .conftest import ORGANISER, PASSWORD, add_user, csrf_token_from, signed_in_client
from .routes import (
    blueprint_routes,
    open_route,
    route_path,
    routes_not_refused,
    routes_not_sending_to_sign_in,
)

# Who may open the pages --------------------------------------------------------------


@pytest.fixture
def sample_ids(organiser, congress) -> dict[str, int]:
    return {"user_id": add_user("mau", Role.EDITOR).id}


def test_anonymous_visitors_are_sent_to_sign_in(client, sample_ids):
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    wrong = routes_not_sending_to_sign_in(client, blueprint_routes("accounts"), sample_ids,
                                          token)
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("role", [Role.EDITOR, Role.CHECKIN])
def test_editors_and_check_in_staff_get_403_on_the_admin_pages(app, client, sample_ids, role):
    add_user("khong-phai-admin", role)
    other = signed_in_client(app, "khong-phai-admin")
    token = csrf_token_from(other.get("/").get_data(as_text=True))
    wrong = routes_not_refused(other, ADMIN_RULES, sample_ids, token)
    assert not wrong, "\n".join(wrong)
    assert "/organiser/accounts" not in other.get("/organiser/password").get_data(as_text=True)


def test_every_admin_route_opens_for_an_admin(app, admin, sample_ids):
    token = csrf_token_from(admin.get("/organiser/accounts").get_data(as_text=True))
    for endpoint, rule, method in ADMIN_RULES:
        response = open_route(admin, method, route_path(rule, sample_ids), token)
        assert response.status_code not in (403, 404) and response.status_code < 500, endpoint


def test_admins_find_accounts_in_the_organiser_menu(app, admin):
    add_user("bientap", Role.EDITOR)
    html = admin.get("/organiser/").get_data(as_text=True)
    assert 'href="/organiser/accounts"' in html
    page = admin.get("/organiser/accounts").get_data(as_text=True)
    assert "bientap" in page and ORGANISER[0] in page and "Every congress on this site" in page
    add_user("chi-bientap", Role.EDITOR)
    editor = signed_in_client(app, "chi-bientap")
    assert 'href="/organiser/accounts"' not in editor.get("/organiser/").get_data(as_text=True)


# Creating an account -----------------------------------------------------------------


def test_an_admin_creates_an_account_with_a_one_time_password(app, admin, congress, organiser):
    response = _post(admin, "/organiser/accounts/new",
                     _new_account(role="checkin", congress=str(congress.id)))
    assert response.status_code == 302
    user = user_service.by_username("thuky")
    assert user.role == Role.CHECKIN and user.congress_id == congress.id
    assert user.must_change_password and user.check_password(NEW_PASSWORD)
    event = _events("user.create")[-1]
    assert event.user_id == organiser.id
    assert audit_service.details(event) == {"username": "thuky", "role": "checkin",
                                            "congress": congress.slug}
    assert "thuky" in admin.get("/organiser/accounts").get_data(as_text=True)


@pytest.mark.parametrize(("overrides", "status", "message"), [
    ({"username": ORGANISER[0]}, 409, "đã có người sử dụng"),
    ({"password": "ngan qua", "confirm": "ngan qua"}, 400, "ít nhất 12 ký tự"),
    ({"confirm": "một mật khẩu khác"}, 400, "Hai mật khẩu không giống nhau"),
    ({"role": "superadmin"}, 400, "chọn một mục trong danh sách"),
    ({"congress": "999"}, 400, "chọn một mục trong danh sách"),
    ({"username": ""}, 400, "Nhập tên đăng nhập"),
    ({"password": DEMO_ORGANISER[1], "confirm": DEMO_ORGANISER[1]}, 400, "mật khẩu mẫu"),
])
def test_a_bad_new_account_is_refused_with_a_message_and_nothing_changes(
        app, organiser, congress, overrides, status, message):
    client = signed_in_client(app, *ORGANISER, lang=None)  # Vietnamese, the default
    response = _post(client, "/organiser/accounts/new", _new_account(**overrides))
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalars(select(User.username)).all() == [ORGANISER[0]]
    assert len(_events("user.create")) == 1  # the organiser fixture's own


def test_an_unknown_role_is_refused_by_the_service_too(app, organiser):
    with pytest.raises(InputRefused) as refused:
        user_service.create_account(None, "thuky", NEW_PASSWORD, "superadmin", None)
    assert refused.value.status == 400 and user_service.by_username("thuky") is None


# Congress ties -----------------------------------------------------------------------


@pytest.fixture
def tied_admin(app, client, congress, ward_b, organiser):
    """Admin "admin-a" of congress A (the `congress` fixture), signed in; B has accounts too."""
    add_user("admin-a", Role.ADMIN, congress)
    add_user("editor-a", Role.EDITOR, congress)
    add_user("admin-b", Role.ADMIN, ward_b)
    add_user("editor-b", Role.EDITOR, ward_b)
    return signed_in_client(app, "admin-a")


def test_a_tied_admin_sees_only_the_accounts_that_serve_its_congress(tied_admin):
    page = tied_admin.get("/organiser/accounts").get_data(as_text=True)
    assert "admin-a" in page and "editor-a" in page
    assert "admin-b" not in page and "editor-b" not in page
    assert ORGANISER[0] in page and "Only an admin of every congress can change it." in page


def test_a_tied_admin_cannot_see_or_change_another_congress_s_accounts(tied_admin, ward_b):
    editor_b = user_service.by_username("editor-b")
    base = f"/organiser/accounts/{editor_b.id}"
    assert tied_admin.get(base).status_code == 404
    attempts = [(base, {"role": "admin", "congress": str(editor_b.congress_id)}),
                (f"{base}/password", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}),
                (f"{base}/deactivate", {})]
    for path, data in attempts:
        assert _post(tied_admin, path, data).status_code == 404, path
    after = _reload(editor_b)
    assert after.role == Role.EDITOR and after.active and after.check_password(PASSWORD)
    assert _events("user.update") == _events("user.deactivate") == []


def test_a_tied_admin_cannot_change_an_account_serving_every_congress(tied_admin, organiser):
    path = f"/organiser/accounts/{organiser.id}"
    assert "only an admin of every congress can change it" in tied_admin.get(path).get_data(
        as_text=True)
    assert _post(tied_admin, path, {"role": "editor", "congress": ""}).status_code == 403
    assert _post(tied_admin, f"{path}/deactivate").status_code == 403
    assert _post(tied_admin, f"{path}/password",
                 {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 403
    after = _reload(organiser)
    assert after.role == Role.ADMIN and after.active and after.check_password(ORGANISER[1])



def test_an_account_page_answers_head_as_it_answers_get(tied_admin, organiser):
    """HEAD (a link checker, a proxy's probe) is a look at the page, not a form sent empty."""
    path = f"/organiser/accounts/{organiser.id}"
    assert tied_admin.get(path).status_code == 200
    head = tied_admin.head(path)
    assert head.status_code == 200 and head.get_data() == b""
    assert _events("user.update") == []

@pytest.mark.parametrize("tie", ["", "b"])
def test_a_tied_admin_creates_accounts_for_its_own_congress_only(tied_admin, congress, ward_b,
                                                                  tie):
    refused = _post(tied_admin, "/organiser/accounts/new",
                    _new_account(congress=str(ward_b.id) if tie else ""))
    assert refused.status_code == 400
    assert "Choose one of the options in the list." in refused.get_data(as_text=True)
    assert user_service.by_username("thuky") is None
    made = _post(tied_admin, "/organiser/accounts/new",
                 _new_account(role="admin", congress=str(congress.id)))
    assert made.status_code == 302
    assert user_service.by_username("thuky").congress_id == congress.id


def test_the_service_keeps_a_tied_admin_to_its_congress(app, tied_admin, ward_b):
    actor = user_service.by_username("admin-a")
    with pytest.raises(InputRefused):
        user_service.create_account(actor, "thuky", NEW_PASSWORD, "editor", None)
    with pytest.raises(InputRefused):
        user_service.create_account(actor, "thuky", NEW_PASSWORD, "editor", ward_b)
    with pytest.raises(InputRefused) as refused:
        user_service.set_active(actor, user_service.by_username("editor-b"), False)
    assert refused.value.status == 404
    assert user_service.by_username("thuky") is None
