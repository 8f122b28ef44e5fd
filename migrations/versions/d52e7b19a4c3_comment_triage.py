"""comment triage: the secretariat's classification, response and duplicates; the adopted report

Revision ID: d52e7b19a4c3
Revises: c41cdf85fa21
Create Date: 2026-12-03 19:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd52e7b19a4c3'
down_revision = 'c41cdf85fa21'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('comment_triages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('congress_id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('classification', sa.Enum('accepted', 'explained', 'not_accepted', 'already_in_draft', name='classification', native_enum=False, length=24), nullable=True),
    sa.Column('response', sa.Text(), nullable=False),
    sa.Column('duplicate_of_id', sa.Integer(), nullable=True),
    sa.Column('triaged_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('edit_version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], ),
    sa.ForeignKeyConstraint(['congress_id'], ['congresses.id'], ),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['comments.id'], ),
    sa.ForeignKeyConstraint(['triaged_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('comment_id')
    )
    with op.batch_alter_table('comment_triages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comment_triages_congress_id'), ['congress_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comment_triages_duplicate_of_id'), ['duplicate_of_id'], unique=False)

    op.create_table('comment_report_adoptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('congress_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('adopted_by_id', sa.Integer(), nullable=True),
    sa.Column('adopted_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['adopted_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['congress_id'], ['congresses.id'], ),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('congress_id')
    )


def downgrade():
    op.drop_table('comment_report_adoptions')
    with op.batch_alter_table('comment_triages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comment_triages_duplicate_of_id'))
        batch_op.drop_index(batch_op.f('ix_comment_triages_congress_id'))

    op.drop_table('comment_triages')
