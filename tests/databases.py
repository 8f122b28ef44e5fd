"""The PostgreSQL databases of a run with CONGRESS_TEST_DATABASE_URL set (see conftest.py)."""

from __future__ import annotations

import itertools
import os

import sqlalchemy as sa

TEST_DATABASE_URL = os.environ.get("CONGRESS_TEST_DATABASE_URL", "")
ON_POSTGRES = bool(TEST_DATABASE_URL) and (
    sa.make_url(TEST_DATABASE_URL).get_backend_name() == "postgresql")
if TEST_DATABASE_URL and not ON_POSTGRES:
    raise RuntimeError(f"CONGRESS_TEST_DATABASE_URL must be postgresql+psycopg://…, not "
                       f"{TEST_DATABASE_URL!r}")
TEMPLATE_DATABASE = "congress_template"


def _database_url(name: str) -> str:
    """The URL of another database on the test PostgreSQL server."""
    return sa.make_url(TEST_DATABASE_URL).set(database=name).render_as_string(
        hide_password=False)


class PostgresDatabases:
    """Databases on the test server, cloned from the migrated template and dropped at the end."""

    def __init__(self) -> None:
        self.server = sa.create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT",
                                       poolclass=sa.pool.NullPool)
        self.made: list[str] = []
        self._numbers = itertools.count(1)

    def create(self, name: str, template: str | None = None) -> str:
        with self.server.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"' + (
                f' TEMPLATE "{template}"' if template else ""))
        self.made.append(name)
        return _database_url(name)

    def copy(self) -> str:
        """A new database holding the migrated, empty schema."""
        return self.create(f"congress_copy_{next(self._numbers)}", TEMPLATE_DATABASE)

    def drop_all(self) -> None:
        with self.server.connect() as connection:
            for name in reversed(self.made):
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.server.dispose()



class EmptiedBetweenTests:
    """One PostgreSQL database for the `app` fixture, emptied after each test: a TRUNCATE
    of every table (alembic_version aside) takes ~13 ms on the test cluster, a CREATE
    DATABASE from the template ~35 ms, and needs every connection closed first."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with self.engine.connect() as connection:
            tables = connection.scalars(sa.text(
                "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = "
                "current_schema() AND tablename <> 'alembic_version' ORDER BY tablename"))
            self.truncate = f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"

    def empty(self) -> None:
        with self.engine.begin() as connection:
            # A connection a test left open would make TRUNCATE wait for ever: fail instead.
            connection.exec_driver_sql("SET LOCAL lock_timeout = '10s'")
            connection.exec_driver_sql(self.truncate)


