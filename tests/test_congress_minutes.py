"""The congress's minutes (biên bản Đại hội): sessions with their attendance, every vote in
agenda order (closed with its result block, annulled with the reason, open or draft said to
be not closed), the signature lines; the same result block as a vote's own minutes; the
route, its links and its language."""

from __future__ import annotations

import re
from datetime import date, time

import pytest
from flask_babel import force_locale

from congress_app.extensions import db
from congress_app.models import AgendaItem, CongressSession, Role, VoteMethod
from congress_app.pdf import congress_minutes, vote_minutes
from congress_app.services import attendance
from congress_app.services import votes as vote_service

from .conftest import add_user, signed_in_client
from .pdf_reading import pdf_text

URL = "/organiser/votes/minutes.pdf"


@pytest.fixture
def editor(app, congress):
    add_user("thuky", Role.EDITOR, congress)
    return signed_in_client(app, "thuky")


@pytest.fixture
def agenda(congress, hall):
    """A preparatory session before the official one (the same seven checked in to it,
    since a vote counts those present in its own session), and four votes: a closed show
    of hands, an annulled one, an open phone vote and a draft, created out of agenda
    order."""
    official = congress.sessions[0]
    prep = CongressSession(congress=congress, name="Phiên trù bị", date=date(2025, 7, 22),
                           starts_at=time(14, 0), ends_at=time(17, 0), position=0)
    prep.items = [AgendaItem(position=1, title="Bầu Đoàn Chủ tịch")]
    db.session.add(prep)
    db.session.commit()
    for delegate in hall["present"]:
        attendance.check_in(delegate, session=prep)

    def vote(item, question, method=VoteMethod.HANDS):
        return vote_service.create(congress, item, None, question=question, method=method,
                                   secret=False)

    draft = vote(official.items[1], "Thông qua Nghị quyết Đại hội")
    annulled = vote(official.items[0], "Thông qua Quy chế (câu hỏi sai)")
    vote_service.open_vote(annulled, None)
    vote_service.annul_vote(annulled, None, "Sai câu hỏi biểu quyết")
    open_phone = vote(official.items[0], "Thông qua Chương trình làm việc", VoteMethod.PHONES)
    vote_service.open_vote(open_phone, None)
    closed = vote(prep.items[0], "Thông qua danh sách Đoàn Chủ tịch")
    vote_service.open_vote(closed, None)
    vote_service.record_counts(closed, None, for_count="6", against_count="1",
                               abstain_count="0", confirmed=False, reason="")
    vote_service.close_vote(closed, None)
    return {"prep": prep, "closed": closed, "annulled": annulled, "open": open_phone,
            "draft": draft}


def _text(pdf: bytes) -> str:
    return " ".join(pdf_text(pdf).split())


def test_the_minutes_list_sessions_attendance_and_every_vote_in_agenda_order(
        editor, agenda):
    response = editor.get(URL + "?language=en")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    assert response.headers["Content-Type"] == "application/pdf"
    text = _text(response.data)
    for expected in ("ĐẢNG CỘNG SẢN VIỆT NAM", "MINUTES OF THE CONGRESS",
                     "PHIÊN TRÙ BỊ · 22/07/2025 14:00", "PHIÊN CHÍNH THỨC · 23/07/2025 07:30",
                     "Show of hands", "PASSED", "85.7%", "14.3%",
                     "More than half of the delegates present",
                     "ANNULLED", "Reason for annulling: Sai câu hỏi biểu quyết",
                     "Not closed yet (State: Open)", "Not closed yet (State: Not yet open)",
                     "ON BEHALF OF THE PRESIDIUM", "ON BEHALF OF THE SECRETARIAT"):
        assert expected in text, expected
    order = [text.index(q) for q in (
        "Thông qua danh sách Đoàn Chủ tịch",  # preparatory session first
        "Thông qua Quy chế (câu hỏi sai)",    # item 1, created before the phone vote
        "Thông qua Chương trình làm việc",
        "Thông qua Nghị quyết Đại hội")]      # item 2, created first
    assert order == sorted(order)
    # Each session's attendance: seven in the preparatory session, seven in the official.
    assert text.count("Official delegates present: 7 of 168 convened") == 2
    # The split of a vote not closed is never printed: only the closed vote's counts.
    assert text.count("Number of votes") == 1


def test_the_minutes_in_vietnamese(editor, agenda):
    text = _text(editor.get(URL + "?language=vi").data)
    for expected in ("BIÊN BẢN ĐẠI HỘI", "Chưa kết thúc biểu quyết", "ĐÃ HỦY",
                     "Lý do hủy: Sai câu hỏi biểu quyết", "T/M ĐOÀN CHỦ TỊCH",
                     "T/M ĐOÀN THƯ KÝ"):
        assert expected in text, expected
    assert "MINUTES OF THE CONGRESS" not in text


def _block(html: str) -> str:
    found = re.findall(r'<section class="vote-result">.*?</section>', html, re.S)
    assert len(found) == 1
    return found[0]


def test_a_vote_reads_the_same_in_its_own_minutes_and_the_congress_s(app, agenda):
    closed = agenda["closed"]
    env = app.jinja_env
    with app.test_request_context(), force_locale("vi"):
        alone = env.get_template(vote_minutes.TEMPLATE).render(
            **vote_minutes.vote_minutes_context(closed))
        whole = env.get_template(congress_minutes.TEMPLATE).render(
            **congress_minutes.congress_minutes_context(closed.item.session.congress))
    assert _block(alone) == _block(whole)
    assert "Thông qua danh sách Đoàn Chủ tịch" in _block(whole)


def test_a_congress_without_votes_prints_its_attendance_and_says_so(editor, hall):
    text = _text(editor.get(URL + "?language=en").data)
    assert "Official delegates present: 7 of 168 convened" in text
    assert "No vote in this session." in text


def test_an_unknown_language_is_refused(editor, agenda):
    response = editor.get(URL + "?language=fr")
    assert response.status_code == 400
    assert "Unknown language of the printout" in response.get_data(as_text=True) or \
        "Không có ngôn ngữ" in response.get_data(as_text=True)


def test_only_organisers_of_the_congress_may_print_it(app, client, congress, agenda):
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    add_user("door", Role.CHECKIN, congress)
    assert signed_in_client(app, "door").get(URL).status_code == 403


def test_the_votes_page_and_the_print_centre_link_to_it(editor, agenda):
    for page in ("/organiser/votes", "/organiser/print/"):
        assert URL in editor.get(page).get_data(as_text=True), page
