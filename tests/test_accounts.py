"""Organise › Accounts: admins manage accounts on a page, every account changes its own
password, the demo admin's published password stops being a way in, and the CLI does the same.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from congress_app.extensions import db
from congress_app.models import AuditEvent, Congress, Role, User
from congress_app.services import audit as audit_service
from congress_app.services import users as user_service
from congress_app.services.errors import InputRefused
from congress_app.services.users import DEMO_ORGANISER

from .conftest import ORGANISER, PASSWORD, add_user, csrf_token_from, sign_in, signed_in_client
from .routes import (
    blueprint_routes,
    open_route,
    route_path,
    routes_not_refused,
    routes_not_sending_to_sign_in,
)

NEW_PASSWORD = "mật khẩu mới đủ dài"
ADMIN_RULES = [r for r in blueprint_routes("accounts") if r[0] != "accounts.own_password"]


def _post(client, path: str, data: dict | None = None, token_from: str = "/"):
    """POST a form with the session's CSRF token (read off a page with a form)."""
    html = client.get(token_from, follow_redirects=True).get_data(as_text=True)
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token_from(html)})


def _events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)))


def _reload(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def _new_account(**overrides) -> dict:
    return {"username": "thuky", "role": "editor", "congress": "", "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD, **overrides}


@pytest.fixture
def ward_b(app, congress) -> Congress:
    """A second congress on the instance, next to the `congress` fixture."""
    b = Congress(slug="binh-minh", title="Đại hội Đảng bộ phường Bình Minh",
                 organisation="Đảng bộ phường Bình Minh", starts_on=date(2025, 7, 24),
                 ends_on=date(2025, 7, 24))
    db.session.add(b)
    db.session.commit()
    return b


@pytest.fixture
def admin(app, client, organiser, congress):
    """The `organiser` admin (serving every congress), signed in, reading English."""
    return signed_in_client(app, ORGANISER[0], ORGANISER[1])


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


# Role, congress tie, deactivation ----------------------------------------------------


def test_an_admin_changes_a_role_and_a_congress_tie_and_it_is_audited(app, admin, congress,
                                                                       ward_b):
    editor = add_user("bientap", Role.EDITOR, congress)
    response = _post(admin, f"/organiser/accounts/{editor.id}",
                     {"role": "admin", "congress": str(ward_b.id)})
    assert response.status_code == 302
    after = _reload(editor)
    assert after.role == Role.ADMIN and after.congress_id == ward_b.id
    [event] = _events("user.update")
    assert audit_service.details(event) == {
        "username": "bientap", "role": "editor → admin", "congress": "test → binh-minh"}
    log = admin.get("/organiser/audit").get_data(as_text=True)
    assert "Account role or congress changed" in log and "editor → admin" in log


def test_deactivating_ends_the_account_s_sessions_and_sign_in_until_reactivated(app, admin):
    editor = add_user("bientap", Role.EDITOR)
    laptop = signed_in_client(app, "bientap")
    assert laptop.get("/organiser/").status_code == 200
    assert _post(admin, f"/organiser/accounts/{editor.id}/deactivate").status_code == 302
    assert laptop.get("/organiser/").status_code == 302  # signed out
    assert not _reload(editor).active
    assert sign_in(laptop, "bientap", PASSWORD).status_code == 401
    assert _post(admin, f"/organiser/accounts/{editor.id}/reactivate").status_code == 302
    assert signed_in_client(app, "bientap").get("/organiser/").status_code == 200
    assert [audit_service.details(e) for e in _events("user.deactivate")] == [
        {"username": "bientap"}]
    assert len(_events("user.reactivate")) == 1


def test_the_last_active_admin_cannot_be_deactivated_or_demoted_on_the_page(app, organiser,
                                                                            congress):
    client = signed_in_client(app, *ORGANISER, lang=None)
    page = f"/organiser/accounts/{organiser.id}"
    refused = _post(client, f"{page}/deactivate")
    assert refused.status_code == 409
    assert "quản trị viên cuối cùng" in refused.get_data(as_text=True)
    refused = _post(client, page, {"role": "editor", "congress": ""})
    assert refused.status_code == 409
    assert "quản trị viên cuối cùng" in refused.get_data(as_text=True)
    refused = _post(client, page, {"role": "admin", "congress": str(congress.id)})
    assert refused.status_code == 409
    after = _reload(organiser)
    assert after.active and after.role == Role.ADMIN and after.congress_id is None
    assert _events("user.update") == _events("user.deactivate") == []


def test_an_admin_of_every_congress_covers_a_congress_whose_tied_admin_steps_down(
        app, admin, organiser, congress):
    admin_a = add_user("admin-a", Role.ADMIN, congress)
    assert _post(admin, f"/organiser/accounts/{admin_a.id}",
                 {"role": "editor", "congress": str(congress.id)}).status_code == 302
    assert _reload(admin_a).role == Role.EDITOR


def test_tied_admins_do_not_replace_the_last_admin_serving_every_congress(app, organiser,
                                                                          congress):
    add_user("admin-a", Role.ADMIN, congress)
    for change in (lambda: user_service.set_active(None, organiser, False),
                   lambda: user_service.update_account(None, organiser, Role.EDITOR, None),
                   lambda: user_service.update_account(None, organiser, Role.ADMIN, congress)):
        with pytest.raises(InputRefused) as refused:
            change()
        assert refused.value.status == 409
    db.session.rollback()
    second = add_user("admin-hai", Role.ADMIN)
    assert user_service.set_active(None, _reload(organiser), False)
    assert _reload(second).active and not _reload(organiser).active


def test_a_congress_without_an_admin_of_every_congress_keeps_its_last_tied_admin(
        app, congress, ward_b):
    admin_a = add_user("admin-a", Role.ADMIN, congress)
    add_user("admin-b", Role.ADMIN, ward_b)
    with pytest.raises(InputRefused):
        user_service.set_active(None, admin_a, False)  # B's admin does not serve A
    with pytest.raises(InputRefused):
        user_service.update_account(None, admin_a, Role.ADMIN, ward_b)
    db.session.rollback()
    admin_a2 = add_user("admin-a2", Role.ADMIN, congress)
    assert user_service.set_active(None, _reload(admin_a), False)
    with pytest.raises(InputRefused):
        user_service.update_account(None, _reload(admin_a2), Role.CHECKIN, congress)
    # Widening the last admin of A to every congress keeps A served.
    assert user_service.update_account(None, _reload(admin_a2), Role.ADMIN, None)


def test_an_admin_may_step_down_while_another_admin_remains(app, admin, organiser):
    add_user("admin-hai", Role.ADMIN)
    response = _post(admin, f"/organiser/accounts/{organiser.id}",
                     {"role": "editor", "congress": ""})
    assert response.status_code == 302 and response.headers["Location"] == "/organiser/"
    assert _reload(organiser).role == Role.EDITOR
    assert admin.get("/organiser/accounts").status_code == 403


def test_an_admin_may_deactivate_itself_while_another_admin_remains(app, admin, organiser):
    add_user("admin-hai", Role.ADMIN)
    assert _post(admin, f"/organiser/accounts/{organiser.id}/deactivate").status_code == 302
    assert admin.get("/organiser/").status_code == 302  # its own session ended too
    assert not _reload(organiser).active


# One-time passwords and one's own password -------------------------------------------


def test_a_one_time_password_ends_sessions_and_must_be_changed_at_the_next_sign_in(
        app, admin, organiser):
    editor = add_user("bientap", Role.EDITOR)
    laptop = signed_in_client(app, "bientap")
    response = _post(admin, f"/organiser/accounts/{editor.id}/password",
                     {"password": "tam thoi 12345", "confirm": "tam thoi 12345"})
    assert response.status_code == 302
    assert laptop.get("/organiser/").status_code == 302  # the old password's session ended
    assert _reload(editor).must_change_password
    [event] = _events("user.password_set")
    assert event.user_id == organiser.id
    assert audit_service.details(event) == {"username": "bientap", "one_time": True}

    phone = signed_in_client(app, "bientap", "tam thoi 12345")
    for path in ("/organiser/", "/organiser/documents", "/checkin/", "/"):
        moved = phone.get(path)
        assert moved.status_code == 302, path
        assert moved.headers["Location"].startswith("/organiser/password"), path
    form = phone.get("/organiser/password?next=/organiser/documents")
    assert "choose your own password to go on" in form.get_data(as_text=True)
    token = csrf_token_from(form.get_data(as_text=True))
    changed = phone.post("/organiser/password?next=/organiser/documents", data={
        "current": "tam thoi 12345", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
        "csrf_token": token})
    assert changed.status_code == 302 and changed.headers["Location"] == "/organiser/documents"
    assert phone.get("/organiser/").status_code == 200
    after = _reload(editor)
    assert not after.must_change_password and after.check_password(NEW_PASSWORD)
    assert [e.user_id for e in _events("user.password_changed")] == [editor.id]


def test_an_admin_cannot_hand_itself_a_one_time_password(app, admin, organiser):
    response = _post(admin, f"/organiser/accounts/{organiser.id}/password",
                     {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 400
    assert _reload(organiser).check_password(ORGANISER[1])


@pytest.mark.parametrize(("data", "message"), [
    ({"password": "ngan", "confirm": "ngan"}, "ít nhất 12 ký tự"),
    ({"password": NEW_PASSWORD, "confirm": "khác hẳn đi rồi"}, "Hai mật khẩu không giống nhau"),
])
def test_a_bad_one_time_password_is_refused(app, organiser, congress, data, message):
    editor = add_user("bientap", Role.EDITOR)
    client = signed_in_client(app, *ORGANISER, lang=None)
    response = _post(client, f"/organiser/accounts/{editor.id}/password", data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert _reload(editor).check_password(PASSWORD) and not _reload(editor).must_change_password


@pytest.mark.parametrize(("data", "message"), [
    ({"current": "sai mat khau", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
     "Mật khẩu hiện tại không đúng"),
    ({"current": PASSWORD, "password": "ngan", "confirm": "ngan"}, "ít nhất 12 ký tự"),
    ({"current": PASSWORD, "password": NEW_PASSWORD, "confirm": "khác hẳn đi rồi"},
     "Hai mật khẩu không giống nhau"),
    ({"current": PASSWORD, "password": "cua-so-cua-so", "confirm": "cua-so-cua-so"},
     "không được trùng với tên đăng nhập"),
])
def test_a_bad_own_password_change_is_refused(app, client, data, message):
    user = add_user("cua-so-cua-so", Role.CHECKIN)
    door = signed_in_client(app, "cua-so-cua-so", lang=None)
    response = _post(door, "/organiser/password", data, token_from="/organiser/password")
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert _reload(user).check_password(PASSWORD)
    assert _events("user.password_changed") == []


def test_check_in_staff_change_their_own_password_and_other_sessions_end(app, client,
                                                                        congress):
    user = add_user("cuaso", Role.CHECKIN)
    phone, laptop = signed_in_client(app, "cuaso"), signed_in_client(app, "cuaso")
    page = phone.get("/organiser/password")
    assert page.status_code == 200 and "Scan cards" in page.get_data(as_text=True)
    response = _post(phone, "/organiser/password", {
        "current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        token_from="/organiser/password")
    assert response.status_code == 302 and response.headers["Location"] == "/checkin/"
    assert phone.get("/checkin/").status_code == 200  # this session goes on
    assert laptop.get("/checkin/").status_code == 302  # the other one has ended
    assert _reload(user).check_password(NEW_PASSWORD)
    assert [e.user_id for e in _events("user.password_changed")] == [user.id]


# The demo account --------------------------------------------------------------------


@pytest.fixture
def demo(app):
    """The seeded demo admin, with the password the README publishes."""
    return user_service.create_user(*DEMO_ORGANISER, role=Role.ADMIN)


def _local(app, host: str = "127.0.0.1") -> None:
    app.config.update(PUBLIC_BASE_URL="http://127.0.0.1:5000", HOST=host)


def test_the_dashboard_shows_a_red_banner_while_the_demo_password_works(app, admin, demo):
    html = admin.get("/organiser/").get_data(as_text=True)
    assert 'class="demo-banner"' in html
    assert "<code>flask set-password bantochuc</code>" in html
    assert f'href="/organiser/accounts/{demo.id}"' in html
    assert "Demo password from the README" in admin.get("/organiser/accounts").get_data(
        as_text=True)
    user_service.change_password(demo, NEW_PASSWORD)
    assert 'class="demo-banner"' not in admin.get("/organiser/").get_data(as_text=True)


def test_no_banner_once_the_demo_account_is_deactivated(app, admin, demo):
    user_service.set_active(None, demo, False)
    assert 'class="demo-banner"' not in admin.get("/organiser/").get_data(as_text=True)


def test_the_published_password_is_refused_when_other_computers_reach_the_app(app, client,
                                                                              demo):
    # The test config's PUBLIC_BASE_URL (http://congress.test) is not this computer.
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": DEMO_ORGANISER[0],
                                           "password": DEMO_ORGANISER[1], "csrf_token": token})
    assert response.status_code == 403
    text = response.get_data(as_text=True)
    assert "mật khẩu mẫu" in text and "flask set-password bantochuc" in text
    assert client.get("/organiser/").status_code == 302
    [event] = _events("auth.login_refused_demo")
    assert audit_service.details(event)["username"] == DEMO_ORGANISER[0]
    assert _events("auth.login") == []


def test_the_published_password_is_refused_when_the_app_listens_on_every_network(app, demo):
    _local(app, host="0.0.0.0")
    client = app.test_client()
    client.set_cookie("lang", "en")
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": DEMO_ORGANISER[0],
                                           "password": DEMO_ORGANISER[1], "csrf_token": token})
    assert response.status_code == 403
    assert "can be reached from other computers" in response.get_data(as_text=True)


def test_on_this_computer_alone_the_demo_signs_in_and_sets_a_password(app, demo):
    _local(app)
    client = signed_in_client(app, *DEMO_ORGANISER)
    assert 'class="demo-banner"' in client.get("/organiser/").get_data(as_text=True)
    response = _post(client, "/organiser/password", {
        "current": DEMO_ORGANISER[1], "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert 'class="demo-banner"' not in client.get("/organiser/").get_data(as_text=True)
    assert not user_service.has_published_password(_reload(demo))


@pytest.fixture
def served(monkeypatch):
    monkeypatch.setattr("waitress.serve", lambda wsgi, **kw: None)


def test_serve_prints_the_demo_credentials_only_while_they_work(app, runner, served):
    printed = "bantochuc / daihoi2025-thanhxuan"
    _local(app)
    assert printed not in runner.invoke(args=["serve"]).output  # no demo account
    demo = user_service.create_user(*DEMO_ORGANISER, role=Role.ADMIN)
    assert printed in runner.invoke(args=["serve"]).output
    refused = runner.invoke(args=["serve", "--host", "0.0.0.0"])
    assert printed not in refused.output and "flask set-password bantochuc" in refused.output
    app.config["HOST"] = "127.0.0.1"
    add_user("admin-hai", Role.ADMIN)
    user_service.set_active(None, demo, False)
    assert printed not in runner.invoke(args=["serve"]).output
    user_service.set_active(None, demo, True)
    assert printed in runner.invoke(args=["serve"]).output
    user_service.change_password(demo, NEW_PASSWORD)
    assert printed not in runner.invoke(args=["serve"]).output


def test_serve_with_a_hall_address_does_not_print_the_demo_credentials(app, runner, served,
                                                                         demo):
    app.config["PUBLIC_BASE_URL"] = "http://192.168.1.10:5000"
    result = runner.invoke(args=["serve", "--host", "127.0.0.1"])
    assert "daihoi2025-thanhxuan" not in result.output
    assert "WARNING: the demo account bantochuc" in result.output


# The CLI ------------------------------------------------------------------------------


def test_set_password_command_asks_twice_and_ends_sessions(app, runner, organiser):
    laptop = signed_in_client(app, *ORGANISER)
    result = runner.invoke(args=["set-password", ORGANISER[0]],
                           input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert laptop.get("/organiser/").status_code == 302
    after = _reload(organiser)
    assert after.check_password(NEW_PASSWORD) and not after.must_change_password
    [event] = _events("user.password_changed")
    assert event.user_id is None and audit_service.details(event) == {"username": ORGANISER[0]}


def test_set_password_command_can_make_it_one_time(app, runner, organiser):
    result = runner.invoke(args=["set-password", ORGANISER[0], "--one-time"],
                           input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "next sign-in" in result.output
    assert _reload(organiser).must_change_password
    client = signed_in_client(app, ORGANISER[0], NEW_PASSWORD)
    assert client.get("/organiser/").headers["Location"].startswith("/organiser/password")


@pytest.mark.parametrize(("args", "typed", "message"), [
    (["nobody"], NEW_PASSWORD, "No account"),
    ([ORGANISER[0]], "ngan qua", "ít nhất 12 ký tự"),
    ([ORGANISER[0]], DEMO_ORGANISER[1], "mật khẩu mẫu"),
])
def test_set_password_command_refuses_bad_input(app, runner, organiser, args, typed, message):
    result = runner.invoke(args=["set-password", *args], input=f"{typed}\n{typed}\n")
    assert result.exit_code != 0 and message in result.output
    assert _reload(organiser).check_password(ORGANISER[1])


def test_set_password_command_refuses_two_different_passwords(app, runner, organiser):
    result = runner.invoke(args=["set-password", ORGANISER[0]],
                           input=f"{NEW_PASSWORD}\nsomething else\n" * 3)
    assert result.exit_code != 0
    assert _reload(organiser).check_password(ORGANISER[1])


def test_deactivate_organiser_command_and_its_reactivation(app, runner, organiser):
    editor = add_user("bientap", Role.EDITOR)
    laptop = signed_in_client(app, "bientap")
    result = runner.invoke(args=["deactivate-organiser", "bientap"])
    assert result.exit_code == 0 and "deactivated" in result.output
    assert laptop.get("/organiser/").status_code == 302 and not _reload(editor).active
    result = runner.invoke(args=["deactivate-organiser", "bientap", "--reactivate"])
    assert result.exit_code == 0 and "active" in result.output and _reload(editor).active
    assert [e.user_id for e in _events("user.deactivate") + _events("user.reactivate")] == [
        None, None]


def test_the_cli_keeps_the_last_active_admin_too(app, runner, organiser):
    result = runner.invoke(args=["deactivate-organiser", ORGANISER[0]])
    assert result.exit_code != 0
    assert "quản trị viên cuối cùng" in result.output
    assert _reload(organiser).active and _events("user.deactivate") == []


def test_list_organisers_command(app, runner, organiser, congress, demo):
    add_user("bientap", Role.EDITOR, congress, must_change_password=True)
    add_user("cu", Role.CHECKIN, active=False)
    lines = runner.invoke(args=["list-organisers"]).output.splitlines()
    assert [line.split()[0] for line in lines] == ["bantochuc", "bientap", "cu", ORGANISER[0]]
    by_name = {line.split()[0]: line for line in lines}
    assert "DEMO PASSWORD" in by_name["bantochuc"]
    assert "editor" in by_name["bientap"] and "congress test" in by_name["bientap"]
    assert "one-time password" in by_name["bientap"]
    assert "deactivated" in by_name["cu"] and "every congress" in by_name["cu"]
