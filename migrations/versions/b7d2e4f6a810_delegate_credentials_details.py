"""delegate credentials details: sex, year of birth, ethnicity, education and theory levels,
year of joining the party and position, for the credentials committee's report

Revision ID: b7d2e4f6a810
Revises: a3d9c5e7f120
Create Date: 2026-12-04 19:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d2e4f6a810'
down_revision = 'a3d9c5e7f120'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('delegates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sex', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('birth_year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('ethnicity', sa.String(length=50), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('education', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('theory_level', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('party_joined_year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('position', sa.String(length=200), server_default='',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('delegates', schema=None) as batch_op:
        for column in ('position', 'party_joined_year', 'theory_level', 'education',
                       'ethnicity', 'birth_year', 'sex'):
            batch_op.drop_column(column)
