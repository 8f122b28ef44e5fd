"""comment groups: discussion-group secretaries, the group of each comment, the setting

Revision ID: f3a9c2d7b481
Revises: e8b3f2a6c914
Create Date: 2026-12-04 19:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f3a9c2d7b481'
down_revision = 'e8b3f2a6c914'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('delegates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_secretary', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))
    with op.batch_alter_table('congresses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delegates_see_group_comments', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discussion_group', sa.String(length=100),
                                      server_default='', nullable=False))
        batch_op.add_column(sa.Column('group_share', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('group_size', sa.Integer(), nullable=True))
    # Comments written before this revision belong to their author's group as it is now.
    op.execute("UPDATE comments SET discussion_group = (SELECT delegates.discussion_group "
               "FROM delegates WHERE delegates.id = comments.author_id)")


def downgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_column('group_size')
        batch_op.drop_column('group_share')
        batch_op.drop_column('discussion_group')
    with op.batch_alter_table('congresses', schema=None) as batch_op:
        batch_op.drop_column('delegates_see_group_comments')
    with op.batch_alter_table('delegates', schema=None) as batch_op:
        batch_op.drop_column('group_secretary')
