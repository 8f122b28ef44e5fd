"""The demo account's published password works only on this computer, with a red banner while
it does, and the CLI sets passwords and deactivates organisers like the pages."""

from __future__ import annotations

import pytest

from congress_app.models import Role
from congress_app.services import audit as audit_service
from congress_app.services import users as user_service
from congress_app.services.users import DEMO_ORGANISER

from .accounts_fixtures import (
    NEW_PASSWORD,
    _events,
    _post,
    _reload,
)
from .conftest import ORGANISER, add_user, csrf_token_from, signed_in_client

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
