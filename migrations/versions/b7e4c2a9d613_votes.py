"""votes: biểu quyết on agenda items, the ballots, secret counters, the congress's rule

Revision ID: b7e4c2a9d613
Revises: b7d2e4f6a810
Create Date: 2026-12-04 19:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e4c2a9d613'
down_revision = 'b7d2e4f6a810'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('congresses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vote_rule', sa.String(length=16),
                                      server_default='present', nullable=False))
    op.create_table(
        'votes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('congress_id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('question', sa.String(length=500), nullable=False),
        sa.Column('method', sa.Enum('hands', 'phones', name='votemethod', native_enum=False,
                                    length=16), nullable=False),
        sa.Column('secret', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('rule', sa.Enum('present', 'convened', 'cast', name='passingrule',
                                  native_enum=False, length=16), nullable=True),
        sa.Column('state', sa.Enum('draft', 'open', 'closed', 'annulled', name='votestate',
                                   native_enum=False, length=16), nullable=False),
        sa.Column('annul_reason', sa.Text(), nullable=False),
        sa.Column('for_count', sa.Integer(), nullable=True),
        sa.Column('against_count', sa.Integer(), nullable=True),
        sa.Column('abstain_count', sa.Integer(), nullable=True),
        sa.Column('mismatch_reason', sa.Text(), nullable=False),
        sa.Column('present_count', sa.Integer(), nullable=True),
        sa.Column('convened_count', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('opened_at', sa.DateTime(), nullable=True),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('annulled_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['congress_id'], ['congresses.id']),
        sa.ForeignKeyConstraint(['item_id'], ['agenda_items.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_votes_congress_id', 'votes', ['congress_id'])
    op.create_index('ix_votes_item_id', 'votes', ['item_id'])
    op.create_table(
        'vote_ballots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('vote_id', sa.Integer(), nullable=False),
        sa.Column('delegate_id', sa.Integer(), nullable=False),
        sa.Column('choice', sa.Enum('for', 'against', 'abstain', name='choice',
                                    native_enum=False, length=16), nullable=True),
        sa.Column('client_id', sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(['delegate_id'], ['delegates.id']),
        sa.ForeignKeyConstraint(['vote_id'], ['votes.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('vote_id', 'delegate_id'),
    )
    op.create_index('ix_vote_ballots_vote_id', 'vote_ballots', ['vote_id'])
    op.create_index('ix_vote_ballots_delegate_id', 'vote_ballots', ['delegate_id'])
    op.create_table(
        'vote_counts',
        sa.Column('vote_id', sa.Integer(), nullable=False),
        sa.Column('choice', sa.Enum('for', 'against', 'abstain', name='choice',
                                    native_enum=False, length=16), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.CheckConstraint('count >= 0', name='vote_count_not_negative'),
        sa.ForeignKeyConstraint(['vote_id'], ['votes.id']),
        sa.PrimaryKeyConstraint('vote_id', 'choice'),
    )


def downgrade():
    op.drop_table('vote_counts')
    op.drop_index('ix_vote_ballots_delegate_id', table_name='vote_ballots')
    op.drop_index('ix_vote_ballots_vote_id', table_name='vote_ballots')
    op.drop_table('vote_ballots')
    op.drop_index('ix_votes_item_id', table_name='votes')
    op.drop_index('ix_votes_congress_id', table_name='votes')
    op.drop_table('votes')
    with op.batch_alter_table('congresses', schema=None) as batch_op:
        batch_op.drop_column('vote_rule')
