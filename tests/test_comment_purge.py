"""A purge of personal data takes the authors off the comments (comments.author_id NULL): the
triage page, the exports and the archive name no one, every count stays; the migration that
allows it also clears the congresses purged before it, and refuses to go back past a purge."""

from __future__ import annotations

import csv
import io
import json

import pytest
from flask_migrate import downgrade, upgrade
from openpyxl import load_workbook
from sqlalchemy import func, select, text

from congress_app.extensions import db
from congress_app.models import Classification, Comment, Congress
from congress_app.services import closing
from congress_app.services import comment_triage as triage
from congress_app.services.archive import export as archive_export
from congress_app.services.archive import restore as archive_restore

BEFORE = "f3a9c2d7b481"  # the revision before author_id may be NULL
NOT_KEPT = "Author not kept (personal data purged)"


def _names(commented) -> list[str]:
    return [a.full_name for a in commented.authors]


def _purged(congress, organiser):
    closing.close(congress)
    return closing.purge_personal_data(congress, congress.slug, user=organiser)


def test_the_purge_takes_every_comment_s_author_off_and_counts_them(congress, commented,
                                                                  organiser):
    counts = _purged(congress, organiser)
    assert counts["comments_unnamed"] == 5  # the withdrawn one too
    assert db.session.scalar(select(func.count(Comment.id))
                             .where(Comment.author_id.is_not(None))) == 0
    assert db.session.scalar(select(func.count(Comment.id))) == 5
    assert triage.counts(congress).total == 4


def test_after_a_purge_the_triage_page_names_no_author(client, signed_in, congress, commented,
                                                      organiser):
    names = _names(commented)
    assert names[0] in client.get("/organiser/comments/").get_data(as_text=True)
    _purged(congress, organiser)
    page = client.get("/organiser/comments/").get_data(as_text=True)
    assert not [name for name in names if name in page]
    assert page.count(NOT_KEPT) == 4 and "Delegate No." not in page
    assert "4 comments" in page


def test_after_a_purge_every_export_opens_and_names_no_one(client, signed_in, congress,
                                                          commented, organiser):
    triage.mark_duplicate(congress, commented.same, original_id=commented.wording.id,
                          user=organiser)
    _purged(congress, organiser)
    names = _names(commented)
    for path in ("report.csv", "report.xlsx", "higher-level.json", "higher-level.csv",
                 "report.pdf"):
        response = client.get(f"/organiser/comments/{path}")
        assert response.status_code == 200, path
    rows = list(csv.reader(io.StringIO(client.get("/organiser/comments/report.csv")
                                       .get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 4 and all(row[-1] == "" for row in rows[1:])
    assert not [n for n in names for row in rows for cell in row if n in cell]
    sheet = load_workbook(io.BytesIO(client.get("/organiser/comments/report.xlsx").data)).active
    assert [row[-1] for row in sheet.iter_rows(min_row=2, values_only=True)] == [None] * 3
    data = json.loads(client.get("/organiser/comments/higher-level.json").data)
    assert sum(o["count"] for d in data["documents"] for o in d["opinions"]) == 4


@pytest.mark.parametrize("full", [True, False], ids=["full", "plain"])
def test_a_purged_congress_s_archive_restores_its_comments_without_authors(
        app, congress, commented, organiser, fresh_app, tmp_path, full):
    _purged(congress, organiser)
    path = tmp_path / "purged.zip"
    archive_export.export_congress(congress, path, full=full)
    manifest_authors = {c.author_id for c in db.session.scalars(select(Comment))}
    assert manifest_authors == {None}

    target = fresh_app()
    with target.app_context():
        restored = archive_restore.import_congress(path)
        comments = db.session.scalars(select(Comment).where(
            Comment.congress_id == restored.id)).all()
        assert len(comments) == 5 and {c.author_id for c in comments} == {None}
        assert triage.counts(restored).total == 4


# The migration ------------------------------------------------------------------------


def _author_ids() -> list[int | None]:
    with db.engine.connect() as connection:
        return list(connection.scalars(text("SELECT author_id FROM comments ORDER BY id")))


def test_the_migration_clears_a_congress_purged_before_it_and_refuses_to_go_back(
        app, congress, commented, organiser, capfd):
    congress_id = congress.id
    db.session.remove()
    downgrade(revision=BEFORE)
    # A purge made by the code of that time: recorded, the authors left on the comments.
    with db.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO audit_events (at, action, object_type, object_id, detail, "
            "congress_id) VALUES (CURRENT_TIMESTAMP, 'congress.purge', 'Congress', :id, "
            "'{}', :id)"), {"id": congress_id})
    assert None not in _author_ids()

    upgrade()
    assert _author_ids() == [None] * 5
    with pytest.raises(SystemExit):  # flask-migrate's answer to the migration's refusal
        downgrade(revision=BEFORE)
    assert "5 comments lost their author in a purge" in capfd.readouterr().err
    assert _author_ids() == [None] * 5  # nothing changed by the refused downgrade


def test_the_migration_goes_down_and_up_when_no_purge_was_made(app, congress, commented,
                                                               organiser):
    # The comments table is rebuilt on SQLite: the rows that point at it must survive.
    triage.classify(congress, commented.wording, classification="accepted", response="",
                    user=organiser)
    triage.mark_duplicate(congress, commented.same, original_id=commented.wording.id,
                          user=organiser)
    authors = _author_ids()
    congress_id = congress.id
    db.session.remove()
    downgrade(revision=BEFORE)
    with db.engine.connect() as connection:
        nullable = {c["name"]: c["nullable"]
                    for c in db.inspect(connection).get_columns("comments")}
    assert nullable["author_id"] is False
    upgrade()
    assert _author_ids() == authors
    congress = db.session.get(Congress, congress_id)
    assert triage.counts(congress).classifications[Classification.ACCEPTED] == 2
