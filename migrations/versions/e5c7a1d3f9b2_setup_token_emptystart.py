"""the one-time set-up link of an empty instance (its token's hash)

Revision ID: e5c7a1d3f9b2
Revises: c7a1f0d2e9b4
Create Date: 2026-12-02 19:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5c7a1d3f9b2'
down_revision = 'c7a1f0d2e9b4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'setup_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )


def downgrade():
    op.drop_table('setup_tokens')
