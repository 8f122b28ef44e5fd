"""Góp ý by discussion group (tổ): the organiser marks each group's secretary on the roster
and lets windows take groups' opinions; the secretary enters the group's opinion on the
phone with how many of its delegates share it; triage filters by group; the compiled
report and its exports count by document × stance × group; and, as a congress setting,
delegates read their own group's comments, never another group's."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from dataclasses import dataclass

import pytest
from flask_babel import force_locale
from flask_migrate import downgrade, upgrade
from openpyxl import load_workbook
from sqlalchemy import func, inspect, select, text

from congress_app.extensions import db
from congress_app.models import (
    AuditEvent,
    Comment,
    CommentAuthors,
    Congress,
    Delegate,
    DelegateKind,
    Stance,
)
from congress_app.services import audit, closing, comment_report
from congress_app.services import comment_triage as triage
from congress_app.services import comments as comment_service
from congress_app.services.comment_groups import group_comments, group_size, sort_key
from congress_app.services.errors import InputRefused
from congress_app.web.audit_sentences import sentence

from .comments_fixtures import PARAGRAPHS
from .conftest import add_delegate, csrf_token_from
from .pdf_reading import pdf_text
from .samples import CONGRESS_FORM

GROUP_REASON = "Tổ thống nhất đề nghị bổ sung chỉ tiêu chuyển đổi số cho từng khu dân cư."
OWN_REASON = "Cá nhân tôi đề nghị nêu rõ lộ trình thực hiện."
OTHER_GROUP_TEXT = "Tổ 5 tán thành đoạn này."


@dataclass
class Groups:
    """Tổ 3: a secretary and four members (five official delegates counted; an alternate
    and a deactivated delegate of Tổ 3 are not); Tổ 5: a secretary and one member; one
    delegate in no group."""

    secretary: Delegate
    members: list[Delegate]
    other_secretary: Delegate
    other_member: Delegate
    no_group: Delegate


@pytest.fixture
def groups(congress) -> Groups:
    secretary = add_delegate(congress, number=31, full_name="Nguyễn Thị Thanh Hương",
                             discussion_group="Tổ 3", group_secretary=True)
    members = [add_delegate(congress, number=n, full_name=name, discussion_group="Tổ 3")
               for n, name in ((32, "Trần Quốc Bảo"), (33, "Lê Minh Châu"),
                               (34, "Phạm Đức Dũng"), (35, "Hoàng Thu Giang"))]
    add_delegate(congress, number=36, full_name="Đinh Văn Khải", discussion_group="Tổ 3",
                 kind=DelegateKind.ALTERNATE)
    add_delegate(congress, number=37, full_name="Bùi Thị Lan", discussion_group="Tổ 3",
                 active=False)
    other_secretary = add_delegate(congress, number=51, full_name="Vũ Hải Nam",
                                   discussion_group="Tổ 5", group_secretary=True)
    other_member = add_delegate(congress, number=52, full_name="Ngô Thị Oanh",
                                discussion_group="Tổ 5")
    no_group = add_delegate(congress, number=90, full_name="Tạ Văn Phúc")
    return Groups(secretary, members, other_secretary, other_member, no_group)


def _form(client, path: str) -> tuple[str, dict]:
    html = client.get(path).get_data(as_text=True)
    client_id = re.search(r'name="client_id" type="hidden" value="([^"]+)"', html).group(1)
    return html, {"csrf_token": csrf_token_from(html), "client_id": client_id}


def _send(client, path: str, **fields):
    _html, hidden = _form(client, path)
    return client.post(path, data={**hidden, **fields})


def _comments() -> list[Comment]:
    db.session.expire_all()
    return list(db.session.scalars(select(Comment).order_by(Comment.id)))


def _write(congress, document, author, **fields):
    fields.setdefault("paragraph", 3)
    fields.setdefault("stance", "disagree")
    fields.setdefault("text", OWN_REASON)
    comment, _new = comment_service.write_comment(
        congress, document, author, client_id=str(uuid.uuid4()), **fields)
    return comment


def _last_event(action: str) -> AuditEvent:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                              .order_by(AuditEvent.id.desc())).first()


# Who is a group's secretary --------------------------------------------------------------


def test_the_organiser_marks_a_groups_secretary_on_the_delegate_form(client, auth, organiser,
                                                                     groups):
    client.set_cookie("lang", "en")
    auth.login()
    member = groups.members[0]
    page = f"/organiser/delegates/{member.id}"
    assert 'name="group_secretary"' in client.get(page).get_data(as_text=True)
    fields = {"number": "32", "full_name": member.full_name, "unit": "", "seat": "",
              "discussion_group": "Tổ 3", "kind": "official", "group_secretary": "y"}
    assert auth.post(page, fields).status_code == 302
    db.session.expire_all()
    assert db.session.get(Delegate, member.id).group_secretary is True
    assert "group_secretary" in _last_event("delegate.update").detail
    assert "secretary" in client.get("/organiser/delegates/").get_data(as_text=True)

    # A secretary of no group: refused with the reason, nothing changed.
    response = auth.post(f"/organiser/delegates/{groups.no_group.id}",
                         {**fields, "number": "90", "full_name": groups.no_group.full_name,
                          "discussion_group": ""})
    assert response.status_code == 400
    assert ("Enter the discussion group this delegate is the secretary of."
            in response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(Delegate, groups.no_group.id).group_secretary is False

    # Unticked (a checkbox sends nothing): no longer the secretary.
    del fields["group_secretary"]
    assert auth.post(page, fields).status_code == 302
    db.session.expire_all()
    assert db.session.get(Delegate, member.id).group_secretary is False


def test_a_groups_delegate_count_is_its_active_official_delegates(congress, groups):
    assert group_size(congress, "Tổ 3") == 5
    assert group_size(congress, "Tổ 5") == 2
    assert group_size(congress, "") == 0
    assert sorted(["Tổ 10", "", "Tổ 2", "Tổ 1"], key=sort_key) == ["Tổ 1", "Tổ 2", "Tổ 10", ""]


# The window ------------------------------------------------------------------------------


def test_the_window_takes_group_secretaries_and_the_choice_is_audited(client, auth, organiser,
                                                                      draft):
    client.set_cookie("lang", "en")
    auth.login()
    page = f"/organiser/documents/{draft.id}"
    form = client.get(page).get_data(as_text=True)
    assert 'name="authors"' in form and 'value="delegates_and_groups"' in form
    closes = "2099-07-23T17:00"
    response = auth.post(f"{page}/comments/open", {"closes_at": closes, "scope": "paragraphs",
                                                   "authors": "nobody"})
    assert response.status_code == 400
    assert comment_service.window_of(draft) is None

    response = auth.post(f"{page}/comments/open", {"closes_at": closes, "scope": "paragraphs",
                                                   "authors": "group_secretaries"})
    assert response.status_code == 302
    window = comment_service.window_of(draft)
    assert window.authors == CommentAuthors.GROUP_SECRETARIES
    assert '"authors": "group_secretaries"' in _last_event("comments.open").detail
    html = client.get(page).get_data(as_text=True)
    assert ("Who may comment: Discussion-group secretaries, entering their group&#39;s opinion."
            in html)
    assert re.search(r'<option (selected )?value="group_secretaries"( selected)?>', html).group(
        0) != '<option value="group_secretaries">'  # shown as chosen
    with force_locale("en"):
        said = sentence("comments.open", json.loads(_last_event("comments.open").detail))
    assert said.endswith(" · who may comment: discussion-group secretaries, entering their "
                         "group's opinion")


def test_the_service_refuses_an_unknown_choice_of_authors(congress, draft, organiser):
    with pytest.raises(InputRefused) as refused:
        comment_service.open_window(congress, draft, opens_at=None,
                                    closes_at=comment_service.utcnow().replace(year=2099),
                                    scope="paragraphs", authors="everyone", user=organiser)
    assert refused.value.field == "authors"
    assert comment_service.window_of(draft) is None


# The secretary's form --------------------------------------------------------------------


def test_a_secretary_enters_the_groups_opinion_with_its_share(congress, draft, open_comments,
                                                              groups, delegate_phone):
    open_comments(draft, authors="delegates_and_groups")
    phone = delegate_phone(groups.secretary)
    path = f"/d/{draft.code}/comment/3"
    html, hidden = _form(phone, path)
    assert 'name="kind"' in html and "Opinion of Tổ 3 (as its secretary)" in html
    assert "A whole number from 1 to 5: Tổ 3 has 5 delegates." in html
    response = phone.post(path, data={**hidden, "kind": "group", "group_share": "4",
                                      "stance": "disagree", "text": GROUP_REASON})
    assert response.status_code == 302
    (comment,) = _comments()
    assert (comment.discussion_group, comment.group_share, comment.group_size) == ("Tổ 3", 4, 5)
    assert comment.author_id == groups.secretary.id and comment.weight == 4
    detail = json.loads(_last_event("comment.create").detail)
    assert (detail["group"], detail["share"], detail["size"]) == ("Tổ 3", 4, 5)

    # The same form sent again is kept once.
    again = phone.post(path, data={**hidden, "kind": "group", "group_share": "4",
                                   "stance": "disagree", "text": GROUP_REASON})
    assert again.status_code == 302 and len(_comments()) == 1

    mine = phone.get("/delegate/comments").get_data(as_text=True)
    assert "Tổ 3&#39;s opinion (4/5 delegates)" in mine

    # Own comment, from the same form: no share, the group kept as the dimension.
    assert _send(phone, path, kind="own", group_share="", stance="agree").status_code == 302
    own = _comments()[-1]
    assert (own.discussion_group, own.group_share, own.weight) == ("Tổ 3", None, 1)


@pytest.mark.parametrize("share", ["0", "6", "", "abc", "2.5", "-1", "٣", "99999999999"])
def test_a_share_outside_the_group_is_refused_and_nothing_is_saved(congress, draft,
                                                                   open_comments, groups,
                                                                   delegate_phone, share):
    open_comments(draft, authors="delegates_and_groups")
    phone = delegate_phone(groups.secretary)
    response = _send(phone, f"/d/{draft.code}/comment/3", kind="group", group_share=share,
                     stance="disagree", text=GROUP_REASON)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert ("Enter how many of the 5 delegates of Tổ 3 share this opinion: a whole number "
            "from 1 to 5.") in html
    assert GROUP_REASON in html  # what was typed stays on the form
    assert _comments() == []


def test_the_vietnamese_form_says_it_in_vietnamese(draft, open_comments, groups,
                                                   delegate_phone):
    open_comments(draft, authors="delegates_and_groups")
    phone = delegate_phone(groups.secretary, lang="vi")
    html = phone.get(f"/d/{draft.code}/comment/3").get_data(as_text=True)
    assert "Ý kiến của Tổ 3 (với tư cách thư ký tổ)" in html
    assert "Ý kiến riêng của tôi" in html
    response = _send(phone, f"/d/{draft.code}/comment/3", kind="group", group_share="9",
                     stance="agree")
    assert response.status_code == 400
    assert ("Nhập số đại biểu của Tổ 3 có chung ý kiến này: một số nguyên từ 1 đến 5 (tổ có "
            "5 đại biểu).") in response.get_data(as_text=True)


def test_a_delegate_who_is_no_secretary_cannot_send_a_groups_opinion(draft, open_comments,
                                                                     groups, delegate_phone):
    open_comments(draft, authors="delegates_and_groups")
    phone = delegate_phone(groups.members[0])
    html = phone.get(f"/d/{draft.code}/comment/3").get_data(as_text=True)
    assert 'name="kind"' not in html and 'name="group_share"' not in html
    response = _send(phone, f"/d/{draft.code}/comment/3", kind="group", group_share="3",
                     stance="agree")
    assert response.status_code == 403
    assert ("Only the secretary of a discussion group can enter the group&#39;s opinion."
            in response.get_data(as_text=True))
    assert _comments() == []
    assert _send(phone, f"/d/{draft.code}/comment/3", stance="agree").status_code == 302
    (own,) = _comments()
    assert (own.discussion_group, own.group_share) == ("Tổ 3", None)


def test_a_window_of_delegates_only_takes_no_groups_opinion(congress, draft, open_comments,
                                                            groups, delegate_phone):
    open_comments(draft)  # official delegates, each on their own behalf
    phone = delegate_phone(groups.secretary)
    html = phone.get(f"/d/{draft.code}/comment/3").get_data(as_text=True)
    assert 'name="kind"' not in html
    response = _send(phone, f"/d/{draft.code}/comment/3", kind="group", group_share="3",
                     stance="agree")
    assert response.status_code == 403
    assert _comments() == []


def test_a_window_of_secretaries_only(congress, draft, open_comments, groups, delegate_phone):
    open_comments(draft, authors="group_secretaries")
    member = delegate_phone(groups.members[0])
    response = member.get(f"/d/{draft.code}/comment/3")
    assert response.status_code == 403
    assert "only the discussion groups&#39; secretaries comment" in response.get_data(
        as_text=True)
    with pytest.raises(InputRefused):
        _write(congress, draft, groups.no_group)

    secretary = delegate_phone(groups.secretary)
    html = secretary.get(f"/d/{draft.code}/comment/3").get_data(as_text=True)
    assert '<input type="hidden" name="kind" value="group">' in html
    assert "Opinion of Tổ 3" in html
    response = _send(secretary, f"/d/{draft.code}/comment/3", kind="own", stance="agree")
    assert response.status_code == 400
    assert "choose “Group opinion”" in response.get_data(as_text=True)
    assert _comments() == []
    assert _send(secretary, f"/d/{draft.code}/comment/3", kind="group", group_share="5",
                 stance="agree").status_code == 302
    assert [c.group_share for c in _comments()] == [5]


def test_editing_a_groups_opinion_checks_its_share_again(congress, draft, open_comments,
                                                         groups, delegate_phone):
    open_comments(draft, authors="delegates_and_groups")
    comment = _write(congress, draft, groups.secretary, as_group=True, group_share="4",
                     text=GROUP_REASON)
    phone = delegate_phone(groups.secretary)
    path = f"/delegate/comments/{comment.id}/edit"
    html = phone.get(path).get_data(as_text=True)
    assert 'name="group_share"' in html and 'value="4"' in html and 'name="kind"' not in html
    token = csrf_token_from(html)
    base = {"csrf_token": token, "edit_version": "1", "stance": "disagree",
            "text": GROUP_REASON}
    response = phone.post(path, data={**base, "group_share": "6"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).group_share == 4
    assert phone.post(path, data={**base, "group_share": "3"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).group_share == 3
    assert json.loads(_last_event("comment.update").detail)["share"] == 3


# Triage, the report and the exports ------------------------------------------------------


@pytest.fixture
def grouped(congress, draft, open_comments, groups):
    """Tổ 3's opinion on § 3 (4 of 5), a Tổ 3 member's own comment on § 3, Tổ 5's member
    agreeing on § 1, the delegate of no group partly agreeing on the whole document."""
    open_comments(draft, authors="delegates_and_groups")
    group = _write(congress, draft, groups.secretary, as_group=True, group_share=4,
                   text=GROUP_REASON)
    own = _write(congress, draft, groups.members[0], text=OWN_REASON)
    other = _write(congress, draft, groups.other_member, paragraph=1, stance="agree",
                   text=OTHER_GROUP_TEXT)
    whole = _write(congress, draft, groups.no_group, paragraph=None, stance="partly",
                   text="Cần ngắn gọn hơn.")
    return {"group": group, "own": own, "other": other, "whole": whole}


def test_triage_filters_by_group(client, signed_in, grouped):
    html = client.get("/organiser/comments/").get_data(as_text=True)
    assert '<select id="f-group" name="group">' in html
    assert '<option value="Tổ 3">Tổ 3</option><option value="Tổ 5">Tổ 5</option>' in html
    assert "Tổ 3&#39;s opinion (4/5 delegates)" in html
    shown = client.get("/organiser/comments/", query_string={"group": "Tổ 3"})
    page = shown.get_data(as_text=True)
    assert GROUP_REASON in page and OWN_REASON in page
    assert OTHER_GROUP_TEXT not in page and "Cần ngắn gọn hơn." not in page
    assert 'value="Tổ 3" selected' in page
    nothing = client.get("/organiser/comments/", query_string={"group": "Tổ 99"})
    assert GROUP_REASON not in nothing.get_data(as_text=True)


def test_the_report_counts_documents_by_stance_and_group(congress, grouped, organiser):
    (report,) = comment_report.compile_report(congress)
    assert report.stances == {Stance.AGREE: 1, Stance.DISAGREE: 5, Stance.PARTLY: 1}
    assert [(g.group, g.stances[Stance.AGREE], g.stances[Stance.DISAGREE],
             g.stances[Stance.PARTLY]) for g in report.groups] == [
        ("Tổ 3", 0, 5, 0), ("Tổ 5", 1, 0, 0), ("", 0, 0, 1)]
    opinions = {o.comment.id: o for s in report.sections for p in s.paragraphs
                for o in p.opinions}
    assert opinions[grouped["group"].id].count == 4
    assert opinions[grouped["own"].id].count == 1

    # The member's own comment merged into the group's opinion: counted with it, 4 + 1.
    triage.mark_duplicate(congress, grouped["own"], original_id=grouped["group"].id,
                          user=organiser)
    (report,) = comment_report.compile_report(congress)
    opinion = next(o for s in report.sections for p in s.paragraphs for o in p.opinions
                   if o.comment.id == grouped["group"].id)
    assert opinion.count == 5
    assert opinion.groups == "Ý kiến của Tổ 3 (4/5 đại biểu); Tổ 3: 1 đại biểu"
    assert opinion.shares == "Ý kiến của Tổ 3 (4/5 đại biểu)"
    assert report.total == 7


def test_the_pdf_summary_table_has_the_groups_and_the_shares(client, signed_in, grouped):
    response = client.get("/organiser/comments/report.pdf?language=vi")
    assert response.status_code == 200
    text = pdf_text(response.get_data())
    assert ("Dự thảo Văn kiện Đại hội XIV của Đảng 1 5 1 7 Tổ 3 0 5 0 5 Tổ 5 1 0 0 1 "
            "(không thuộc tổ nào) 0 0 1 1 Tất cả các văn kiện 1 5 1 7") in text
    assert "ghi là “Ý kiến của Tổ 3 (12/15 đại biểu)”." in text
    # The stance line counts every opinion; the group's own says whom it stands for.
    assert "Không tán thành (Số ý kiến: 5)" in text
    assert f"{GROUP_REASON} (Số ý kiến: 4 · Ý kiến của Tổ 3 (4/5 đại biểu))" in text
    assert PARAGRAPHS[2] in text


def test_the_exports_carry_the_group_dimension(client, signed_in, congress, grouped):
    rows = list(csv.reader(io.StringIO(
        client.get("/organiser/comments/report.csv").get_data().decode("utf-8-sig"))))
    column = rows[0].index("Discussion groups")
    # After the columns the exports had before (Authors stays last, as before).
    assert rows[0][-1] == "Authors" and column == rows[0].index("Response") + 1
    by_text = {r[8]: r for r in rows[1:]}
    assert by_text[GROUP_REASON][column] == "Tổ 3's opinion (4/5 delegates)"
    assert by_text[GROUP_REASON][6] == "4"
    assert by_text[OTHER_GROUP_TEXT][column] == "Tổ 5: 1 delegate"
    assert by_text["Cần ngắn gọn hơn."][column] == ""  # an opinion of no group says none

    book = load_workbook(io.BytesIO(client.get("/organiser/comments/report.xlsx").get_data()))
    assert [s.title for s in book.worksheets] == ["Comments", "By discussion group"]
    cells = [[c.value for c in row] for row in book["By discussion group"].iter_rows()]
    code = grouped["group"].document.code
    assert cells[0] == ["Document code", "Document", "Discussion group", "Agree", "Disagree",
                        "Partly agree", "Total"]
    assert [r[2:] for r in cells[1:]] == [
        [None, 1, 5, 1, 7], ["Tổ 3", 0, 5, 0, 5], ["Tổ 5", 1, 0, 0, 1],
        ["(no discussion group)", 0, 0, 1, 1]]
    assert all(r[0] == code for r in cells[1:])

    data = json.loads(client.get("/organiser/comments/higher-level.json").get_data())
    (document,) = data["documents"]
    assert document["comments"] == 7
    assert document["groups"] == [
        {"group": "Tổ 3", "comments": 5, "stances": {"agree": 0, "disagree": 5, "partly": 0}},
        {"group": "Tổ 5", "comments": 1, "stances": {"agree": 1, "disagree": 0, "partly": 0}},
        {"group": "", "comments": 1, "stances": {"agree": 0, "disagree": 0, "partly": 1}}]
    opinion = next(o for o in document["opinions"] if o["text"] == GROUP_REASON)
    assert opinion["count"] == 4 and opinion["groups"] == [
        {"group": "Tổ 3", "group_opinion": True, "delegates": 4, "group_size": 5}]
    assert "Nguyễn Thị Thanh Hương" not in json.dumps(data)


# Delegates reading their group's comments -----------------------------------------------


def test_the_setting_is_on_the_congress_page_off_by_default_and_audited(client, signed_in,
                                                                        congress):
    assert congress.delegates_see_group_comments is False
    form = client.get("/organiser/congress").get_data(as_text=True)
    assert 'name="delegates_see_group_comments"' in form
    response = signed_in.post("/organiser/congress",
                              {**CONGRESS_FORM, "delegates_see_group_comments": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Congress, congress.id).delegates_see_group_comments is True
    assert "delegates_see_group_comments" in _last_event("congress.update").detail


def _see_groups(congress, on: bool = True) -> None:
    congress.delegates_see_group_comments = on
    db.session.commit()


def test_delegates_read_their_own_groups_comments_only(congress, grouped, groups,
                                                       delegate_phone):
    _see_groups(congress)
    reader = delegate_phone(groups.members[1])  # Tổ 3, wrote nothing
    html = reader.get("/delegate/comments").get_data(as_text=True)
    assert "Comments of Tổ 3" in html
    assert GROUP_REASON in html and OWN_REASON in html
    assert "Tổ 3&#39;s opinion (4/5 delegates)" in html
    assert "Delegate No. 32, Trần Quốc Bảo" in html  # names, before any purge
    assert OTHER_GROUP_TEXT not in html and "Cần ngắn gọn hơn." not in html
    # Read-only: no way to change or withdraw another delegate's comment.
    for comment in (grouped["group"], grouped["own"]):
        assert f"/delegate/comments/{comment.id}/edit" not in html
        assert reader.get(f"/delegate/comments/{comment.id}/edit").status_code == 404
        assert reader.get(f"/delegate/comments/{comment.id}/withdraw").status_code == 404
    assert "You, the organisers and the delegates of Tổ 3 can read these." in html

    # The author sees the others' comments of the group, their own once, in their list.
    author = delegate_phone(groups.members[0]).get("/delegate/comments").get_data(
        as_text=True)
    assert author.count(OWN_REASON) == 1 and GROUP_REASON in author


def test_another_groups_delegate_sees_none_of_them(congress, grouped, groups,
                                                   delegate_phone):
    _see_groups(congress)
    html = delegate_phone(groups.other_secretary).get("/delegate/comments").get_data(
        as_text=True)
    assert "Comments of Tổ 5" in html and OTHER_GROUP_TEXT in html
    assert GROUP_REASON not in html and OWN_REASON not in html
    assert group_comments(congress, groups.other_secretary) == [grouped["other"]]


def test_a_delegate_of_no_group_sees_no_others(congress, grouped, groups, delegate_phone):
    _see_groups(congress)
    lonely = add_delegate(congress, number=91, full_name="Lý Thị Quyên")
    html = delegate_phone(lonely).get("/delegate/comments").get_data(as_text=True)
    assert "Cần ngắn gọn hơn." not in html and GROUP_REASON not in html
    assert "Comments of" not in html
    assert group_comments(congress, lonely) == []


def test_with_the_setting_off_nobody_sees_their_groups_comments(congress, grouped, groups,
                                                                delegate_phone):
    _see_groups(congress, on=False)
    html = delegate_phone(groups.members[1]).get("/delegate/comments").get_data(as_text=True)
    assert GROUP_REASON not in html and OWN_REASON not in html
    assert "Comments of Tổ 3" not in html
    assert "Only you and the organisers can read these." in html
    assert group_comments(congress, groups.members[1]) == []


def test_withdrawn_comments_and_names_after_a_purge_are_not_shown(congress, grouped, groups,
                                                                  delegate_phone):
    _see_groups(congress)
    comment_service.withdraw_comment(congress, groups.members[0], grouped["own"])
    reader = delegate_phone(groups.members[1])
    html = reader.get("/delegate/comments").get_data(as_text=True)
    assert OWN_REASON not in html and GROUP_REASON in html
    # A purge recorded: the report names no author, nor does this list.
    audit.record(None, closing.PURGE_ACTION, congress, delegates=9)
    db.session.commit()
    html = reader.get("/delegate/comments").get_data(as_text=True)
    assert GROUP_REASON in html and groups.secretary.full_name not in html
    assert "Delegate No." not in html


def test_a_comment_keeps_the_group_it_was_written_in(congress, grouped, groups,
                                                     delegate_phone):
    _see_groups(congress)
    moved = groups.members[0]
    moved.discussion_group = "Tổ 5"
    db.session.commit()
    assert db.session.get(Comment, grouped["own"].id).discussion_group == "Tổ 3"
    html = delegate_phone(groups.other_member).get("/delegate/comments").get_data(
        as_text=True)
    assert OWN_REASON not in html  # written in Tổ 3: it stays Tổ 3's


# The migration ---------------------------------------------------------------------------


def _columns(table: str) -> set[str]:
    with db.engine.connect() as connection:
        return {column["name"] for column in inspect(connection).get_columns(table)}


def test_the_migration_goes_down_and_up_and_fills_in_the_groups(app, congress, grouped):
    db.session.remove()
    downgrade(revision="e8b3f2a6c914")
    assert "discussion_group" not in _columns("comments")
    assert "group_secretary" not in _columns("delegates")
    assert "delegates_see_group_comments" not in _columns("congresses")
    upgrade()
    assert {"discussion_group", "group_share", "group_size"} <= _columns("comments")
    with db.engine.connect() as connection:
        found = dict(connection.execute(text(
            "SELECT comments.text, comments.discussion_group FROM comments")).all())
    # Filled in from each author's group as it is; the shares were lost going down.
    assert found == {GROUP_REASON: "Tổ 3", OWN_REASON: "Tổ 3", OTHER_GROUP_TEXT: "Tổ 5",
                     "Cần ngắn gọn hơn.": ""}
    assert db.session.scalar(select(func.count()).where(Comment.group_share.is_not(None))) == 0
    assert db.session.scalar(select(func.count()).where(Delegate.group_secretary)) == 0
