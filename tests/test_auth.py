"""Organisers sign in with a username and a hashed password; nobody is sent off-site."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from congress_app.extensions import db
from congress_app.models import AuditEvent, Role, User
from congress_app.web.auth import safe_next

from .conftest import ORGANISER, add_user, csrf_token_from


def test_passwords_are_stored_hashed(app):
    from congress_app.config import DEFAULTS
    from congress_app.services.users import create_user

    app.config["PASSWORD_HASH_METHOD"] = DEFAULTS["PASSWORD_HASH_METHOD"]  # an instance's
    user = create_user("thuky", "mat khau bi mat")
    assert "mat khau bi mat" not in user.password_hash
    assert user.password_hash.startswith("scrypt:")
    assert user.check_password("mat khau bi mat") and not user.check_password("mat khau")


def test_an_organiser_signs_in_and_reaches_the_dashboard(client, auth, organiser):
    response = auth.login()
    assert response.status_code == 302
    assert response.headers["Location"] == "/organiser/"
    assert client.get("/organiser/").status_code == 200


@pytest.mark.parametrize(("username", "password"), [
    (ORGANISER[0], "wrong password"),
    ("nobody", ORGANISER[1]),
    (ORGANISER[0].upper(), ORGANISER[1]),
])
def test_wrong_credentials_are_refused_and_audited(client, auth, organiser, username, password):
    client.set_cookie("lang", "en")
    response = auth.login(username, password)
    assert response.status_code == 401
    assert "Wrong username or password." in response.get_data(as_text=True)
    assert client.get("/organiser/").status_code == 302
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "auth.login_failed" in actions


def test_a_deactivated_account_cannot_sign_in(client, auth, organiser):
    organiser.active = False
    db.session.commit()
    assert auth.login().status_code == 401


def test_the_login_form_needs_its_csrf_token(client, organiser):
    response = client.post("/login", data={"username": ORGANISER[0], "password": ORGANISER[1]})
    assert response.status_code == 400
    assert client.get("/organiser/").status_code == 302


def test_sign_in_returns_to_the_page_asked_for(client, organiser):
    page = client.get("/organiser/")
    assert page.status_code == 302 and "/login?next=" in page.headers["Location"]
    html = client.get(page.headers["Location"]).get_data(as_text=True)
    response = client.post("/login", data={
        "username": ORGANISER[0], "password": ORGANISER[1], "next": "/organiser/",
        "csrf_token": csrf_token_from(html)})
    assert response.headers["Location"] == "/organiser/"


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)",
    "organiser", "/ok\r\nSet-Cookie: x=y",
])
def test_redirects_after_sign_in_stay_on_this_site(target):
    assert safe_next(target, "/home") == "/home"


def test_local_paths_are_allowed_after_sign_in():
    assert safe_next("/d/ABC234?x=1", "/home") == "/d/ABC234?x=1"


def test_sign_out_is_a_post_with_csrf(client, auth, organiser):
    auth.login()
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400  # no token
    assert client.get("/organiser/").status_code == 200
    token = auth.csrf_token()
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/organiser/").status_code == 302


def test_create_organiser_command(runner):
    result = runner.invoke(args=["create-organiser", "chutoa", "--role", "editor"],
                           input="mat-khau-dai\nmat-khau-dai\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "chutoa"))
    assert user.role == "editor" and user.check_password("mat-khau-dai")


@pytest.mark.parametrize(("args", "password", "message"), [
    (["chutoa"], "short", "ít nhất 12 ký tự"),
    (["organiser"], "long enough password", "đã có người sử dụng"),
])
def test_create_organiser_refuses_bad_input(runner, organiser, args, password, message):
    result = runner.invoke(args=["create-organiser", *args], input=f"{password}\n{password}\n")
    assert result.exit_code != 0
    assert message in result.output


def test_serve_prints_the_url_the_login_and_a_localhost_warning(runner, app, monkeypatch):
    from congress_app.services.users import DEMO_ORGANISER, create_user

    create_user(*DEMO_ORGANISER)  # the demo credentials are printed only while they work
    served = {}
    monkeypatch.setattr("waitress.serve", lambda wsgi, **kw: served.update(kw))
    app.config["PUBLIC_BASE_URL"] = "http://127.0.0.1:5000"
    result = runner.invoke(args=["serve", "--host", "127.0.0.1", "--port", "5001"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:5001/" in result.output
    assert "bantochuc / daihoi2025-thanhxuan" in result.output
    assert "WARNING" in result.output and "PUBLIC_BASE_URL" in result.output
    assert served["host"] == "127.0.0.1" and served["port"] == 5001


def test_serve_does_not_warn_for_a_hall_address(runner, app, monkeypatch):
    monkeypatch.setattr("waitress.serve", lambda wsgi, **kw: None)
    app.config["PUBLIC_BASE_URL"] = "http://192.168.1.10:5000"
    result = runner.invoke(args=["serve", "--host", "0.0.0.0"])
    assert "WARNING" not in result.output
    assert "http://192.168.1.10:5000" in result.output


def test_check_in_staff_land_on_the_scanner(client, auth):
    add_user("cuaso", Role.CHECKIN)
    response = auth.login("cuaso", "pass word")
    assert response.headers["Location"] == "/checkin/"
