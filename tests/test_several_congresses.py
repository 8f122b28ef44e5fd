"""A city's wards on one instance: each congress has its own slug and pages, organisers can be
tied to one congress, and nothing of one congress is visible from another."""

from __future__ import annotations

import io
import re
from datetime import date, time

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from congress_app.extensions import db
from congress_app.models import (
    AgendaItem,
    AuditEvent,
    Congress,
    CongressSession,
    Document,
    Role,
    User,
)
from congress_app.services import agenda as agenda_service
from congress_app.services import audit as audit_service
from congress_app.services import intake
from congress_app.services.attendance import check_in
from congress_app.services.delegates import card_pin, card_token

from .conftest import add_delegate, add_user, csrf_token_from, signed_in_client
from .routes import blueprint_routes, route_path

# Words that occur only in congress B's rows: finding one on a page of A is a leak.
B_MARKERS = ("BINHMINH", "BìnhMinh".upper())
ORGANISER_SIDE = ("organiser", "roster", "cards", "print_centre", "stage", "closing", "audit",
                  "archive", "checkin", "congresses")


@pytest.fixture
def city(app, client, congress, make_document, pdf_bytes):
    """Congress A (the `congress` fixture) and the ward next door, B, with a session, an item,
    a public, a delegates-only and a draft document, and a delegate with a card."""
    a_document = make_document(title="Báo cáo của phường Thanh Xuân")
    b = Congress(slug="binh-minh-2025", title="Đại hội Đảng bộ phường BinhMinh lần thứ I",
                 organisation="Đảng bộ phường BinhMinh", starts_on=date(2025, 7, 24),
                 ends_on=date(2025, 7, 24), venue="Nhà văn hoá BinhMinh")
    session = CongressSession(congress=b, name="Phiên BinhMinh", date=date(2025, 7, 24),
                              starts_at=time(8, 0), ends_at=time(11, 0), position=1)
    session.items = [AgendaItem(position=1, starts_at=time(8, 0), title="Khai mạc BinhMinh")]
    db.session.add_all([b, session])
    db.session.commit()

    def b_document(title: str, **kwargs) -> Document:
        return intake.create_document(
            b, title=title, category="political_report",
            upload=intake.Upload(io.BytesIO(pdf_bytes(title)), f"{title}.pdf"),
            **kwargs)

    public = b_document("Báo cáo BinhMinh công khai")
    members = b_document("Dự thảo BinhMinh cho đại biểu", visibility="delegates")
    draft = b_document("Bản nháp BinhMinh", published=False)
    agenda_service.link_document(session.items[0], public)
    b_delegate = add_delegate(b, number=7, full_name="Trần Văn BinhMinh")
    a_delegate = add_delegate(congress, number=7, full_name="Lê Thị Thanh Xuân")
    return {"a": congress, "b": b, "a_document": a_document, "public": public,
            "members": members, "draft": draft, "b_session": session,
            "b_item": session.items[0], "b_delegate": b_delegate, "a_delegate": a_delegate}


def _text(response) -> str:
    """What a response shows, a PDF's text included, upper case."""
    data = response.get_data()
    if data.startswith(b"%PDF-"):
        text = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    else:
        text = data.decode("utf-8", "replace")
    return text.upper()


# The root page and each congress's pages ------------------------------------------------------


def test_the_root_page_lists_the_listed_congresses_and_each_has_its_own_home(client, city):
    hidden = Congress(slug="an-2025", title="Đại hội chưa công bố", organisation="Chi bộ ẩn",
                      starts_on=date(2025, 8, 1), ends_on=date(2025, 8, 1), listed=False)
    db.session.add(hidden)
    db.session.commit()
    root = client.get("/").get_data(as_text=True)
    assert 'href="/c/test/"' in root and 'href="/c/binh-minh-2025/"' in root
    assert "Đại hội Đảng bộ phường BinhMinh" in root
    assert "Đại hội chưa công bố" not in root and "/c/an-2025/" not in root
    # An unlisted congress is still served at its address.
    assert client.get("/c/an-2025/").status_code == 200
    assert client.get("/c/no-such-ward/").status_code == 404
    assert client.get("/c/no-such-ward/programme").status_code == 404


