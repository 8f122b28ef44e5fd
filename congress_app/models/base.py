"""Column types and helpers shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current instant, timezone-aware, so comparisons never mix naive and aware."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Store UTC without a zone (SQLite has none) and hand back aware datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def render_migration_type(type_, obj, autogen_context):
    """Write UTCDateTime into migrations as a plain DateTime, so they never import the app."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def include_in_autogenerate(name, type_, parent_names) -> bool:
    """Autogenerate leaves the FTS5 search index (built by its own migration) alone."""
    return not (type_ == "table" and name is not None and name.startswith("document_search"))
