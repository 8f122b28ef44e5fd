"""comment authors purged: comments.author_id may be NULL once personal data is purged

Revision ID: a3d9c5e7f120
Revises: f3a9c2d7b481
Create Date: 2026-12-04 19:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3d9c5e7f120'
down_revision = 'f3a9c2d7b481'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.alter_column('author_id', existing_type=sa.Integer(), nullable=True)
    # Congresses purged before this revision kept their comments' authors: drop them now,
    # as their purge would have.
    op.execute(
        "UPDATE comments SET author_id = NULL WHERE congress_id IN ("
        "SELECT object_id FROM audit_events WHERE action = 'congress.purge' "
        "AND object_type = 'Congress')")


def downgrade():
    # A purge cannot be undone: the authors it took out are gone, so going back below this
    # revision would have to invent them or delete the comments. Neither: refuse, and say so.
    purged = op.get_bind().execute(
        sa.text("SELECT COUNT(*) FROM comments WHERE author_id IS NULL")).scalar()
    if purged:
        raise RuntimeError(
            f"{purged} comments lost their author in a purge of personal data; the schema "
            "before revision a3d9c5e7f120 needs an author on every comment, so it cannot "
            "be downgraded past it.")
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.alter_column('author_id', existing_type=sa.Integer(), nullable=False)
