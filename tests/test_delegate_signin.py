"""Delegates sign in on their phones: one scan of the card, or the number and PIN printed on it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from congress_app import create_app
from congress_app.extensions import db, limiter
from congress_app.models import Role
from congress_app.services.delegates import (
    card_pin,
    card_token,
    reissue_credentials,
)

from .conftest import (
    add_delegate,
    add_user,
    csrf_token_from,
    is_signed_in_as,
    pin_sign_in,
    wrong_pin,
)

PUBLIC_TITLE = "Chương trình Đại hội"
DELEGATES_TITLE = "Dự thảo Báo cáo chính trị (tài liệu cho đại biểu)"


@pytest.fixture
def delegate(congress):
    """Delegate number 7 of the test congress, with a printed card."""
    return add_delegate(congress)


@pytest.fixture
def private_document(make_document):
    """A published document for the congress's delegates only."""
    return make_document(title=DELEGATES_TITLE, visibility="delegates")


# The card link -------------------------------------------------------------------------------


def test_scanning_the_card_signs_the_phone_in_and_forgets_the_token(client, delegate):
    token = card_token(delegate)
    response = client.get(f"/K/{token}")  # the upper-case URL the card's QR code encodes

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert token not in response.headers["Location"]
    assert response.headers["Referrer-Policy"] == "strict-origin"
    assert "no-store" in response.headers["Cache-Control"]
    home = client.get("/").get_data(as_text=True)
    assert f"Chào mừng đồng chí {delegate.full_name}" in home  # Vietnamese by default
    english = client.get("/?lang=en").get_data(as_text=True)
    assert f"Signed in as delegate {delegate.full_name}" in english


def test_the_card_keeps_the_phone_signed_in_for_the_whole_congress(client, delegate):
    client.get(f"/k/{card_token(delegate)}")
    cookie = client.get_cookie("remember_token")
    assert cookie is not None
    assert cookie.expires - datetime.now(UTC) > timedelta(days=13)


@pytest.mark.parametrize("variant", [str.upper, str.lower, lambda t: t[:10].lower() + t[10:]])
@pytest.mark.parametrize("prefix", ["/k/", "/K/"])
def test_the_card_token_works_in_any_case(client, delegate, variant, prefix):
    response = client.get(prefix + variant(card_token(delegate)))
    assert response.status_code == 302
    assert is_signed_in_as(client, delegate)


def test_scanning_the_card_lands_on_the_page_asked_for(client, delegate, private_document):
    target = f"/d/{private_document.code}"
    response = client.get(f"/K/{card_token(delegate)}?next={target}")
    assert response.status_code == 302
    assert response.headers["Location"] == target
    assert DELEGATES_TITLE in client.get(target).get_data(as_text=True)


