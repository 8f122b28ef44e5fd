"""language: a congress may follow the phone's language (Accept-Language); off by default

Revision ID: c7a3e91f5d20
Revises: c7a3e9f1d2b5
Create Date: 2026-12-02 19:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7a3e91f5d20'
down_revision = 'c7a3e9f1d2b5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('congresses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('follow_browser_language', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('congresses', schema=None) as batch_op:
        batch_op.drop_column('follow_browser_language')
