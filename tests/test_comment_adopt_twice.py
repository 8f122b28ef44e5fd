""""Adopt as a congress document" pressed twice: the second press renders the very same PDF,
which intake refuses as an identical file; adopting takes that calmly, keeps the version it
has and says the report was already adopted unchanged, with nothing recorded twice."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from congress_app.extensions import db
from congress_app.models import AuditEvent, DocumentVersion
from congress_app.pdf.comments_report import render_comments_report_pdf, report_title
from congress_app.services import comment_report
from congress_app.services import comment_triage as triage
from congress_app.services.errors import InputRefused


def _adopt_events() -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "comments.adopt_report"))


def _versions() -> int:
    return db.session.scalar(select(func.count(DocumentVersion.id)))


def test_pressing_adopt_twice_keeps_one_version_and_says_so(client, signed_in, congress,
                                                           commented, auth):
    before = _versions()
    first = auth.post("/organiser/comments/adopt", {})
    assert first.status_code == 302
    second = auth.post("/organiser/comments/adopt", {})
    assert second.status_code == 302 and second.headers["Location"] == first.headers["Location"]
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    document = comment_report.adoption_of(congress).document
    assert (f"The compiled report has not changed since it was adopted: the document "
            f"{document.code} keeps version 1.") in page
    assert document.current_version.number == 1 and _versions() == before + 1
    assert _adopt_events() == 1

    # Answered since: adopting again makes version 2, as before.
    triage.classify(congress, commented.agree, classification="accepted", response="",
                    user=signed_in.user)
    assert auth.post("/organiser/comments/adopt", {}).status_code == 302
    db.session.expire_all()
    assert comment_report.adoption_of(congress).document.current_version.number == 2
    assert _adopt_events() == 2


def test_the_same_report_renders_to_the_same_bytes(app, congress, commented):
    """What makes the second press a no-op: nothing in the PDF changes from one press to
    the next while the comments and answers stay as they are."""
    assert render_comments_report_pdf(congress, language="vi") == \
        render_comments_report_pdf(congress, language="vi")


def test_a_press_that_loses_the_race_is_a_no_op_too(app, congress, commented, organiser,
                                                    monkeypatch):
    pdf = render_comments_report_pdf(congress, language="vi")
    adopted = comment_report.adopt(congress, pdf, title=report_title(), user=organiser)
    # The second press checked before the first one committed its version: it goes on to
    # intake, which refuses the identical file; the check after that finds it adopted.
    checks = iter([None])
    real = comment_report._same_as_adopted
    monkeypatch.setattr(comment_report, "_same_as_adopted",
                        lambda document, data: next(checks, real(document, data)))
    again = comment_report.adopt(congress, pdf, title=report_title(), user=organiser)
    assert again == comment_report.Adopted(adopted.document, 1, unchanged=True)
    assert _adopt_events() == 1


def test_another_refusal_still_goes_up(app, congress, commented, organiser):
    with pytest.raises(InputRefused):
        comment_report.adopt(congress, b"not a pdf", title=report_title(), user=organiser)
    assert _adopt_events() == 0


def test_two_first_adoptions_at_once_leave_one_report_document(app, congress, commented,
                                                               organiser, monkeypatch):
    """Both presses found no adoption yet and each made a document: the one that commits
    second retires its own (its code was never printed) and stands with the first's."""
    from congress_app.models import Document, DocumentCategory

    pdf = render_comments_report_pdf(congress, language="vi")
    adopted = comment_report.adopt(congress, pdf, title=report_title(), user=organiser)
    looks = iter([None])  # the second press looked before the first one committed
    real = comment_report.adoption_of
    monkeypatch.setattr(comment_report, "adoption_of",
                        lambda of: next(looks, real(of)))
    again = comment_report.adopt(congress, pdf, title=report_title(), user=organiser)
    assert again == comment_report.Adopted(adopted.document, 1, unchanged=True)
    reports = list(db.session.scalars(select(Document).where(
        Document.category == DocumentCategory.COMMENTS_SUMMARY)))
    assert [d.id for d in reports if not d.is_deleted] == [adopted.document.id]
    assert len(reports) == 2 and _adopt_events() == 1
    assert real(congress).document_id == adopted.document.id