def test_a_delegates_only_document_asks_for_sign_in_then_opens_after_the_card_scan(
    client, delegate, private_document
):
    client.set_cookie("lang", "en")
    code = private_document.code
    for path in (f"/d/{code}", f"/d/{code}/file", f"/d/{code}/qr.svg", f"/d/{code}/qr.png"):
        response = client.get(path)
        assert response.status_code == 302, path
        location = urlsplit(response.headers["Location"])
        assert location.path == "/delegate/sign-in"
        assert parse_qs(location.query) == {"next": [f"/d/{code}"]}
        assert DELEGATES_TITLE not in response.get_data(as_text=True)

    page = client.get(f"/delegate/sign-in?next=/d/{code}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "This document is for delegates." in text
    assert "Scan the QR code on your delegate card, or enter your number and PIN." in text
    assert DELEGATES_TITLE not in text

    # The camera app opens the card's link without ?next=: the phone still lands on the document.
    response = client.get(f"/K/{card_token(delegate)}")
    assert response.headers["Location"] == f"/d/{code}"
    assert DELEGATES_TITLE in client.get(f"/d/{code}").get_data(as_text=True)
    assert client.get(f"/d/{code}/file").status_code == 200


@pytest.mark.parametrize("token", ["", "NOT-A-TOKEN", "A" * 32, "x" * 500])
def test_a_wrong_card_gets_a_clear_page_and_no_sign_in(client, delegate, token):
    client.set_cookie("lang", "en")
    response = client.get(f"/k/{token}" if token else "/k/%20")
    text = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "This card is not valid" in text
    assert "organisers' desk" in text
    assert 'href="/delegate/sign-in"' in text
    assert response.headers["Referrer-Policy"] == "strict-origin"
    assert not is_signed_in_as(client, delegate)


def test_a_reissued_card_stops_working_and_signs_out_phones_that_used_it(
    app, client, delegate, private_document
):
    old_token = card_token(delegate)
    old_phone = app.test_client()
    assert old_phone.get(f"/K/{old_token}").status_code == 302
    assert old_phone.get(f"/d/{private_document.code}").status_code == 200

    reissue_credentials(delegate)

    # The phone signed in with the old card is signed out on its very next request…
    response = old_phone.get(f"/d/{private_document.code}")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/delegate/sign-in"
    assert not is_signed_in_as(old_phone, delegate)
    # …the old card no longer signs anyone in, and it looks like any wrong card…
    wrong = client.get("/k/" + "B" * 32).get_data(as_text=True)
    assert client.get(f"/K/{old_token}").get_data(as_text=True) == wrong
    assert client.get(f"/K/{old_token}").status_code == 403
    # …while the new card works.
    assert client.get(f"/K/{card_token(delegate)}").status_code == 302
    assert is_signed_in_as(client, delegate)


def test_a_deactivated_delegate_cannot_sign_in(client, delegate):
    delegate.active = False
    db.session.commit()
    assert client.get(f"/K/{card_token(delegate)}").status_code == 403
    assert pin_sign_in(client, delegate.number, card_pin(delegate)).status_code == 401
    assert not is_signed_in_as(client, delegate)


@pytest.mark.parametrize("next_path", [
    "https://evil.example/phish", "//evil.example/phish", "/\\evil.example", "javascript:alert(1)",
    "http:/evil.example",
])
def test_sign_in_never_sends_the_phone_to_another_site(client, delegate, next_path):
    response = client.get(f"/K/{card_token(delegate)}", query_string={"next": next_path})
    assert response.headers["Location"] == "/"
    client.post("/delegate/sign-out", data={"csrf_token": csrf_token_from(
        client.get("/").get_data(as_text=True))})
    response = pin_sign_in(client, delegate.number, card_pin(delegate), next_path=next_path)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_an_organiser_phone_that_opens_a_card_keeps_its_account(client, auth, organiser,
                                                                delegate):
    auth.login()
    response = client.get(f"/K/{card_token(delegate)}")
    assert response.status_code == 409
    assert response.headers["Referrer-Policy"] == "strict-origin"
    assert client.get("/organiser/").status_code == 200


# Number + PIN ---------------------------------------------------------------------------------


def test_the_pin_form_signs_in_and_lands_on_the_document(client, delegate, private_document):
    target = f"/d/{private_document.code}"
    client.get(f"/delegate/sign-in?next={target}")
    response = pin_sign_in(client, f" {delegate.number} ", card_pin(delegate), next_path=target)
    assert response.status_code == 302
    assert response.headers["Location"] == target
    assert DELEGATES_TITLE in client.get(target).get_data(as_text=True)


def test_the_pin_may_be_typed_with_spaces_as_printed(client, delegate):
    pin = card_pin(delegate)
    assert pin_sign_in(client, delegate.number, f"{pin[:3]} {pin[3:]}").status_code == 302
    assert is_signed_in_as(client, delegate)


@pytest.mark.parametrize(("number", "pin", "message"), [
    ("7", "12a456", "The PIN has exactly 6 digits (numbers only)."),
    ("7", "12345", "The PIN has exactly 6 digits (numbers only)."),
    ("7", "1234567", "The PIN has exactly 6 digits (numbers only)."),
    ("7", "١٢٣٤٥٦", "The PIN has exactly 6 digits (numbers only)."),
    ("7", "", "Enter the PIN printed on your card."),
    ("bảy", "123456", "The delegate number has digits only, as printed on your card."),
    ("", "123456", "Enter your delegate number."),
])
def test_a_badly_typed_number_or_pin_gets_a_message_on_its_field(client, delegate, number, pin,
                                                                 message):
    client.set_cookie("lang", "en")
    response = pin_sign_in(client, number, pin)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert not is_signed_in_as(client, delegate)


def test_a_wrong_pin_is_refused_without_saying_which_part_was_wrong(client, congress, delegate):
    client.set_cookie("lang", "en")
    add_delegate(congress, number=8, full_name="Trần Văn Bình", active=False)
    message = "The delegate number or the PIN is not correct."
    for number, pin in [(delegate.number, wrong_pin(delegate)), (999, card_pin(delegate)),
                        (8, "123456")]:
        response = pin_sign_in(client, number, pin)
        text = response.get_data(as_text=True)
        assert response.status_code == 401
        assert message in text
        assert delegate.full_name not in text and "Trần Văn Bình" not in text
        assert card_pin(delegate) not in text
    assert not is_signed_in_as(client, delegate)


def test_the_pin_form_needs_its_csrf_token(client, delegate):
    response = client.post("/delegate/sign-in",
                           data={"number": delegate.number, "pin": card_pin(delegate)})
    assert response.status_code == 400
    assert not is_signed_in_as(client, delegate)


def test_signing_out_forgets_the_delegate_on_this_phone(client, delegate, private_document):
    client.get(f"/K/{card_token(delegate)}")
    page = client.get("/").get_data(as_text=True)
    assert 'action="/delegate/sign-out"' in page

    assert client.post("/delegate/sign-out").status_code == 400  # no CSRF token: refused
    assert is_signed_in_as(client, delegate)

    response = client.post("/delegate/sign-out", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get_cookie("remember_token") is None
    assert not is_signed_in_as(client, delegate)
    assert client.get(f"/d/{private_document.code}").status_code == 302


# Rate limits ----------------------------------------------------------------------------------


def test_wrong_pins_for_one_number_are_paused_after_five(app, client, congress, delegate):
    assert app.config["PIN_ATTEMPTS_PER_NUMBER_AND_CLIENT"] == "5 per 15 minutes"
    other = add_delegate(congress, number=12, full_name="Lê Văn Cường")
    for _attempt in range(5):
        assert pin_sign_in(client, delegate.number, wrong_pin(delegate)).status_code == 401

    # Even the right PIN waits now on this phone, however the number is typed…
    assert pin_sign_in(client, delegate.number, card_pin(delegate)).status_code == 429
    assert pin_sign_in(client, f"00{delegate.number}", card_pin(delegate)).status_code == 429
    # …but other delegates on this phone are not held up, and the card still works.
    assert pin_sign_in(client, other.number, card_pin(other)).status_code == 302
    assert client.get(f"/K/{card_token(delegate)}").status_code == 302


def test_wrong_pins_from_one_phone_are_paused_whatever_the_number(app, client, delegate):
    limit = int(app.config["PIN_ATTEMPTS_PER_CLIENT"].split()[0])
    for number in range(100, 100 + limit):
        assert pin_sign_in(client, number, "000000").status_code == 401

    assert pin_sign_in(client, delegate.number, card_pin(delegate)).status_code == 429
    # Another phone is not affected.
    assert pin_sign_in(client, delegate.number, card_pin(delegate),
                       address="10.0.0.2").status_code == 302


def test_successful_sign_ins_and_typing_errors_do_not_count(client, delegate):
    for _attempt in range(8):
        assert pin_sign_in(client, delegate.number, card_pin(delegate)).status_code == 302
        assert pin_sign_in(client, delegate.number, "12x456").status_code == 400
    for _attempt in range(4):
        assert pin_sign_in(client, delegate.number, wrong_pin(delegate)).status_code == 401
    assert pin_sign_in(client, delegate.number, card_pin(delegate)).status_code == 302
    assert pin_sign_in(client, delegate.number, wrong_pin(delegate)).status_code == 401
    assert pin_sign_in(client, delegate.number, card_pin(delegate)).status_code == 429


def test_the_pause_page_says_how_long_to_wait_and_who_can_help(client, delegate):
    for _attempt in range(5):
        pin_sign_in(client, delegate.number, wrong_pin(delegate))

    client.set_cookie("lang", "en")
    response = pin_sign_in(client, delegate.number, card_pin(delegate))
    text = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "Too many attempts" in text
    assert "please wait 15 minutes before you try again" in text
    assert "organisers' desk" in text
    assert "scanning its QR code still signs you in" in text
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60 + 1

    client.set_cookie("lang", "vi")
    page = pin_sign_in(client, delegate.number, card_pin(delegate))
    assert page.status_code == 429
    assert '<html lang="vi">' in page.get_data(as_text=True)


def test_each_app_starts_with_fresh_rate_limits(app, client, delegate):
    for _attempt in range(5):
        pin_sign_in(client, delegate.number, wrong_pin(delegate))
    assert pin_sign_in(client, delegate.number, card_pin(delegate)).status_code == 429
    used = limiter.storage

    fresh = create_app(dict(app.config))  # as the app fixture does for the next test
    assert limiter.storage is not used
    with fresh.app_context():
        response = pin_sign_in(fresh.test_client(), delegate.number, card_pin(delegate))
        assert response.status_code == 302
        db.session.remove()
        db.engine.dispose()


def test_a_check_in_account_is_asked_to_sign_in_as_a_delegate(client, auth, private_document):

    add_user("cua", Role.CHECKIN, password="door pass")
    auth.login("cua", "door pass")
    response = client.get(f"/d/{private_document.code}")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/delegate/sign-in"


# On a real phone ------------------------------------------------------------------------------


@pytest.mark.browser
def test_on_a_phone_a_delegate_types_number_and_pin_and_the_document_opens(
    live_server, phone, delegate, private_document
):
    phone.goto(f"{live_server}/D/{private_document.code}?lang=en")  # the QR payload's form

    assert phone.get_by_role("heading", level=1).inner_text() == "Delegate sign-in"
    assert phone.get_by_text("This document is for delegates.").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    number = phone.get_by_label("Delegate number")
    assert number.get_attribute("inputmode") == "numeric"
    assert number.bounding_box()["height"] >= 44
    number.fill(str(delegate.number))
    phone.get_by_label("PIN (6 digits)").fill(card_pin(delegate))
    phone.get_by_role("button", name="Sign in").click()

    phone.wait_for_url(f"{live_server}/d/{private_document.code}")
    assert phone.get_by_role("heading", level=1).inner_text() == DELEGATES_TITLE
    assert phone.get_by_text(f"Welcome, {delegate.full_name}").is_visible()
