"""session versions of organiser accounts and delegates (sign-out ends every session)

Revision ID: 5e7a1c3d9b42
Revises: e5c7a1d3f9b2
Create Date: 2026-12-02 19:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e7a1c3d9b42'
down_revision = 'e5c7a1d3f9b2'
branch_labels = None
depends_on = None

TABLES = ("users", "delegates")


def upgrade():
    for table in TABLES:
        op.add_column(table, sa.Column("session_version", sa.Integer(), nullable=False,
                                       server_default="1"))


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("session_version")
