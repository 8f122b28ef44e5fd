"""comments: a comment window per document and the delegates' comments (góp ý)

The new document category "higher_draft" needs no change: categories are stored as text
(a non-native enum, no CHECK constraint).

Revision ID: c41cdf85fa21
Revises: c7a3e91f5d20
Create Date: 2026-12-03 18:39:24

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c41cdf85fa21'
down_revision = 'c7a3e91f5d20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('comment_windows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('congress_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('opens_at', sa.DateTime(), nullable=False),
    sa.Column('closes_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('scope', sa.Enum('document', 'paragraphs', name='commentscope', native_enum=False, length=16), nullable=False),
    sa.Column('authors', sa.Enum('official_delegates', name='commentauthors', native_enum=False, length=32), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('edit_version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['congress_id'], ['congresses.id'], ),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], ),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('document_id')
    )
    with op.batch_alter_table('comment_windows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comment_windows_congress_id'), ['congress_id'], unique=False)

    op.create_table('comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=36), nullable=False),
    sa.Column('congress_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('paragraph', sa.Integer(), nullable=True),
    sa.Column('paragraph_text', sa.Text(), nullable=False),
    sa.Column('section', sa.String(length=500), nullable=False),
    sa.Column('stance', sa.Enum('agree', 'disagree', 'partly', name='stance', native_enum=False, length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('proposed_wording', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.Column('edit_version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['delegates.id'], ),
    sa.ForeignKeyConstraint(['congress_id'], ['congresses.id'], ),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], ),
    sa.ForeignKeyConstraint(['version_id'], ['document_versions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('client_id')
    )
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comments_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comments_congress_id'), ['congress_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comments_document_id'), ['document_id'], unique=False)



def downgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comments_document_id'))
        batch_op.drop_index(batch_op.f('ix_comments_congress_id'))
        batch_op.drop_index(batch_op.f('ix_comments_author_id'))

    op.drop_table('comments')
    with op.batch_alter_table('comment_windows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comment_windows_congress_id'))

    op.drop_table('comment_windows')
