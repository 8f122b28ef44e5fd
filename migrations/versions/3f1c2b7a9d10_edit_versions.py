"""edit versions: optimistic locking for organisers' edits

Revision ID: 3f1c2b7a9d10
Revises: 7c1e5a9f3b20
Create Date: 2026-11-22 00:55:00

An integer edit_version on agenda items, sessions and documents (SQLAlchemy's
version_id_col). Plain ADD/DROP COLUMN, not batch mode: on SQLite a batch would recreate
`documents` and drop the FTS5 search triggers of 7c1e5a9f3b20 with it; ADD COLUMN with a
constant default and DROP COLUMN (SQLite >= 3.35) change the table in place.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3f1c2b7a9d10'
down_revision = '7c1e5a9f3b20'
branch_labels = None
depends_on = None

TABLES = ("agenda_items", "congress_sessions", "documents")


def upgrade():
    for table in TABLES:
        op.add_column(table, sa.Column("edit_version", sa.Integer(), nullable=False,
                                       server_default="1"))


def downgrade():
    for table in TABLES:
        op.drop_column(table, "edit_version")
