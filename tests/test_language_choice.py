"""Vietnamese first: a phone set to English does not turn a Vietnamese party congress into
English. The visitor's own choice (?lang=, remembered) always counts; the phone's language
only where the organisers switch it on for their congress."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from congress_app.extensions import db
from congress_app.models import AuditEvent, Congress

from .pdf_reading import pdf_text
from .samples import CONGRESS_FORM

ENGLISH_PHONE = {"Accept-Language": "en-US,en;q=0.9"}


def _language_of(response) -> str:
    html = response.get_data(as_text=True)
    return "en" if '<html lang="en">' in html else "vi" if '<html lang="vi">' in html else "?"


@pytest.fixture
def ward_b(congress):
    """A second congress on the instance, which follows the phone's language."""
    b = Congress(slug="binh-minh-2025", title="Đại hội Đảng bộ phường Bình Minh",
                 organisation="Đảng bộ phường Bình Minh", starts_on=date(2025, 7, 24),
                 ends_on=date(2025, 7, 24), follow_browser_language=True)
    db.session.add(b)
    db.session.commit()
    return b


def test_a_new_congress_does_not_follow_the_phones_language(congress):
    assert congress.follow_browser_language is False


@pytest.mark.parametrize("path", ["/", "/programme", "/documents", "/search?q=bao+cao",
                                  "/d/{code}", "/d/NOSUCHCODE", "/delegate/sign-in"])
def test_an_english_phone_reads_a_vietnamese_congress_in_vietnamese(client, make_document,
                                                                    path):
    path = path.replace("{code}", make_document().code)
    for _ in range(2):  # the second /d/CODE comes from the page cache
        response = client.get(path, headers=ENGLISH_PHONE)
        assert _language_of(response) == "vi", path
        # Accept-Language changes nothing here; the lang cookie still does.
        assert "Cookie" in response.vary and "Accept-Language" not in response.vary


def test_an_english_phone_gets_the_vietnamese_programme_pdf(client, make_document):
    make_document()
    response = client.get("/programme.pdf", headers=ENGLISH_PHONE)
    assert response.status_code == 200
    assert "văn kiện, tài liệu đại hội" in pdf_text(response.get_data()).casefold()
    assert "Cookie" in response.vary and "Accept-Language" not in response.vary


def test_the_visitors_choice_still_switches_to_english_and_is_remembered(client, congress):
    response = client.get("/?lang=en", headers={"Accept-Language": "vi"})
    assert _language_of(response) == "en"
    assert "lang=en" in response.headers["Set-Cookie"]
    assert _language_of(client.get("/programme", headers={"Accept-Language": "vi"})) == "en"
    assert _language_of(client.get("/?lang=vi", headers=ENGLISH_PHONE)) == "vi"
    assert _language_of(client.get("/programme", headers=ENGLISH_PHONE)) == "vi"


def test_the_organisers_let_the_phones_language_choose_and_the_change_is_audited(
    client, signed_in, congress, make_document
):
    code = make_document().code
    form = client.get("/organiser/congress").get_data(as_text=True)
    assert 'name="follow_browser_language"' in form and "checked" not in form.split(
        'name="follow_browser_language"')[1].split(">")[0]
    response = signed_in.post("/organiser/congress",
                              {**CONGRESS_FORM, "follow_browser_language": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Congress, congress.id).follow_browser_language is True
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "congress.update")
                               .order_by(AuditEvent.id.desc())).first()
    assert "follow_browser_language" in event.detail

    phone = client.application.test_client()
    for path in ("/", f"/d/{code}", "/d/NOSUCHCODE"):
        response = phone.get(path, headers=ENGLISH_PHONE)
        assert _language_of(response) == "en", path
        assert {"Accept-Language", "Cookie"} <= set(response.vary), path
    assert _language_of(phone.get("/", headers={"Accept-Language": "vi"})) == "vi"

    # Unticked (a checkbox sends nothing), the phone's language stops counting again.
    assert signed_in.post("/organiser/congress", CONGRESS_FORM).status_code == 302
    db.session.expire_all()
    assert db.session.get(Congress, congress.id).follow_browser_language is False
    assert _language_of(phone.get("/", headers=ENGLISH_PHONE)) == "vi"


def test_a_service_caller_that_leaves_the_setting_out_keeps_it(congress):
    from congress_app.services import congress as congress_service

    congress.follow_browser_language = True
    db.session.commit()
    congress_service.update_congress(congress, title=congress.title,
                                     organisation=congress.organisation,
                                     starts_on=congress.starts_on, ends_on=congress.ends_on)
    assert congress.follow_browser_language is True


def test_each_congress_of_a_city_decides_for_itself(client, congress, ward_b, make_document):
    a_code = make_document().code
    assert _language_of(client.get("/c/test/", headers=ENGLISH_PHONE)) == "vi"
    assert _language_of(client.get("/c/binh-minh-2025/", headers=ENGLISH_PHONE)) == "en"
    assert _language_of(client.get("/c/binh-minh-2025/programme", headers=ENGLISH_PHONE)) == "en"
    # A's document code opens in A, which does not follow the phone.
    assert _language_of(client.get(f"/d/{a_code}", headers=ENGLISH_PHONE)) == "vi"


def test_pages_of_no_congress_stay_vietnamese_for_an_english_phone(client, congress, ward_b):
    # Even when the instance's first congress follows the phone, the city's list of
    # congresses and an unknown congress's address belong to none: Vietnamese.
    congress.follow_browser_language = True
    db.session.commit()
    listing = client.get("/", headers=ENGLISH_PHONE)
    assert "Bình Minh" in listing.get_data(as_text=True)
    assert _language_of(listing) == "vi"
    assert "Accept-Language" not in listing.vary
    unknown = client.get("/c/no-such-ward/programme", headers=ENGLISH_PHONE)
    assert unknown.status_code == 404 and _language_of(unknown) == "vi"
    # …unless the visitor chose English.
    assert _language_of(client.get("/?lang=en", headers=ENGLISH_PHONE)) == "en"


def test_a_fresh_instance_without_a_congress_is_vietnamese(client):
    response = client.get("/", headers=ENGLISH_PHONE)
    assert response.status_code == 200 and _language_of(response) == "vi"


def test_the_migration_gives_existing_congresses_vietnamese_first(app, congress):
    """Congresses made before the setting existed do not follow the phone after the upgrade."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect

    congress_id = congress.id
    db.session.remove()
    downgrade(revision="b4e2d8c1a7f3")
    with db.engine.connect() as connection:
        columns = {c["name"] for c in inspect(connection).get_columns("congresses")}
    assert "follow_browser_language" not in columns
    upgrade()
    assert db.session.get(Congress, congress_id).follow_browser_language is False
