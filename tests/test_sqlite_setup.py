"""Every SQLite connection runs in WAL mode with a busy timeout, and the fixtures' file copy
of the migrated template stays complete (no committed page left behind in a -wal file)."""

from __future__ import annotations

import sqlite3

from sqlalchemy import text

from congress_app.db_setup import BUSY_TIMEOUT_MS
from congress_app.extensions import db

from .conftest import only_on_sqlite


def _pragmas() -> dict[str, object]:
    with db.engine.connect() as connection:
        return {name: connection.execute(text(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")}


@only_on_sqlite("PRAGMAs of SQLite connections")
def test_a_new_connection_uses_wal_and_waits_for_locks(app):
    db.engine.dispose()  # a brand-new connection, not one from the pool
    pragmas = _pragmas()
    assert pragmas["journal_mode"] == "wal"
    # At least 5 s; the 15 s connect timeout of config.engine_options is kept, not shortened.
    assert pragmas["busy_timeout"] >= BUSY_TIMEOUT_MS
    assert pragmas["busy_timeout"] == 15000
    assert pragmas["foreign_keys"] == 1
    assert pragmas["synchronous"] == 1  # NORMAL


def test_foreign_keys_are_enforced(app):
    with db.engine.connect() as connection:
        try:
            connection.execute(text(
                "INSERT INTO congress_sessions (congress_id, name, date, starts_at, position, "
                "edit_version) VALUES (999, 'x', '2025-07-22', '07:30:00', 1, 1)"))
        except Exception as error:  # noqa: BLE001 - the driver's IntegrityError, wrapped
            assert "foreign key" in str(error).lower()
        else:
            raise AssertionError("a session of a congress that does not exist was accepted")


@only_on_sqlite("the template is a PostgreSQL database there, not a file")
def test_the_migrated_template_is_one_complete_file(migrated_db):
    """conftest copies only the .sqlite3 file: dispose() must have checkpointed the WAL."""
    assert not migrated_db.with_name(migrated_db.name + "-wal").exists()
    assert not migrated_db.with_name(migrated_db.name + "-shm").exists()
    with sqlite3.connect(migrated_db) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"documents", "document_versions", "document_search", "alembic_version"} <= tables