def test_a_single_congress_instance_goes_straight_to_its_congress(client, congress):
    page = client.get("/").get_data(as_text=True)
    assert congress.motto in page
    assert 'href="/programme"' in page  # short links, no slug
    assert client.get("/c/test/programme").status_code == 200


def test_each_congress_shows_only_its_own_programme_documents_and_search(client, city):
    b_home = client.get("/c/binh-minh-2025/").get_data(as_text=True)
    assert "Đảng bộ phường BinhMinh" in b_home
    # Every link of B's pages stays in B.
    assert 'href="/c/binh-minh-2025/programme"' in b_home
    assert 'href="/c/binh-minh-2025/documents"' in b_home
    b_programme = client.get("/c/binh-minh-2025/programme").get_data(as_text=True)
    assert "Khai mạc BinhMinh" in b_programme and "Chào cờ" not in b_programme
    a_documents = _text(client.get("/c/test/documents"))
    assert "THANH XUÂN" in a_documents
    assert not any(marker in a_documents for marker in B_MARKERS)
    b_documents = client.get("/c/binh-minh-2025/documents").get_data(as_text=True)
    assert "Báo cáo BinhMinh công khai" in b_documents
    assert "Báo cáo của phường Thanh Xuân" not in b_documents
    assert "Dự thảo BinhMinh" not in b_documents and "Bản nháp BinhMinh" not in b_documents

    found_in_a = _text(client.get("/c/test/search?q=bao+cao"))
    assert "THANH XUÂN" in found_in_a
    assert not any(marker in found_in_a for marker in B_MARKERS)
    found_in_b = client.get("/c/binh-minh-2025/search?q=binhminh").get_data(as_text=True)
    assert f'href="/d/{city["public"].code}"' in found_in_b
    # Delegates-only and drafts: not for an anonymous phone.
    assert city["members"].code not in found_in_b and city["draft"].code not in found_in_b

    a_pdf = _text(client.get("/c/test/programme.pdf"))
    assert "CHÀO CỜ" in a_pdf and not any(marker in a_pdf for marker in B_MARKERS)


def test_a_document_qr_url_opens_in_its_own_congress(client, city):
    code = city["public"].code
    page = client.get(f"/d/{code}").get_data(as_text=True)
    assert "Báo cáo BinhMinh công khai" in page
    # The page's links (programme, documents, search) lead into B, not into the first congress.
    assert 'href="/c/binh-minh-2025/programme"' in page
    assert 'action="/c/binh-minh-2025/search"' in page
    # A delegates-only document sends the phone to B's sign-in page.
    response = client.get(f"/d/{city['members'].code}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/c/binh-minh-2025/delegate/sign-in?next=")


# Delegates ------------------------------------------------------------------------------------


def test_a_delegate_signs_in_with_number_and_pin_only_in_their_own_congress(app, city):
    b_delegate = city["b_delegate"]
    b_pin = card_pin(b_delegate)
    phone = app.test_client()
    phone.set_cookie("lang", "en")
    # Both wards have a delegate number 7: the PIN of B's number 7 does not open A.
    form = phone.get("/c/test/delegate/sign-in").get_data(as_text=True)
    refused = phone.post("/c/test/delegate/sign-in", data={
        "number": "7", "pin": b_pin, "csrf_token": csrf_token_from(form)})
    assert refused.status_code == 401
    form = phone.get("/c/binh-minh-2025/delegate/sign-in").get_data(as_text=True)
    assert 'action="/c/binh-minh-2025/delegate/sign-in' in form or "<form" in form
    accepted = phone.post("/c/binh-minh-2025/delegate/sign-in", data={
        "number": "7", "pin": b_pin, "csrf_token": csrf_token_from(form)})
    assert accepted.status_code == 302
    members = phone.get(f"/d/{city['members'].code}")
    assert members.status_code == 200
    assert "Dự thảo BinhMinh cho đại biểu" in members.get_data(as_text=True)


