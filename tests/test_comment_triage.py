"""Góp ý triage, the rules: a secretary answers each live comment, merges duplicates (counted
and answered with their original), withdrawn comments stay out, an edit from an older page is
refused, another congress's comments are unknown, and every change is audited."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from congress_app.extensions import db
from congress_app.models import (
    AuditEvent,
    Classification,
    CommentTriage,
    Congress,
    Stance,
)
from congress_app.services import comment_report
from congress_app.services import comment_triage as triage
from congress_app.services.errors import EditConflict, InputRefused
from congress_app.web.audit_sentences import sentence

RESPONSE = "Ban soạn thảo tiếp thu, bổ sung chỉ tiêu chuyển đổi số vào Mục II."


def _refused(call, *args, **kwargs) -> InputRefused:
    with pytest.raises(InputRefused) as caught:
        call(*args, **kwargs)
    db.session.rollback()
    return caught.value


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_the_board_counts_live_comments_by_stance_and_answer(congress, commented, organiser):
    shown = triage.board(congress)
    assert shown.total == 4
    assert shown.stance_counts == {Stance.AGREE: 1, Stance.DISAGREE: 2, Stance.PARTLY: 1}
    assert shown.classification_counts[None] == 4
    # The whole document first, then by paragraph; the withdrawn comment is apart.
    assert [e.comment for e in shown.entries] == [commented.whole, commented.agree,
                                                  commented.wording, commented.same]
    assert shown.withdrawn == [commented.withdrawn]

    triage.classify(congress, commented.wording, classification="accepted",
                    response=RESPONSE, user=organiser, expected_version=0)
    shown = triage.board(congress)
    assert shown.classification_counts[Classification.ACCEPTED] == 1
    assert shown.classification_counts[None] == 3


def test_filters_by_document_section_stance_and_state(congress, commented, organiser):
    triage.classify(congress, commented.agree, classification="already_in_draft",
                    response="", user=organiser)
    section = commented.wording.section
    assert section.startswith("II.")
    by = lambda **f: [e.comment for e in triage.board(congress, **f).entries]  # noqa: E731
    assert by(section=section) == [commented.wording, commented.same]
    assert by(stance="agree") == [commented.agree]
    assert by(state="classified") == [commented.agree]
    assert by(state="unclassified") == [commented.whole, commented.wording, commented.same]
    assert by(document_id=commented.draft.id, stance="partly") == [commented.whole]
    assert by(document_id=commented.draft.id + 999) == []
    # The counts stay those of every comment, whatever the filter.
    assert triage.board(congress, stance="agree").total == 4


@pytest.mark.parametrize("classification, response, field", [
    ("", RESPONSE, "classification"),
    ("maybe", RESPONSE, "classification"),
    ("explained", "", "response"),
    ("not_accepted", "   ", "response"),
    ("accepted", "x" * 2001, "response"),
])
def test_a_bad_answer_is_refused_on_its_field_and_changes_nothing(
        congress, commented, organiser, classification, response, field):
    refused = _refused(triage.classify, congress, commented.wording,
                       classification=classification, response=response, user=organiser)
    assert refused.field == field and refused.status == 400
    assert db.session.scalar(select(CommentTriage)) is None
    assert _events("comment.classify") == []


def test_an_answer_is_saved_and_audited_in_words(app, congress, commented, organiser):
    row = triage.classify(congress, commented.wording, classification="explained",
                          response=RESPONSE, user=organiser, expected_version=0)
    assert (row.classification, row.response, row.edit_version) == (
        Classification.EXPLAINED, RESPONSE, 1)
    (event,) = _events("comment.classify")
    assert event.congress_id == congress.id and event.user_id == organiser.id
    with app.test_request_context("/?lang=vi"):
        from congress_app.services.audit import details

        text = sentence(event.action, details(event))
    assert text == (f"Đã trả lời ý kiến số {commented.wording.id} về văn kiện "
                    f"{commented.draft.code}, § 3: giải trình")


def test_two_secretaries_at_once_the_older_page_is_refused(congress, commented, organiser):
    # Both loaded the page before the comment was ever answered (version 0).
    triage.classify(congress, commented.wording, classification="accepted", response="",
                    user=organiser, expected_version=0)
    refused = _refused(triage.classify, congress, commented.wording,
                       classification="not_accepted", response="Không phù hợp.",
                       user=organiser, expected_version=0)
    assert isinstance(refused, EditConflict) and refused.status == 409
    row = db.session.scalar(select(CommentTriage))
    assert (row.classification, row.edit_version) == (Classification.ACCEPTED, 1)
    # From the page as it is now, the change goes through.
    triage.classify(congress, commented.wording, classification="not_accepted",
                    response="Không phù hợp.", user=organiser, expected_version=1)
    assert db.session.scalar(select(CommentTriage)).edit_version == 2
    # A merge made from the older page is refused too.
    refused = _refused(triage.mark_duplicate, congress, commented.wording,
                       original_id=commented.same.id, user=organiser, expected_version=1)
    assert isinstance(refused, EditConflict)


def test_a_duplicate_counts_and_is_answered_with_its_original(congress, commented, organiser):
    triage.classify(congress, commented.wording, classification="accepted",
                    response=RESPONSE, user=organiser)
    triage.mark_duplicate(congress, commented.same, original_id=commented.wording.id,
                          user=organiser, expected_version=0)
    shown = triage.board(congress)
    (entry,) = [e for e in shown.entries if e.comment == commented.wording]
    assert entry.duplicates == [commented.same] and entry.count == 2
    assert commented.same not in [e.comment for e in shown.entries]
    assert shown.classification_counts[Classification.ACCEPTED] == 2
    assert shown.stance_counts[Stance.DISAGREE] == 2  # still two delegates' comments
    # The duplicate's answer is its original's; answering it directly is refused.
    assert entry.duplicate_entries[0].classification == Classification.ACCEPTED
    refused = _refused(triage.classify, congress, commented.same,
                       classification="not_accepted", response="x", user=organiser)
    assert refused.status == 409 and f"ý kiến số {commented.wording.id}:" in str(refused.message)
    # The compiled report prints the opinion once, with its count.
    (report,) = comment_report.compile_report(congress)
    opinions = [o for s in report.sections for p in s.paragraphs for o in p.opinions]
    assert [(o.comment, o.count) for o in opinions] == [
        (commented.whole, 1), (commented.agree, 1), (commented.wording, 2)]
    assert report.stances == {Stance.AGREE: 1, Stance.DISAGREE: 2, Stance.PARTLY: 1}
    # Separated again, it is counted on its own.
    triage.separate(congress, commented.same, user=organiser, expected_version=1)
    assert triage.board(congress).classification_counts[None] == 3
    assert [e.action for e in db.session.scalars(select(AuditEvent).where(
        AuditEvent.action.like("comment.%")).order_by(AuditEvent.id))][-3:] == [
        "comment.classify", "comment.mark_duplicate", "comment.separate"]


def test_merging_follows_to_the_original_and_moves_duplicates_along(
        congress, commented, organiser):
    triage.mark_duplicate(congress, commented.same, original_id=commented.wording.id,
                          user=organiser)
    # Naming a duplicate as the original joins its original instead (one level deep).
    triage.mark_duplicate(congress, commented.agree, original_id=commented.same.id,
                          user=organiser)
    rows = {t.comment_id: t.duplicate_of_id for t in db.session.scalars(select(CommentTriage))}
    assert rows[commented.agree.id] == commented.wording.id
    # Merging an original elsewhere takes its duplicates with it.
    triage.mark_duplicate(congress, commented.wording, original_id=commented.whole.id,
                          user=organiser)
    rows = {t.comment_id: t.duplicate_of_id for t in db.session.scalars(select(CommentTriage))}
    assert rows == {commented.same.id: commented.whole.id, commented.agree.id: commented.whole.id,
                    commented.wording.id: commented.whole.id}
    (entry,) = triage.board(congress).entries
    assert entry.count == 4


@pytest.mark.parametrize("which, status", [("itself", 400), ("withdrawn", 400),
                                           ("missing", 400), ("other_document", 400)])
def test_a_merge_into_what_cannot_be_an_original_is_refused(
        congress, commented, organiser, make_document, open_comments, which, status):
    from .triage_fixtures import write

    other = make_document(title="Dự thảo Nghị quyết Đại hội")
    open_comments(other)
    elsewhere = write(congress, other, commented.authors[0], paragraph=None, stance="agree",
                      text="Tán thành.")
    original = {"itself": commented.same.id, "withdrawn": commented.withdrawn.id,
                "missing": 987654, "other_document": elsewhere.id}[which]
    refused = _refused(triage.mark_duplicate, congress, commented.same, original_id=original,
                       user=organiser)
    assert (refused.status, refused.field) == (status, "original")
    assert db.session.scalar(select(CommentTriage)) is None


def test_an_original_withdrawn_since_frees_its_duplicates(congress, commented, organiser):
    from congress_app.services import comments as comment_service

    triage.mark_duplicate(congress, commented.same, original_id=commented.wording.id,
                          user=organiser)
    comment_service.withdraw_comment(congress, commented.authors[0], commented.wording)
    shown = triage.board(congress)
    assert commented.same in [e.comment for e in shown.entries]
    assert commented.wording in shown.withdrawn
    assert shown.total == 3 and shown.stance_counts[Stance.DISAGREE] == 1


def test_withdrawn_comments_are_not_triaged(congress, commented, organiser):
    refused = _refused(triage.classify, congress, commented.withdrawn,
                       classification="accepted", response="", user=organiser)
    assert refused.status == 409
    assert db.session.scalar(select(CommentTriage)) is None


def test_another_congress_s_comment_is_unknown(congress, commented, organiser):
    other = Congress(slug="ben-canh", title="Đại hội Đảng bộ xã Bên Cạnh",
                     organisation="Đảng bộ xã Bên Cạnh", starts_on=date(2025, 7, 24),
                     ends_on=date(2025, 7, 24))
    db.session.add(other)
    db.session.commit()
    refused = _refused(triage.classify, other, commented.wording, classification="accepted",
                       response="", user=organiser)
    assert refused.status == 404
    assert triage.board(other).total == 0


def test_the_word_diff_marks_deleted_and_inserted_words():
    runs = triage.word_diff("Phát triển kinh tế số ở phường.",
                            "Phát triển mạnh kinh tế số và dịch vụ công ở phường.")
    assert runs == [("same", "Phát triển"), ("ins", "mạnh"), ("same", "kinh tế số"),
                    ("ins", "và dịch vụ công"), ("same", "ở phường.")]
    assert triage.word_diff("một hai ba", "một bốn ba") == [
        ("same", "một"), ("del", "hai"), ("ins", "bốn"), ("same", "ba")]
    assert triage.word_diff("a b", "a b") == [("same", "a b")]
