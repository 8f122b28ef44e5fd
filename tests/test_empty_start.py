"""An empty instance (CONGRESS_DEMO=0): the console's one-time set-up link creates the first
administrator, who then sets the congress up through the existing form."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from congress_app.config import ROOT
from congress_app.extensions import db
from congress_app.models import AuditEvent, Congress, Role, SetupToken, User
from congress_app.services import setup as setup_service
from congress_app.services import users as user_service

from .conftest import BASE_URL, csrf_token_from

LINK = re.compile(r"http://127\.0\.0\.1:5000/setup/([A-Za-z0-9_-]+)")
PASSWORD = "mật khẩu đủ dài 2025"


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _served_link(runner, monkeypatch) -> str:
    """Start `flask serve` (without the server itself) and read the token off its output."""
    monkeypatch.setattr("congress_app.cli.waitress.serve", lambda *args, **kwargs: None)
    result = runner.invoke(args=["serve", "--host", "127.0.0.1", "--port", "5000"])
    assert result.exit_code == 0, result.output
    match = LINK.search(result.output)
    assert match, result.output
    return match.group(1)


def _setup_form(client, token: str, **fields):
    page = client.get(f"/setup/{token}")
    data = {"username": "chanh-van-phong", "password": PASSWORD, "password_again": PASSWORD,
            "csrf_token": csrf_token_from(page.get_data(as_text=True))}
    data.update(fields)
    return client.post(f"/setup/{token}", data=data)


# make run with CONGRESS_DEMO=0 ------------------------------------------------------------


def test_congress_demo_0_leaves_the_instance_empty(runner):
    """`make run` runs `flask seed-demo` with the environment it was given."""
    result = runner.invoke(args=["seed-demo"], env={"CONGRESS_DEMO": "0"})
    assert result.exit_code == 0, result.output
    assert "not loaded" in result.output
    assert _count(Congress) == 0 and _count(User) == 0


def test_the_makefile_runs_seed_demo_and_documents_congress_demo():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    run = makefile[makefile.index("\nrun:"):]
    run = run[:run.index("\n\n")]
    assert "flask seed-demo" in run and "flask serve" in run
    assert "CONGRESS_DEMO=0 make run" in makefile


def test_the_demo_is_not_loaded_once_an_account_exists(runner, organiser):
    """A site set up by hand (or whose demo was deleted) keeps no demo at the next start."""
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "nothing changed" in result.output
    assert _count(Congress) == 0 and _count(User) == 1


# The set-up link on the console -------------------------------------------------------


def test_serve_prints_a_setup_link_only_while_there_is_no_administrator(runner, monkeypatch):
    token = _served_link(runner, monkeypatch)
    assert setup_service.token_is_valid(token)
    stored = db.session.scalars(select(SetupToken.token_hash)).all()
    assert stored and token not in stored  # only its hash

    user_service.create_user("quantri", PASSWORD, Role.ADMIN)
    assert not setup_service.token_is_valid(token)
    monkeypatch.setattr("congress_app.cli.waitress.serve", lambda *args, **kwargs: None)
    again = runner.invoke(args=["serve", "--host", "127.0.0.1", "--port", "5000"])
    assert "/setup/" not in again.output
    assert _count(SetupToken) == 0


def test_each_start_replaces_the_previous_link(runner, monkeypatch, client):
    first = _served_link(runner, monkeypatch)
    second = _served_link(runner, monkeypatch)
    assert first != second
    assert client.get(f"/setup/{first}").status_code == 404
    assert client.get(f"/setup/{second}").status_code == 200


def test_the_public_address_is_printed_too_when_it_differs(app):
    lines = setup_service.console_lines("http://127.0.0.1:5000", "https://daihoi.example.vn")
    token = LINK.search("\n".join(lines)).group(1)
    assert any(f"https://daihoi.example.vn/setup/{token}" in line for line in lines)


def test_setup_link_command(runner, organiser):
    """`flask setup-link` prints a link without a restart, and refuses once set up."""
    refused = runner.invoke(args=["setup-link"])
    assert refused.exit_code == 1 and "already has an administrator" in refused.output
    db.session.delete(organiser)
    db.session.commit()
    printed = runner.invoke(args=["setup-link"])
    assert printed.exit_code == 0, printed.output
    token = re.search(rf"{re.escape(BASE_URL)}/setup/(\S+)", printed.output).group(1)
    assert setup_service.token_is_valid(token)


# Through the pages ----------------------------------------------------------------------


def test_from_the_console_link_to_a_congress_of_ones_own(runner, monkeypatch, client):
    client.set_cookie("lang", "en")
    home = client.get("/").get_data(as_text=True)
    assert "no administrator yet" in home and 'href="/setup/"' in home
    where = client.get("/setup/")
    assert where.status_code == 200
    assert "console of the computer running the app" in where.get_data(as_text=True)

    token = _served_link(runner, monkeypatch)
    form = client.get(f"/setup/{token}")
    assert form.status_code == 200
    assert "Create the first administrator" in form.get_data(as_text=True)

    created = _setup_form(client, token)
    assert created.status_code == 302
    assert created.headers["Location"] == "/organiser/congress"
    admin = db.session.scalar(select(User))
    assert admin.username == "chanh-van-phong" and admin.role == Role.ADMIN
    assert admin.serves_every_congress and admin.check_password(PASSWORD)
    assert db.session.scalar(select(AuditEvent.id).where(
        AuditEvent.action == setup_service.SETUP_ACTION)) is not None

    # Signed in, straight on to the existing congress form.
    page = client.get("/organiser/congress")
    assert page.status_code == 200 and "Set up the congress" in page.get_data(as_text=True)
    saved = client.post("/organiser/congress", data={
        "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        "title": "Đại hội đại biểu Đảng bộ phường Ba Đình lần thứ I, nhiệm kỳ 2025–2030",
        "organisation": "Đảng bộ phường Ba Đình", "parent_organisation": "",
        "ordinal": "lần thứ I", "term": "2025–2030", "venue": "Hội trường phường",
        "starts_on": "2025-08-05", "ends_on": "2025-08-06", "motto": "",
        "delegates_expected": "150", "members_represented": "6000",
    })
    assert saved.status_code == 302, saved.get_data(as_text=True)
    congress = db.session.scalar(select(Congress))
    assert congress.organisation == "Đảng bộ phường Ba Đình"
    assert "Ba Đình" in client.get("/").get_data(as_text=True)

    # The link worked once: now it is a 404 page saying where a new one would come from.
    client.post("/logout", data={"csrf_token": csrf_token_from(
        client.get("/organiser/").get_data(as_text=True))})
    used = client.get(f"/setup/{token}")
    assert used.status_code == 404
    assert "not valid or has already been used" in used.get_data(as_text=True)
    again = client.post(f"/setup/{token}", data={
        "username": "ke-khac", "password": PASSWORD, "password_again": PASSWORD,
        "csrf_token": csrf_token_from(client.get("/login").get_data(as_text=True))})
    assert again.status_code == 404
    assert _count(User) == 1
    assert client.get("/setup/").headers["Location"] == "/login"


@pytest.mark.parametrize(("fields", "message"), [
    ({"password_again": "một mật khẩu khác"}, "The two passwords differ"),
    ({"password": "ngan", "password_again": "ngan"}, "at least 12 characters"),
    ({"username": ""}, "Enter a username"),
])
def test_a_refused_form_creates_nothing_and_keeps_the_link(
        runner, monkeypatch, client, fields, message):
    client.set_cookie("lang", "en")
    token = _served_link(runner, monkeypatch)
    response = _setup_form(client, token, **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _count(User) == 0
    assert setup_service.token_is_valid(token)
    assert _setup_form(client, token).status_code == 302


def test_without_the_token_nothing_can_be_created(runner, monkeypatch, client):
    client.set_cookie("lang", "en")
    _served_link(runner, monkeypatch)
    wrong = client.get("/setup/not-the-token")
    assert wrong.status_code == 404
    assert "not valid or has already been used" in wrong.get_data(as_text=True)
    csrf = csrf_token_from(client.get("/login").get_data(as_text=True))
    assert client.post("/setup/not-the-token", data={
        "username": "x", "password": PASSWORD, "password_again": PASSWORD,
        "csrf_token": csrf}).status_code == 404
    assert client.post("/setup/", data={"username": "x"}).status_code == 405
    assert _count(User) == 0


def test_a_link_stops_working_once_an_admin_exists_another_way(runner, monkeypatch, client):
    """An administrator made with `flask create-organiser` meanwhile ends the set-up."""
    token = _served_link(runner, monkeypatch)
    page = client.get(f"/setup/{token}").get_data(as_text=True)
    user_service.create_user("quantri", PASSWORD, Role.ADMIN)
    assert client.post(f"/setup/{token}", data={
        "username": "ke-khac", "password": PASSWORD, "password_again": PASSWORD,
        "csrf_token": csrf_token_from(page)}).status_code == 404
    assert _count(User) == 1


def test_the_not_set_up_page_sends_a_set_up_site_to_sign_in(client, organiser):
    client.set_cookie("lang", "en")
    page = client.get("/").get_data(as_text=True)
    assert "The congress has not been set up yet." in page
    assert 'href="/login"' in page and "/setup/" not in page