def test_a_delegates_card_never_opens_another_congress_s_delegates_only_documents(app, city):
    phone = app.test_client()
    assert phone.get(f"/K/{card_token(city['a_delegate'])}").status_code == 302
    assert phone.get(f"/d/{city['members'].code}").status_code == 404
    assert phone.get(f"/d/{city['members'].code}/file").status_code == 404
    assert phone.get(f"/d/{city['members'].code}/qr.svg").status_code == 404


# Organisers tied to one congress ----------------------------------------------------------------


def _b_ids(city) -> dict:
    """URL values that name B's rows (and harmless values for the other placeholders)."""
    from congress_app.services import roster_import

    b_checkin, _created = check_in(city["b_delegate"])
    return {"session_id": city["b_session"].id, "item_id": city["b_item"].id,
            "document_id": city["public"].id, "delegate_id": city["b_delegate"].id,
            "number": 1, "direction": "up", "slug": "programme", "congress_id": city["b"].id,
            "checkin_id": b_checkin.id,
            "token": roster_import.stash_upload(b"STT,Ho va ten\n1,Nguyen Van A\n", city["b"])}


B_ROW_PARAMS = ("<int:session_id>", "<int:item_id>", "<int:document_id>", "<int:delegate_id>",
                "<int:checkin_id>", "<token>")


def test_an_organiser_of_one_congress_cannot_reach_anything_of_another(app, city):
    """Every organiser-side route, walked by A's admin with the ids of B's rows: routes that
    name a row of B answer 404 and change nothing; no page or printout names anything of B."""
    add_user("admin-a", Role.ADMIN, city["a"])
    browser = signed_in_client(app, "admin-a")
    token = csrf_token_from(browser.get("/organiser/").get_data(as_text=True))
    ids = _b_ids(city)
    before = (city["public"].title, city["b_item"].title, db.session.scalar(
        select(func.count()).select_from(Document).where(Document.congress_id == city["b"].id)))
    problems, walked = [], 0
    for blueprint in ORGANISER_SIDE:
        for endpoint, rule, method in blueprint_routes(blueprint):
            if not (rule.startswith("/organiser") or rule.startswith("/checkin")):
                continue
            path = route_path(rule, ids)
            data = {"csrf_token": token} if method == "POST" else None
            response = browser.open(path, method=method, data=data)
            walked += 1
            names_b_row = any(param in rule for param in B_ROW_PARAMS)
            if names_b_row and response.status_code != 404:
                problems.append(f"{method} {path} ({endpoint}): {response.status_code}")
            if response.status_code >= 500:
                problems.append(f"{method} {path} ({endpoint}): {response.status_code}")
            shown = _text(response)
            if any(marker in shown for marker in B_MARKERS):
                problems.append(f"{method} {path} ({endpoint}) names congress B")
    assert walked > 60
    assert not problems, "\n".join(problems)
    db.session.expire_all()
    b_public = db.session.get(Document, city["public"].id)
    assert (b_public.title, db.session.get(AgendaItem, city["b_item"].id).title,
            db.session.scalar(select(func.count()).select_from(Document)
                              .where(Document.congress_id == city["b"].id))) == before
    assert b_public.published and not b_public.is_deleted
    # A's own rows still open for A's admin: the 404s above are about B, not a broken page.
    own = browser.get(f"/organiser/documents/{city['a_document'].id}")
    assert own.status_code == 200 and "Báo cáo của phường Thanh Xuân" in own.get_data(as_text=True)


