"""one-time tokens of the organisers' "new …" forms, so a form sent twice makes one row

Revision ID: c7a1f0d2e9b4
Revises: b4e2d8c1a7f3
Create Date: 2026-12-02 19:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7a1f0d2e9b4'
down_revision = 'b4e2d8c1a7f3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'form_submissions',
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('object_type', sa.String(length=50), nullable=False),
        sa.Column('object_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('token'),
    )


def downgrade():
    op.drop_table('form_submissions')
