"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import io
from types import SimpleNamespace

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from congress_app.extensions import db
from congress_app.models import Congress
from congress_app.models.base import include_in_autogenerate
from congress_app.services import intake
from congress_app.services import search as search_service


def test_models_and_migrations_agree(app):
    """A model change without its migration fails here, not on an organiser's laptop."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "include_name": include_in_autogenerate})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"the models differ from the migrations: {diff}"


def test_the_database_is_at_the_latest_revision(app):
    from alembic.script import ScriptDirectory
    from flask_migrate import Config

    config = Config(str(app.extensions["migrate"].directory) + "/alembic.ini")
    config.set_main_option("script_location", app.extensions["migrate"].directory)
    head = ScriptDirectory.from_config(config).get_current_head()
    with db.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head


def _search_triggers() -> set[str]:
    """The search index's triggers: six on SQLite, two (one per table) on PostgreSQL."""
    query = ("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
             "AND tgname LIKE 'document_search_%'" if db.engine.dialect.name == "postgresql"
             else "SELECT name FROM sqlite_master WHERE type = 'trigger' "
             "AND name LIKE 'document_search_%'")
    with db.engine.connect() as connection:
        return set(connection.scalars(text(query)))


def _columns(table: str) -> set[str]:
    with db.engine.connect() as connection:
        return {column["name"] for column in inspect(connection).get_columns(table)}


def test_edit_versions_go_down_and_up_again_and_search_keeps_working(
    app, congress, make_document, pdf_bytes
):
    """The edit_version migration changes the tables in place: the FTS5 triggers survive
    both directions, so a document uploaded afterwards is still found."""
    tables = ("agenda_items", "congress_sessions", "documents")
    triggers = _search_triggers()
    assert len(triggers) == (2 if db.engine.dialect.name == "postgresql" else 6)
    make_document(title="Báo cáo trước khi nâng cấp")
    congress_id = congress.id
    db.session.remove()

    # Batch migrations (9a8b7c6d5e4f) recreate tables that rows refer to.
    downgrade(revision="7c1e5a9f3b20")
    assert all("edit_version" not in _columns(table) for table in tables)
    assert _search_triggers() == triggers
    upgrade()
    assert all("edit_version" in _columns(table) for table in tables)
    assert _search_triggers() == triggers

    congress = db.session.get(Congress, congress_id)
    title = "Nghị quyết về chuyển đổi số"
    intake.create_document(congress, title=title, category="draft_resolution",
                                     upload=intake.Upload(
                                         io.BytesIO(pdf_bytes(title)), "nghi-quyet.pdf"))
    organiser = SimpleNamespace(is_authenticated=True, can_edit=True)
    results = search_service.search(congress, "chuyen doi so", organiser)
    assert [hit.document.title for hit in results.hits] == ["Nghị quyết về chuyển đổi số"]
    earlier = search_service.search(congress, "truoc khi nang cap", organiser)
    assert [hit.document.title for hit in earlier.hits] == ["Báo cáo trước khi nâng cấp"]
