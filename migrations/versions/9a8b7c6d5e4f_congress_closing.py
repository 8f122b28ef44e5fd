"""congress closing and personal-data purge

Revision ID: 9a8b7c6d5e4f
Revises: 3f1c2b7a9d10
Create Date: 2026-11-22 00:56:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9a8b7c6d5e4f'
down_revision = '3f1c2b7a9d10'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('congresses', sa.Column('closed_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('congresses', schema=None) as batch_op:
        batch_op.drop_column('closed_at')