def test_an_organiser_of_one_congress_sees_another_s_documents_as_the_public_does(app, city):
    add_user("editor-a", Role.EDITOR, city["a"])
    browser = signed_in_client(app, "editor-a")
    assert browser.get(f"/d/{city['draft'].code}").status_code == 404
    assert browser.get(f"/d/{city['members'].code}/file").status_code == 404
    assert browser.get(f"/d/{city['public'].code}").status_code == 200
    assert "Bản nháp BinhMinh" not in browser.get(
        "/c/binh-minh-2025/search?q=binhminh").get_data(as_text=True)
    # …and cannot pick another congress to work on.
    assert browser.get("/organiser/congresses/").status_code == 403
    token = csrf_token_from(browser.get("/organiser/").get_data(as_text=True))
    chosen = browser.post(f"/organiser/congresses/{city['b'].id}/choose",
                          data={"csrf_token": token})
    assert chosen.status_code == 403
    assert "BinhMinh" not in browser.get("/organiser/").get_data(as_text=True)


def test_check_in_staff_of_one_congress_cannot_check_in_another_s_card(app, city):
    add_user("door-a", Role.CHECKIN, city["a"])
    browser = signed_in_client(app, "door-a")
    token = csrf_token_from(browser.get("/checkin/").get_data(as_text=True))
    foreign = browser.post("/checkin/scan", json={"token": card_token(city["b_delegate"])},
                           headers={"X-CSRFToken": token})
    assert foreign.status_code == 404 and foreign.get_json()["status"] == "invalid"
    own = browser.post("/checkin/scan", json={"token": card_token(city["a_delegate"])},
                       headers={"X-CSRFToken": token})
    assert own.status_code == 200 and own.get_json()["status"] == "created"


def test_an_admin_tied_to_a_congress_reads_only_its_audit_events(app, city):
    add_user("admin-a", Role.ADMIN, city["a"])
    add_user("admin-b", Role.ADMIN, city["b"])
    signed_in_client(app, "admin-b")  # audit: a login of B's admin
    browser = signed_in_client(app, "admin-a")
    events = db.session.scalars(select(AuditEvent)).all()
    assert {e.congress_id for e in events if e.object_type == "Document"} == {
        city["a"].id, city["b"].id}
    page = browser.get("/organiser/audit").get_data(as_text=True)
    assert "admin-a" in page and "BinhMinh" not in page and "admin-b" not in page
    csv = browser.get("/organiser/audit.csv").get_data(as_text=True)
    assert "admin-a" in csv and "BinhMinh" not in csv and "admin-b" not in csv


# Accounts serving every congress ------------------------------------------------------------------


def test_an_admin_of_every_congress_chooses_one_and_sets_up_another(app, city):
    add_user("city-admin", Role.ADMIN, None)
    browser = signed_in_client(app, "city-admin")
    listing = browser.get("/organiser/congresses/").get_data(as_text=True)
    assert "Đại hội Đảng bộ phường BinhMinh" in listing and city["a"].title in listing
    token = csrf_token_from(listing)
    browser.post(f"/organiser/congresses/{city['b'].id}/choose", data={"csrf_token": token})
    dashboard = browser.get("/organiser/").get_data(as_text=True)
    assert "Working on: Đại hội Đảng bộ phường BinhMinh" in dashboard
    documents = browser.get("/organiser/documents").get_data(as_text=True)
    assert "Bản nháp BinhMinh" in documents and "Báo cáo của phường Thanh Xuân" not in documents

    form = browser.get("/organiser/congresses/new").get_data(as_text=True)
    created = browser.post("/organiser/congresses/new", data={
        "csrf_token": csrf_token_from(form), "title": "Đại hội Đảng bộ phường Hoà Bình",
        "organisation": "Đảng bộ phường Hoà Bình", "starts_on": "2025-07-28",
        "ends_on": "2025-07-28", "venue": "Hội trường", "delegates_expected": "120"})
    assert created.status_code == 302
    new = db.session.scalar(select(Congress).where(Congress.organisation.contains("Hoà Bình")))
    assert new is not None and new.slug == "dang-bo-phuong-hoa-binh-2025"
    assert "Working on: Đại hội Đảng bộ phường Hoà Bình" in browser.get(
        "/organiser/").get_data(as_text=True)
    assert 'href="/c/dang-bo-phuong-hoa-binh-2025/"' in app.test_client().get(
        "/").get_data(as_text=True)


