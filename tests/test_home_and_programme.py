"""The home page and the programme as a delegate sees them, including what is on stage."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from congress_app.extensions import db
from congress_app.models import AgendaItemDocument
from congress_app.services.congress import on_stage


def hanoi(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in Hanoi (UTC+7) in July 2025, as an aware UTC datetime."""
    return datetime(2025, 7, day, hour - 7, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "current", "following"),
    [
        (hanoi(22, 9), None, "Chào cờ"),  # the day before: the first item is next
        (hanoi(23, 7, 29), None, "Chào cờ"),
        (hanoi(23, 7, 30), "Chào cờ", "Báo cáo chính trị"),
        (hanoi(23, 9, 15), "Báo cáo chính trị", None),
        (hanoi(23, 11, 30), None, None),  # the session has ended
        (hanoi(24, 9), None, None),
    ],
)
def test_on_stage_follows_the_clock(congress, moment, current, following):
    state = on_stage(congress, moment)
    assert (state.current.title if state.current else None) == current
    assert (state.next.title if state.next else None) == following


def test_the_organisers_flag_overrides_the_clock(congress):
    congress.sessions[0].items[1].on_stage = True
    db.session.commit()
    state = on_stage(congress, hanoi(22, 9))
    assert state.current.title == "Báo cáo chính trị"
    assert state.next is None


def test_home_shows_the_congress_and_what_is_on_stage(client, congress, monkeypatch):
    monkeypatch.setattr("congress_app.web.public.utcnow", lambda: hanoi(23, 8, 5))
    html = client.get("/").get_data(as_text=True)
    for text in (congress.title, congress.term, congress.venue, congress.motto,
                 congress.parent_organisation, "Báo cáo chính trị", "Bí thư Đảng ủy phường",
                 'href="/programme"', 'href="/documents"'):
        assert text in html, text


def test_home_in_english_formats_dates_in_english(client, congress):
    client.set_cookie("lang", "en")
    html = client.get("/").get_data(as_text=True)
    assert "22 Jul 2025" in html and "On stage now" in html


def test_language_choice_is_remembered_in_a_cookie(client, congress):
    response = client.get("/?lang=en")
    assert "lang=en" in response.headers["Set-Cookie"]
    assert '<html lang="en">' in client.get("/programme").get_data(as_text=True)


def test_programme_lists_sessions_items_presenters_and_documents(client, congress,
                                                                 make_document,
                                                                 monkeypatch):
    monkeypatch.setattr("congress_app.web.public.utcnow", lambda: hanoi(23, 8, 5))
    document = make_document(title="Báo cáo chính trị khóa I")
    hidden = make_document(title="Bản nháp nội bộ", published=False)
    item = congress.sessions[0].items[1]
    db.session.add_all([
        AgendaItemDocument(item=item, document=document, position=1),
        AgendaItemDocument(item=item, document=hidden, position=2),
    ])
    db.session.commit()
    html = client.get("/programme").get_data(as_text=True)
    for text in ("Phiên chính thức", "07:30", "08:00", "Chào cờ", "Bí thư Đảng ủy phường",
                 f"/d/{document.code}", 'class="item is-now"', "/programme.pdf"):
        assert text in html, text
    assert "Bản nháp nội bộ" not in html


def test_documents_page_groups_by_category(client, make_document):
    make_document(title="Quy chế làm việc", category="working_rules")
    make_document(title="Tham luận số 1", category="discussion_paper")
    make_document(title="Tham luận số 2", category="discussion_paper")
    client.set_cookie("lang", "en")
    html = client.get("/documents").get_data(as_text=True)
    assert html.index("Working rules") < html.index("Quy chế làm việc")
    assert html.index("Discussion papers") < html.index("Tham luận số 1") < html.index(
        "Tham luận số 2")
    assert html.count("Discussion papers") == 1


def test_pages_are_light_and_self_contained(client, congress):
    html = client.get("/").get_data(as_text=True)
    assert "http://" not in html.replace("http://congress.test", "")
    assert "https://" not in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    css = client.get("/static/css/app.css")
    assert len(css.data) < 20_000
    css.close()


def test_a_fresh_instance_invites_organisers_to_set_it_up(client):
    client.set_cookie("lang", "en")
    response = client.get("/")
    assert response.status_code == 200
    assert "has not been set up yet" in response.get_data(as_text=True)
    assert client.get("/programme").status_code == 404


def test_vietnamese_dates_are_written_the_official_way(client, congress):
    html = client.get("/").get_data(as_text=True)
    assert "22/7/2025 – 23/7/2025" in html


