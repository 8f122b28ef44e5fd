"""Góp ý after the congress: closing freezes the delegates' comments (423 from the closed
congress's lock, nothing changed), a purge takes the authors' names out of the compiled
report while it keeps every count, and the archive carries comments with their triage."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from sqlalchemy import func, select

from congress_app.extensions import db
from congress_app.models import (
    Comment,
    CommentReportAdoption,
    CommentTriage,
    CommentWindow,
    Congress,
)
from congress_app.services import closing
from congress_app.services import comment_triage as triage
from congress_app.services.archive import file_format
from congress_app.services.archive import restore as archive_restore

from .archive_samples import COMMENT_TEXTS, SLUG, _rewritten
from .conftest import csrf_token_from
from .pdf_reading import pdf_text

CLOSED = "The congress is closed: comments can no longer be written, changed or withdrawn."


def _rows() -> list[tuple]:
    db.session.expire_all()
    return [(c.id, c.stance.value, c.text, c.withdrawn_at, c.edit_version)
            for c in db.session.scalars(select(Comment).order_by(Comment.id))]


# Closing freezes them ---------------------------------------------------------------------


def test_a_closed_congress_refuses_every_comment_write_and_changes_nothing(
        congress, commented, delegate_phone):
    author = commented.authors[0]
    phone = delegate_phone(author)
    token = csrf_token_from(phone.get(f"/d/{commented.draft.code}/comment/1")
                            .get_data(as_text=True))
    closing.close(congress)
    before = _rows()
    mine = commented.wording.id
    posts = {
        f"/d/{commented.draft.code}/comment/1": {
            "client_id": "6f1c2a3e-1111-4a55-9d0e-0123456789ab", "stance": "agree"},
        f"/d/{commented.draft.code}/comment": {
            "client_id": "6f1c2a3e-2222-4a55-9d0e-0123456789ab", "stance": "agree"},
        f"/delegate/comments/{mine}/edit": {"stance": "agree", "text": "", "edit_version": 1},
        f"/delegate/comments/{mine}/withdraw": {},
    }
    for path, fields in posts.items():
        response = phone.post(path, data={"csrf_token": token, **fields})
        assert response.status_code == 423, path
        assert CLOSED in response.get_data(as_text=True), path
    json_post = phone.post(f"/delegate/comments/{mine}/withdraw",
                           data={"csrf_token": token}, headers={"Accept": "application/json"})
    assert json_post.status_code == 423
    assert json_post.get_json() == {"status": "closed",
                                    "message": f"{CLOSED} Nothing was changed."}
    assert _rows() == before


def test_reading_one_s_comments_still_works_on_a_closed_congress(
        congress, commented, delegate_phone):
    phone = delegate_phone(commented.authors[0])
    closing.close(congress)
    assert phone.get("/delegate/comments").status_code == 200
    assert phone.get(f"/d/{commented.draft.code}?mode=text").status_code == 200


def test_reopening_lets_delegates_comment_again(congress, commented, delegate_phone):
    phone = delegate_phone(commented.authors[0])
    closing.close(congress)
    closing.reopen(congress)
    page = phone.get(f"/delegate/comments/{commented.wording.id}/withdraw")
    response = phone.post(f"/delegate/comments/{commented.wording.id}/withdraw",
                          data={"csrf_token": csrf_token_from(page.get_data(as_text=True))})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Comment, commented.wording.id).withdrawn_at is not None


# A purge takes the authors' names out, the counts stay -------------------------------------


def _csv(client) -> list[list[str]]:
    return list(csv.reader(io.StringIO(
        client.get("/organiser/comments/report.csv").get_data(as_text=True)
        .lstrip("\ufeff"))))


def _counts(rows: list[list[str]]) -> list[list[str]]:
    """Every column of the CSV but the authors' (the last)."""
    return [row[:-1] for row in rows]


def test_a_purge_removes_the_authors_names_and_keeps_the_report_s_counts(
        client, signed_in, congress, commented, organiser):
    triage.mark_duplicate(congress, commented.same, original_id=commented.wording.id,
                          user=organiser)
    names = [a.full_name for a in commented.authors]
    csv_before = _csv(client)
    pdf_before = pdf_text(client.get("/organiser/comments/report.pdf").data)
    assert any(names[0] in cell for row in csv_before for cell in row)

    closing.close(congress)
    closing.purge_personal_data(congress, congress.slug, user=organiser)

    csv_after = _csv(client)
    assert not [name for name in names for row in csv_after for cell in row if name in cell]
    assert all(row[-1] == "" for row in csv_after[1:])
    assert _counts(csv_after) == _counts(csv_before)
    pdf_after = pdf_text(client.get("/organiser/comments/report.pdf").data)
    assert not [name for name in names if name in pdf_after]
    # The same counts, stance by stance, in the summary table and under each opinion.
    assert re.findall(r"\d+", pdf_after) == re.findall(r"\d+", pdf_before)
    # The comments themselves stay, withdrawn ones included.
    assert db.session.scalar(select(func.count(Comment.id))) == 5


# The archive carries them -----------------------------------------------------------------


def test_the_restored_congress_has_its_comments_triage_and_adopted_report(target):
    with target.app_context():
        congress = db.session.scalar(select(Congress).where(Congress.slug == SLUG))
        comments = db.session.scalars(select(Comment).where(
            Comment.congress_id == congress.id).order_by(Comment.created_at)).all()
        assert [c.text for c in comments] == list(COMMENT_TEXTS)
        assert all(c.author.congress_id == congress.id for c in comments)
        assert all(c.version.document_id == c.document_id for c in comments)
        assert comments[3].withdrawn_at is not None
        (window,) = db.session.scalars(select(CommentWindow).where(
            CommentWindow.congress_id == congress.id))
        assert window.document_id == comments[0].document_id
        triages = {t.comment_id: t for t in db.session.scalars(select(CommentTriage).where(
            CommentTriage.congress_id == congress.id))}
        assert triages[comments[0].id].classification.value == "accepted"
        assert triages[comments[1].id].duplicate_of_id == comments[0].id
        adoption = db.session.scalar(select(CommentReportAdoption).where(
            CommentReportAdoption.congress_id == congress.id))
        assert adoption.document.congress_id == congress.id
        assert adoption.document.category.value == "comments_summary"


def _as_another_congress(name: str, data: bytes) -> bytes:
    """The same archive under another slug, codes and usernames: only the comments' client
    ids still clash with the congress restored from it."""
    if name != "manifest.json":
        return data
    manifest = json.loads(data)
    manifest["congress"]["slug"] = "ban-sao"
    for document in manifest["documents"]:
        document["code"] = document["code"][::-1]
    for account in manifest["accounts"]:
        account["username"] = f"copy-{account['username']}"
    return json.dumps(manifest, ensure_ascii=False).encode()


def test_comments_already_on_the_instance_refuse_the_import(target, archive, tmp_path):
    copy = _rewritten(archive, tmp_path / "copy.zip", _as_another_congress,
                      fix_checksums=True)
    with target.app_context():
        before = db.session.scalar(select(func.count(Comment.id)))
        with pytest.raises(file_format.ArchiveRefused, match="client ids"):
            archive_restore.import_congress(copy)
        assert db.session.scalar(select(func.count(Comment.id))) == before
