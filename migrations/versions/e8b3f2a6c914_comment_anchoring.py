"""comment anchoring: where a comment stands after its draft got a new version

Revision ID: e8b3f2a6c914
Revises: d52e7b19a4c3
Create Date: 2026-12-03 19:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e8b3f2a6c914'
down_revision = 'd52e7b19a4c3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'anchor_state', sa.Enum('current', 'changed', 'not_found', name='anchorstate',
                                    native_enum=False, length=16),
            server_default='current', nullable=False))
        batch_op.add_column(sa.Column('anchored_to_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_comments_anchored_to_id', 'document_versions',
                                    ['anchored_to_id'], ['id'])


def downgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_constraint('fk_comments_anchored_to_id', type_='foreignkey')
        batch_op.drop_column('anchored_to_id')
        batch_op.drop_column('anchor_state')