def test_pages_without_a_congress_of_their_own_still_name_it(client, congress):
    html = client.get("/login").get_data(as_text=True)
    assert "Đảng bộ phường Thanh Xuân" in html
    assert client.get("/d/ZZZZZZ").get_data(as_text=True).count("Đảng bộ phường Thanh Xuân") >= 1


def test_the_document_page_says_when_it_was_updated_in_hanoi_time(client, make_document):
    from datetime import UTC, datetime

    document = make_document()
    document.current_version.uploaded_at = datetime(2025, 7, 23, 7, 5, tzinfo=UTC)
    db.session.commit()
    assert "14:05, 23/7/2025" in client.get(f"/d/{document.code}").get_data(as_text=True)


def _on_stage_with_documents(congress, make_document):
    """The political report on stage, with a public document, a delegates-only one and a note."""
    item = congress.sessions[0].items[1]
    item.notes = "Biểu quyết bằng giơ thẻ đại biểu"
    public = make_document(title="Báo cáo chính trị khóa I")
    private = make_document(title="Danh sách nhân sự", visibility="delegates")
    db.session.add_all([
        AgendaItemDocument(item=item, document=public, position=1),
        AgendaItemDocument(item=item, document=private, position=2),
    ])
    db.session.commit()
    return item, public, private


def test_the_phone_home_shows_the_stage_first_with_its_documents(
        client, congress, make_document, monkeypatch):
    monkeypatch.setattr("congress_app.web.public.utcnow", lambda: hanoi(23, 8, 5))
    _item, public, private = _on_stage_with_documents(congress, make_document)
    html = client.get("/").get_data(as_text=True)
    assert html.index("data-stage-box") < html.index('class="hero"')
    box = html[html.index("data-stage-box"):html.index("</section>", html.index("data-stage-box"))]
    assert f'href="/d/{public.code}"' in box
    assert private.code not in box  # the box is the same for everyone, as /stage.json
    assert 'href="/programme#now"' in box
    assert "Biểu quyết bằng giơ thẻ đại biểu" in box


def test_the_programme_shows_item_notes_and_jumps_to_the_item_on_stage(
        client, congress, make_document, monkeypatch):
    monkeypatch.setattr("congress_app.web.public.utcnow", lambda: hanoi(23, 8, 5))
    item, _public, _private = _on_stage_with_documents(congress, make_document)
    html = client.get("/programme").get_data(as_text=True)
    assert "Biểu quyết bằng giơ thẻ đại biểu" in html
    assert '<p class="jump-now" data-jump-now>' in html and 'href="#now"' in html
    now_item = html[html.index(f'id="item-{item.id}"'):]
    assert now_item.index('id="now"') < now_item.index("</li>")
    assert "📄" not in html  # no emoji: older phones lack the font


def test_with_nothing_on_stage_the_jump_link_is_hidden(client, congress, monkeypatch):
    monkeypatch.setattr("congress_app.web.public.utcnow", lambda: hanoi(24, 9))
    html = client.get("/programme").get_data(as_text=True)
    assert "data-jump-now hidden" in html and 'id="now"' not in html


def test_stage_json_carries_the_notes_for_the_live_box(client, congress, make_document,
                                                       monkeypatch):
    monkeypatch.setattr("congress_app.web.stage.utcnow", lambda: hanoi(23, 8, 5),
                        raising=False)
    item, public, _private = _on_stage_with_documents(congress, make_document)
    item.on_stage = True
    db.session.commit()
    data = client.get("/stage.json").get_json()
    assert data["current"]["notes"] == "Biểu quyết bằng giơ thẻ đại biểu"
    assert [d["code"] for d in data["current"]["documents"]] == [public.code]


def test_english_pages_put_the_day_before_the_month(client, congress):
    """English reads "Wednesday, 23 July 2025" like the printed programme, not Babel's
    American "Wednesday, July 23, 2025"; Vietnamese keeps its own long form."""
    congress.ends_on = congress.starts_on
    db.session.commit()
    client.set_cookie("lang", "en")
    home = client.get("/").get_data(as_text=True)
    programme = client.get("/programme").get_data(as_text=True)
    assert "Tuesday, 22 July 2025" in home
    assert "Wednesday, 23 July 2025" in programme
    assert "July 22" not in home and "July 23" not in programme
    client.set_cookie("lang", "vi")
    assert "Thứ Tư, 23 tháng 7, 2025" in client.get("/programme").get_data(as_text=True)


def test_the_phone_home_keeps_the_term_on_one_line(client, congress):
    """At 360 px the facts' labels took half the width and "2025–2030" broke after its dash:
    the term is kept together, the labels take at most 40 % (app.css .facts)."""
    page = client.get("/").get_data(as_text=True)
    facts = page.split('<dl class="facts">')[1].split("</dl>")[0]
    assert f'<dd><span class="keep-together">{congress.term}</span></dd>' in facts
