"""Document.current_version reads one row: a list page asks it of every document, and the
text of every version (megabytes for a long document) is loaded only where it is read."""

from __future__ import annotations

import io

from sqlalchemy import event, inspect

from congress_app.extensions import db
from congress_app.models import Document
from congress_app.services import intake


def _statements(run) -> list[str]:
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return seen


def test_the_newest_version_is_read_without_the_others_or_any_text(app, make_document,
                                                                     pdf_bytes):
    document = make_document()
    for n in (2, 3):
        intake.replace_file(document, intake.Upload(
            io.BytesIO(pdf_bytes(f"Bản {n}")), f"v{n}.pdf"))
    document_id = document.id
    db.session.expunge_all()
    document = db.session.get(Document, document_id)

    found = []
    statements = _statements(lambda: found.append(document.current_version))
    version = found[0]
    assert version.number == 3
    assert "versions" not in inspect(document).dict  # the other versions stay in the database
    assert "text" not in inspect(version).dict
    assert len(statements) == 1 and "text" not in statements[0].split("FROM")[0]
    assert _statements(lambda: document.current_version) == []  # asked again: no query
    assert "Bản 3" in version.text  # read when asked for


def test_a_version_added_in_the_same_transaction_is_the_current_one(app, make_document,
                                                                     pdf_bytes):
    document = make_document()
    assert document.current_version.number == 1
    version = intake.replace_file(document, intake.Upload(
        io.BytesIO(pdf_bytes("Bản 2")), "v2.pdf"))
    assert document.current_version is version
    assert [v.number for v in document.versions] == [1, 2]
