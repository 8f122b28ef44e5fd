"""SQLite settings applied to every new connection, so concurrent requests wait, not fail."""

from __future__ import annotations

from functools import partial

from flask import Flask, current_app
from sqlalchemy import Engine, event

from .extensions import db, migrate

# Lock waits shorter than this fail with "database is locked"; a longer connect timeout
# in SQLALCHEMY_ENGINE_OPTIONS is kept.
BUSY_TIMEOUT_MS = 5000
STATE_KEY = "congress_sqlite"


def configure_sqlite_connection(state: dict, dbapi_connection, connection_record) -> None:
    """WAL lets phones read while an organiser writes; NORMAL sync is crash-safe in WAL
    (only a power cut may lose the last commit); foreign keys are enforced, not decorative."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout")
        if cursor.fetchone()[0] < BUSY_TIMEOUT_MS:
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if state['foreign_keys'] else 'OFF'}")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


@migrate.configure
def _migrate_without_foreign_keys(config):
    """Alembic's batch mode on SQLite drops and recreates tables, which enforced foreign keys
    refuse as soon as rows refer to them: an app that runs migrations does without them."""
    state = current_app.extensions.get(STATE_KEY)
    if state is not None and state["foreign_keys"]:
        state["foreign_keys"] = False
        for engine in db.engines.values():
            engine.dispose()
    return config


def init_app(app: Flask) -> None:
    """Hook the pragmas onto the app's SQLite engines (other databases are left alone)."""
    state = app.extensions.setdefault(STATE_KEY, {"foreign_keys": True})
    with app.app_context():
        engines: list[Engine] = list(db.engines.values())
    for engine in engines:
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", partial(configure_sqlite_connection, state))
