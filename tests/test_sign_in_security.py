"""Sign-in and sign-out hold against an attacker: copied cookies die at sign-out, usernames
cannot be told apart, failing on purpose locks nobody else out, forms only from this site."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.security import check_password_hash

from congress_app.extensions import db
from congress_app.services import delegates as delegate_service
from congress_app.services import users as user_service
from congress_app.services.delegates import card_pin, card_token
from congress_app.web.auth import load_user

from .conftest import (
    BASE_URL,
    ORGANISER,
    add_delegate,
    csrf_token_from,
    is_signed_in_as,
    pin_sign_in,
    sign_in,
    wrong_pin,
)

ATTACKER = "203.0.113.66"
ORGANISER_LAPTOP = "198.51.100.7"


def copy_cookies(source, target, *names: str) -> None:
    """What a thief does with cookies read off a shared computer or a plain-HTTP network."""
    for name in names:
        cookie = source.get_cookie(name)
        assert cookie is not None, f"no {name} cookie to copy"
        target.set_cookie(name, cookie.value)


def sign_out(client):
    token = csrf_token_from(client.get("/organiser/").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302


# Sign-out ends the session on the server -----------------------------------------------------


def test_a_session_cookie_copied_before_sign_out_no_longer_opens_the_organiser_pages(
        app, client, organiser):
    assert sign_in(client).status_code == 302
    thief = app.test_client()
    copy_cookies(client, thief, "session")
    assert thief.get("/organiser/").status_code == 200

    sign_out(client)

    assert thief.get("/organiser/").status_code == 302
    assert client.get("/organiser/").status_code == 302


def test_a_remember_me_cookie_alone_no_longer_signs_in_after_sign_out(app, client, organiser):
    assert sign_in(client, remember=True).status_code == 302
    before = app.test_client()
    copy_cookies(client, before, "remember_token")
    assert before.get("/organiser/").status_code == 200

    sign_out(client)

    thief = app.test_client()
    copy_cookies(before, thief, "remember_token")
    assert thief.get("/organiser/").status_code == 302
    assert before.get("/organiser/").status_code == 302


def test_keep_me_signed_in_is_unticked_by_default_and_lasts_one_day_of_the_congress(
        client, organiser):
    page = client.get("/login").get_data(as_text=True)
    assert 'name="remember"' in page and "checked" not in page.split('name="remember"')[1][:40]
    sign_in(client)
    assert client.get_cookie("remember_token") is None

    other = client.application.test_client()
    sign_in(other, remember=True)
    lasts = other.get_cookie("remember_token").expires - datetime.now(UTC)
    assert timedelta(hours=11) < lasts <= timedelta(hours=12)


def test_a_delegates_sign_out_ends_the_copied_cookies_of_the_card(app, client, congress,
                                                                   make_document):
    delegate = add_delegate(congress)
    private = make_document(title="Tài liệu cho đại biểu", visibility="delegates")
    client.get(f"/K/{card_token(delegate)}")
    thief = app.test_client()
    copy_cookies(client, thief, "session", "remember_token")
    assert thief.get(f"/d/{private.code}").status_code == 200
    remember_only = app.test_client()
    copy_cookies(client, remember_only, "remember_token")

    page = client.get("/").get_data(as_text=True)
    client.post("/delegate/sign-out", data={"csrf_token": csrf_token_from(page)})

    assert thief.get(f"/d/{private.code}").status_code == 302
    assert remember_only.get(f"/d/{private.code}").status_code == 302
    assert not is_signed_in_as(thief, delegate)
    # The card itself still signs in again.
    assert client.get(f"/K/{card_token(delegate)}").status_code == 302
    assert is_signed_in_as(client, delegate)


def test_the_delegates_phone_stays_signed_in_for_the_congress_days(client, congress):
    delegate = add_delegate(congress)
    client.get(f"/K/{card_token(delegate)}")
    assert client.get_cookie("remember_token").expires - datetime.now(UTC) > timedelta(days=13)


def test_deactivating_then_reactivating_a_delegate_leaves_old_phones_signed_out(
        app, client, congress):
    delegate = add_delegate(congress)
    client.get(f"/K/{card_token(delegate)}")
    assert is_signed_in_as(client, delegate)

    delegate_service.set_active(delegate, False)
    delegate_service.set_active(delegate, True)

    assert not is_signed_in_as(client, delegate)
    assert client.get(f"/K/{card_token(delegate)}").status_code == 302


def test_end_sessions_ends_an_organisers_sessions_everywhere(app, client, organiser):
    """What deactivation and reactivation of an account call (User.end_sessions)."""
    sign_in(client, remember=True)
    laptop = app.test_client()
    copy_cookies(client, laptop, "session", "remember_token")

    organiser.active = False
    organiser.end_sessions()
    db.session.commit()
    organiser.active = True
    organiser.end_sessions()
    db.session.commit()

    assert client.get("/organiser/").status_code == 302
    assert laptop.get("/organiser/").status_code == 302
    assert sign_in(client).status_code == 302


def test_a_new_password_raises_the_session_version(app, organiser):
    before = organiser.session_version
    user_service.change_password(organiser, "another long password")
    assert organiser.session_version == before + 1


@pytest.mark.parametrize("session_id", ["u:1", "u:1:stamp", "d:1:1", "u:1:x:1:2", "d:1:1:x", ""])
def test_session_ids_of_another_shape_sign_nobody_in(app, organiser, session_id):
    assert load_user(session_id) is None


def test_a_page_fetched_while_signing_in_does_not_sign_the_organiser_out_again(
        app, client, organiser, congress):
    """The phone's offline worker fetches /offline and the programme while the sign-in form
    is sent, with the cookie from before; their answers arrive later and must not set that
    older session back (seen in CI: signed in, then sent to the sign-in page again)."""
    page = client.get("/login")
    before = client.get_cookie("session").value
    token = csrf_token_from(page.get_data(as_text=True))
    signed = client.post("/login", data={"username": ORGANISER[0], "password": ORGANISER[1],
                                         "csrf_token": token})
    assert signed.status_code == 302

    worker = app.test_client()
    worker.set_cookie("session", before)
    for path in ("/offline", "/programme", "/", "/sw.js"):
        answer = worker.get(path)
        assert answer.status_code == 200, path
        assert "session=" not in " ".join(answer.headers.getlist("Set-Cookie")), path
    assert client.get("/organiser/").status_code == 200


# Usernames cannot be told apart by the time of the answer ------------------------------------


@pytest.mark.parametrize("username", ["nobody", "inactive"])
def test_an_unknown_or_inactive_username_costs_a_real_password_check(app, monkeypatch, username):
    user_service.create_user("inactive", "correct horse battery").active = False
    db.session.commit()
    checked = []

    def spy(pwhash: str, password: str) -> bool:
        checked.append(pwhash)
        return check_password_hash(pwhash, password)

    monkeypatch.setattr(user_service, "check_password_hash", spy)
    assert user_service.authenticate(username, "correct horse battery") is None
    # The same method as a real account's hash, so the same time.
    real = db.session.scalar(db.select(user_service.User.password_hash))
    assert len(checked) == 1 and checked[0].split("$")[0] == real.split("$")[0]


# Failing on purpose locks nobody else out ----------------------------------------------------


def test_an_attacker_failing_on_purpose_does_not_lock_the_organiser_out(app, client, organiser):
    attacker = app.test_client()
    for _attempt in range(10):
        assert sign_in(attacker, password="wrong guess", address=ATTACKER).status_code == 401
    assert sign_in(attacker, address=ATTACKER).status_code == 429

    assert sign_in(client, address=ORGANISER_LAPTOP).status_code == 302
    assert client.get("/organiser/", environ_base={"REMOTE_ADDR": ORGANISER_LAPTOP}
                      ).status_code == 200
    assert sign_in(attacker, address=ATTACKER).status_code == 429


def test_many_failing_addresses_are_paused_for_the_account_but_not_a_clean_one(
        app, client, organiser):
    app.config["LOGIN_ATTEMPTS_PER_USERNAME"] = "6 per 15 minutes"
    attacker = app.test_client()
    for n in range(3):  # 3 addresses × 3 guesses: 6 counted (an address's first is not)
        for _attempt in range(3):
            address = f"203.0.113.{n}"
            assert sign_in(attacker, password="wrong", address=address).status_code == 401
    # Each failing address is paused for this account, though under its own limit of 10…
    assert sign_in(attacker, address="203.0.113.0").status_code == 429
    assert sign_in(attacker, password="wrong", address="203.0.113.9").status_code == 401
    assert sign_in(attacker, password="wrong", address="203.0.113.9").status_code == 429
    # …while the organiser, who has not failed, signs in.
    assert sign_in(client, address=ORGANISER_LAPTOP).status_code == 302


def test_an_attacker_failing_on_a_public_delegate_number_does_not_lock_the_delegate_out(
        app, client, congress):
    delegate = add_delegate(congress)
    attacker = app.test_client()
    for _attempt in range(5):
        response = pin_sign_in(attacker, delegate.number, wrong_pin(delegate), address=ATTACKER)
        assert response.status_code == 401
    assert pin_sign_in(attacker, delegate.number, card_pin(delegate),
                       address=ATTACKER).status_code == 429

    assert pin_sign_in(client, delegate.number, card_pin(delegate),
                       address="10.0.0.2").status_code == 302
    assert is_signed_in_as(client, delegate)
    assert pin_sign_in(attacker, delegate.number, card_pin(delegate),
                       address=ATTACKER).status_code == 429


# CSRF: a new token at sign-in, and forms only from this site ---------------------------------


def test_signing_in_renews_the_csrf_token(client, organiser):
    before = csrf_token_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": ORGANISER[0], "password": ORGANISER[1],
                                "csrf_token": before})
    sign_out_form = client.get("/organiser/").get_data(as_text=True)
    assert csrf_token_from(sign_out_form) != before
    # The token of the anonymous page no longer works.
    assert client.post("/logout", data={"csrf_token": before}).status_code == 400
    assert client.get("/organiser/").status_code == 200


def test_a_delegates_card_sign_in_renews_the_csrf_token(client, congress):
    delegate = add_delegate(congress)
    before = csrf_token_from(client.get("/delegate/sign-in").get_data(as_text=True))
    client.get(f"/K/{card_token(delegate)}")
    assert client.post("/delegate/sign-out", data={"csrf_token": before}).status_code == 400
    assert is_signed_in_as(client, delegate)


def test_a_pin_sign_in_renews_the_csrf_token(client, congress):
    delegate = add_delegate(congress)
    page = client.get("/delegate/sign-in").get_data(as_text=True)
    before = csrf_token_from(page)
    assert pin_sign_in(client, delegate.number, card_pin(delegate)).status_code == 302
    assert client.post("/delegate/sign-out", data={"csrf_token": before}).status_code == 400


@pytest.mark.parametrize(("header", "value"), [
    ("Origin", "http://evil.example"),
    ("Origin", "http://congress.test.evil.example"),
    ("Origin", "https://localhost"),  # another scheme is another site
    ("Origin", "null"),
    ("Referer", "http://evil.example/page"),
])
def test_a_form_sent_from_another_site_is_refused_even_with_a_valid_token(
        client, organiser, header, value):
    sign_in(client)
    token = csrf_token_from(client.get("/organiser/").get_data(as_text=True))
    client.set_cookie("lang", "en")
    response = client.post("/logout", data={"csrf_token": token}, headers={header: value})
    assert response.status_code == 400
    assert "sent from another page" in response.get_data(as_text=True)
    assert client.get("/organiser/").status_code == 200

    client.set_cookie("lang", "vi")
    response = client.post("/logout", data={"csrf_token": token}, headers={header: value})
    assert "Biểu mẫu đã hết hạn" in response.get_data(as_text=True)


def test_a_cross_site_sign_in_is_refused(client, organiser):
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": ORGANISER[0], "password": ORGANISER[1],
                                           "csrf_token": token},
                           headers={"Origin": "http://evil.example"})
    assert response.status_code == 400
    assert client.get("/organiser/").status_code == 302


@pytest.mark.parametrize("headers", [
    {"Origin": "http://localhost"},  # the request's own host
    {"Origin": BASE_URL},  # PUBLIC_BASE_URL
    {"Origin": "HTTP://LOCALHOST:80"},
    {"Referer": "http://localhost/organiser/"},
    {},  # old clients send neither: the token decides
])
def test_forms_from_this_site_are_accepted(client, organiser, headers):
    sign_in(client)
    token = csrf_token_from(client.get("/organiser/").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}, headers=headers).status_code == 302
    assert client.get("/organiser/").status_code == 302


@pytest.mark.browser
def test_on_a_phone_signing_out_from_the_card_page_passes_the_origin_check(
        live_server, phone, congress):
    """Chromium sends "Origin: null" from a "no-referrer" page: the card pages name the site
    in their Referrer-Policy instead, so their footer's sign-out still works."""
    delegate = add_delegate(congress)
    phone.goto(f"{live_server}/K/{card_token(delegate)}?lang=en")
    phone.goto(f"{live_server}/K/{'B' * 32}")  # a replaced card: its page has the footer
    assert phone.get_by_role("heading", name="This card is not valid").is_visible()

    phone.get_by_role("button", name="Sign out").click()

    phone.wait_for_url(f"{live_server}/")
    assert phone.get_by_text("You have signed out.").is_visible()
    assert phone.get_by_role("link", name="Delegate sign-in").first.is_visible()
