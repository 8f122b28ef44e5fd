"""Organise › Accounts: roles, congress ties and deactivation are audited and never leave a
congress without an admin; one-time and own passwords end the other sessions."""

from __future__ import annotations

import pytest

from congress_app.extensions import db
from congress_app.models import Role
from congress_app.services import audit as audit_service
from congress_app.services import users as user_service
from congress_app.services.errors import InputRefused

from .accounts_fixtures import (
    NEW_PASSWORD,
    _events,
    _post,
    _reload,
)
from .conftest import ORGANISER, PASSWORD, add_user, csrf_token_from, sign_in, signed_in_client

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
