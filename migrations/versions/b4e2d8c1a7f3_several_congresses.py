"""several congresses on one instance: listed congresses, organisers tied to one congress,
audit events tagged with their congress

Revision ID: b4e2d8c1a7f3
Revises: 9a8b7c6d5e4f
Create Date: 2026-11-22 02:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b4e2d8c1a7f3'
down_revision = '9a8b7c6d5e4f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('congresses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('listed', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('congress_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_users_congress_id', ['congress_id'])
        batch_op.create_foreign_key('fk_users_congress_id', 'congresses', ['congress_id'], ['id'])
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('congress_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_audit_events_congress_id', ['congress_id'])
        batch_op.create_foreign_key('fk_audit_events_congress_id', 'congresses',
                                    ['congress_id'], ['id'])


def downgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint('fk_audit_events_congress_id', type_='foreignkey')
        batch_op.drop_index('ix_audit_events_congress_id')
        batch_op.drop_column('congress_id')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('fk_users_congress_id', type_='foreignkey')
        batch_op.drop_index('ix_users_congress_id')
        batch_op.drop_column('congress_id')
    with op.batch_alter_table('congresses', schema=None) as batch_op:
        batch_op.drop_column('listed')
