"""Nobody gets in who should not: headers, cookies, the secret key, sign-in limits, passwords."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from congress_app import create_app
from congress_app.config import check_secret_key, secure_cookies, settings_from_environment
from congress_app.extensions import db
from congress_app.models import AuditEvent, Role, User
from congress_app.services import users as user_service
from congress_app.services.errors import InputRefused
from congress_app.web.security import FILE_POLICY

from .conftest import ORGANISER, AuthActions, IsolatedClient, add_user, sign_in

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
}


def _assert_site_headers(response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "worker-src 'self' blob:" in policy  # the scanner's decoder runs in a blob: worker


@pytest.mark.parametrize(("path", "status"), [
    ("/", 200), ("/programme", 200), ("/documents", 200), ("/search?q=bao+cao", 200),
    ("/login", 200), ("/screen", 200), ("/stage.json", 200), ("/manifest.webmanifest", 200),
    ("/sw.js", 200), ("/static/css/app.css", 200), ("/no-such-page", 404), ("/d/ZZZZZZ", 404),
])
def test_every_kind_of_response_carries_the_security_headers(client, congress, path, status):
    response = client.get(path)
    assert response.status_code == status
    _assert_site_headers(response)


def test_a_document_file_opens_sandboxed_with_a_safe_name(client, make_document):
    document = make_document(title="Báo cáo chính trị")
    response = client.get(f"/d/{document.code}/file")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Security-Policy"] == FILE_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("inline;") and "filename*=UTF-8''B%C3%A1o" in disposition
    download = client.get(f"/d/{document.code}/file?download=1")
    assert download.headers["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize("mime_type", ["text/html", "image/svg+xml", "application/xhtml+xml"])
def test_a_file_of_an_unexpected_type_is_only_ever_downloaded(client, make_document, mime_type):
    document = make_document()
    document.current_version.mime_type = mime_type
    db.session.commit()
    response = client.get(f"/d/{document.code}/file")
    assert response.status_code == 200
    assert response.mimetype == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_the_attendance_meter_is_drawn_by_a_nonced_style_not_an_inline_one(client, signed_in):
    response = client.get("/checkin/attendance")
    html = response.get_data(as_text=True)
    policy = response.headers["Content-Security-Policy"]
    nonce = html.split('<style nonce="', 1)[1].split('"', 1)[0]
    assert f"style-src 'self' 'nonce-{nonce}'" in policy
    assert 'style="' not in html
    assert client.get("/checkin/attendance").headers["Content-Security-Policy"] != policy


# Cookies ---------------------------------------------------------------------------------


def _set_cookies(response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def test_sign_in_cookies_are_httponly_lax_and_secure_over_https(app, client, organiser):
    app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    response = sign_in(client, remember=True)
    assert response.status_code == 302
    cookies = _set_cookies(response)
    for name in ("session", "remember_token"):
        assert "; Secure" in cookies[name] and "; HttpOnly" in cookies[name], cookies[name]
        assert "SameSite=Lax" in cookies[name], cookies[name]


def test_sign_in_cookies_are_not_secure_on_a_plain_http_hall(client, auth, organiser):
    cookies = _set_cookies(auth.login())
    assert "; Secure" not in cookies["session"] and "; HttpOnly" in cookies["session"]


def test_the_language_cookie_is_lax(client):
    cookie = _set_cookies(client.get("/?lang=en"))["lang"]
    assert "SameSite=Lax" in cookie


@pytest.mark.parametrize(("setting", "base_url", "secure"), [
    (None, "https://daihoi.example.vn", True),
    (None, "http://192.168.1.10:5000", False),
    ("1", "http://192.168.1.10:5000", True),   # TLS ends at a proxy that rewrites nothing
    ("0", "https://daihoi.example.vn", False),
    ("", "HTTPS://daihoi.example.vn", True),
])
def test_secure_cookies_follow_the_setting_or_the_public_url(setting, base_url, secure):
    assert secure_cookies(setting, base_url) is secure


def test_the_environment_turns_on_secure_cookies_for_an_https_address(monkeypatch, tmp_path):
    monkeypatch.setenv("CONGRESS_SECRET_KEY", "k" * 64)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://daihoi.example.vn/")
    monkeypatch.delenv("CONGRESS_SECURE_COOKIES", raising=False)
    settings = settings_from_environment(tmp_path)
    assert settings["SESSION_COOKIE_SECURE"] and settings["REMEMBER_COOKIE_SECURE"]
    monkeypatch.setenv("CONGRESS_SECURE_COOKIES", "maybe")
    with pytest.raises(RuntimeError, match="CONGRESS_SECURE_COOKIES"):
        settings_from_environment(tmp_path)


# The secret key --------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["dev", "change-me", "test-secret", "", None, "a" * 31,
                                 "CHANGE-ME"])
def test_the_app_refuses_to_start_with_a_weak_secret_key(key):
    config = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": key}
    with pytest.raises(RuntimeError, match="CONGRESS_SECRET_KEY"):
        create_app(config)


def test_a_random_key_starts_and_tests_or_debug_may_use_a_short_one(tmp_path):
    assert create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "f" * 64,
                       "FILE_STORE": str(tmp_path / "files"), "CACHE_DIR": str(tmp_path)})
    check_secret_key({"TESTING": True, "SECRET_KEY": "x"})
    check_secret_key({"DEBUG": True, "SECRET_KEY": "dev"})


def test_the_generated_instance_key_is_strong_enough(monkeypatch, tmp_path):
    monkeypatch.delenv("CONGRESS_SECRET_KEY", raising=False)
    settings = settings_from_environment(tmp_path)
    check_secret_key(settings)
    assert (tmp_path / "secret_key").read_text() == settings["SECRET_KEY"]


# Organiser sign-in limits ----------------------------------------------------------------


def _actions(event: str) -> list[dict]:
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == event)).all()
    return [json.loads(row.detail) for row in rows]


def test_guessing_an_organiser_password_is_paused_and_audited(app, client, auth, organiser):
    app.config["LOGIN_ATTEMPTS_PER_USERNAME_AND_CLIENT"] = "3 per 15 minutes"
    client.set_cookie("lang", "en")
    for _attempt in range(3):
        assert auth.login(ORGANISER[0], "wrong password").status_code == 401
    paused = auth.login()  # even the right password waits
    assert paused.status_code == 429
    html = paused.get_data(as_text=True)
    assert "Too many wrong sign-in attempts" in html and "15 minutes" in html
    assert 800 < int(paused.headers["Retry-After"]) <= 900
    _assert_site_headers(paused)
    assert client.get("/organiser/").status_code == 302
    failed = _actions("auth.login_failed")
    assert len(failed) == 3 and failed[0] == {"username": ORGANISER[0], "address": "127.0.0.1"}
    assert _actions("auth.login_paused") == [{"username": ORGANISER[0], "address": "127.0.0.1"}]


def test_the_pause_page_is_in_vietnamese_by_default(app, client, auth, organiser):
    app.config["LOGIN_ATTEMPTS_PER_USERNAME_AND_CLIENT"] = "1 per 15 minutes"
    auth.login(ORGANISER[0], "wrong password")
    html = auth.login().get_data(as_text=True)
    assert "Quá nhiều lần đăng nhập sai" in html


def test_the_username_limit_ignores_case_and_leaves_other_accounts_alone(app, client, auth,
                                                                          organiser):
    app.config["LOGIN_ATTEMPTS_PER_USERNAME_AND_CLIENT"] = "2 per 15 minutes"
    add_user("thuky", Role.EDITOR)
    auth.login(ORGANISER[0], "wrong password")
    auth.login(f" {ORGANISER[0].upper()} ", "wrong password")
    assert auth.login().status_code == 429
    assert auth.login("thuky", "pass word").status_code == 302


def test_one_client_guessing_many_usernames_is_paused(app, client, auth, organiser):
    app.config["LOGIN_ATTEMPTS_PER_CLIENT"] = "3 per 15 minutes"
    for name in ("a", "b", "c"):
        assert auth.login(name, "wrong password").status_code == 401
    assert auth.login("d", "wrong password").status_code == 429


def test_successful_sign_ins_do_not_count_and_are_audited(app, client, auth, organiser):
    app.config["LOGIN_ATTEMPTS_PER_USERNAME_AND_CLIENT"] = "1 per 15 minutes"
    for _ in range(3):
        assert auth.login().status_code == 302
        client.post("/logout", data={"csrf_token": auth.csrf_token()})
    assert len(_actions("auth.login")) == 3


# Passwords -------------------------------------------------------------------------------


@pytest.mark.parametrize(("username", "password", "field_message"), [
    ("thuky", "mười một kt", "ít nhất 12 ký tự"),
    ("thuky", "x" * 201, "tối đa 200 ký tự"),
    ("thukydaihoi", " ThuKyDaiHoi ", "không được trùng với tên đăng nhập"),
])
def test_weak_passwords_are_refused(app, username, password, field_message):
    with pytest.raises(InputRefused) as refused:
        user_service.create_user(username, password)
    assert field_message in str(refused.value.message)
    assert db.session.scalar(select(User.id)) is None


def test_a_twelve_character_password_is_enough(app):
    assert user_service.create_user("thuky", "mười hai ký!").check_password("mười hai ký!")


def test_create_organiser_refuses_a_short_password(runner):
    result = runner.invoke(args=["create-organiser", "chutoa"], input="ngan-qua-1\nngan-qua-1\n")
    assert result.exit_code != 0 and "ít nhất 12 ký tự" in result.output
    result = runner.invoke(args=["create-organiser", "chutoa-dai-hoi"],
                           input="chutoa-dai-hoi\nchutoa-dai-hoi\n")
    assert result.exit_code != 0 and "không được trùng với tên đăng nhập" in result.output


def test_a_new_password_signs_out_every_other_session(app, organiser):
    app.test_client_class = IsolatedClient
    phone, laptop = app.test_client(), app.test_client()
    for device in (phone, laptop):
        assert AuthActions(device).login().status_code == 302
        assert device.get("/organiser/").status_code == 200
    user_service.change_password(organiser, "một mật khẩu mới dài")
    for device in (phone, laptop):
        assert device.get("/organiser/").status_code == 302
    assert AuthActions(phone).login().status_code == 401
    assert AuthActions(phone).login(ORGANISER[0], "một mật khẩu mới dài").status_code == 302
    assert phone.get("/organiser/").status_code == 200
    assert _actions("user.password_changed") == [{"username": ORGANISER[0]}]


def test_a_remembered_device_is_signed_out_by_a_new_password_too(app, organiser):
    app.test_client_class = IsolatedClient
    device = app.test_client()
    sign_in(device, remember=True)
    device.delete_cookie("session")  # the browser was closed: only the remember cookie is left
    assert device.get("/organiser/").status_code == 200
    user_service.change_password(organiser, "một mật khẩu mới dài")
    device.delete_cookie("session")
    assert device.get("/organiser/").status_code == 302


def test_change_password_applies_the_same_rules(app, organiser):
    with pytest.raises(InputRefused):
        user_service.change_password(organiser, "short")
    assert organiser.check_password(ORGANISER[1])


def test_a_session_id_from_before_the_stamp_is_not_accepted(app, organiser):
    from congress_app.web.auth import load_user

    assert load_user(organiser.get_id()) is organiser
    assert load_user(f"u:{organiser.id}") is None
    assert load_user(f"u:{organiser.id}:0000000000000000") is None


def test_uploaded_html_renamed_as_pdf_is_refused(signed_in, congress):
    response = signed_in.post("/organiser/documents/new", data={
        "title": "Trang web", "category": "other", "visibility": "public",
        "file": (io.BytesIO(b"<html><script>alert(1)</script></html>"), "trang.pdf"),
    }, content_type="multipart/form-data")
    assert response.status_code in (400, 422)


def test_behind_a_trusted_proxy_the_phone_address_is_the_forwarded_one(tmp_path):
    from flask import request

    from congress_app import create_app

    def remote_addr(app):
        @app.get("/_addr")
        def addr():
            return request.remote_addr

        return app.test_client().get(
            "/_addr", headers={"X-Forwarded-For": "203.0.113.7"},
            environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_data(as_text=True)

    base = {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "CACHE_DIR": str(tmp_path)}
    assert remote_addr(create_app(base)) == "127.0.0.1"  # not believed by default
    assert remote_addr(create_app({**base, "TRUSTED_PROXIES": 1})) == "203.0.113.7"