def test_a_bad_new_congress_form_changes_nothing(app, city):
    add_user("city-admin", Role.ADMIN, None)
    browser = signed_in_client(app, "city-admin")
    count = db.session.scalar(select(func.count()).select_from(Congress))
    form = browser.get("/organiser/congresses/new").get_data(as_text=True)
    refused = browser.post("/organiser/congresses/new", data={
        "csrf_token": csrf_token_from(form), "title": "", "organisation": "x",
        "starts_on": "2025-07-30", "ends_on": "2025-07-01"})
    assert refused.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Congress)) == count


def test_editors_of_every_congress_may_choose_but_not_create(app, city):
    add_user("city-editor", Role.EDITOR, None)
    browser = signed_in_client(app, "city-editor")
    assert browser.get("/organiser/congresses/").status_code == 200
    assert browser.get("/organiser/congresses/new").status_code == 403


def test_create_organiser_ties_an_account_to_a_congress(app, runner, city):
    result = runner.invoke(args=["create-organiser", "ban-b", "--congress", "binh-minh-2025",
                                 "--password", "mat khau dai du roi"])
    assert result.exit_code == 0, result.output
    assert "binh-minh-2025" in result.output
    user = db.session.scalar(select(User).where(User.username == "ban-b"))
    assert user.congress_id == city["b"].id and not user.serves(city["a"].id)
    unknown = runner.invoke(args=["create-organiser", "ban-c", "--congress", "khong-co",
                                  "--password", "mat khau dai du roi"])
    assert unknown.exit_code != 0 and "khong-co" in unknown.output
    assert db.session.scalar(select(User).where(User.username == "ban-c")) is None


def test_audit_events_name_their_congress(app, city):
    assert audit_service.record(None, "x", city["b_item"]).congress_id == city["b"].id
    assert audit_service.record(None, "x", city["public"]).congress_id == city["b"].id
    assert audit_service.record(None, "x", city["a"]).congress_id == city["a"].id
    db.session.rollback()


def test_the_url_slug_wins_over_the_signed_in_account(app, city):
    """A's delegate reading B's public programme sees B's, with B's links."""
    phone = app.test_client()
    phone.get(f"/K/{card_token(city['a_delegate'])}")
    page = phone.get("/c/binh-minh-2025/programme").get_data(as_text=True)
    assert "Khai mạc BinhMinh" in page
    # Without a slug, the signed-in delegate's own congress.
    own = phone.get("/programme").get_data(as_text=True)
    assert "Chào cờ" in own and "Khai mạc BinhMinh" not in own
    assert re.search(r'href="/c/test/documents"', own)


def test_printed_home_codes_open_their_own_congress(app, client, city):
    """A poster or table tent without a document: its code opens the congress's own home, not
    the instance's list of congresses."""
    from urllib.parse import urlsplit

    from congress_app.pdf.editions import Edition
    from congress_app.pdf.qr_sheet import congress_context

    home = congress_context(city["b"], Edition.PUBLIC)["home"]
    assert home["payload"].endswith("/c/binh-minh-2025/")
    page = client.get(urlsplit(home["payload"]).path).get_data(as_text=True)
    assert "Đảng bộ phường BinhMinh" in page


@pytest.mark.parametrize("path", ["/c/bad%00slug/", "/c/BINH-MINH-2025/programme",
                                  "/c/" + "a" * 81 + "/", "/c/nope/search?q=%00"])
def test_a_malformed_or_unknown_slug_is_a_clean_client_error(client, city, path):
    response = client.get(path)
    assert response.status_code in (400, 404)
    assert "<!doctype html>" in response.get_data(as_text=True)
