"""attendance per session: check-ins belong to a session, checkouts, reasons for absence

Existing check-ins are given the congress's first session (by date, start time, position),
when it has any: a congress that already laid out its sessions checked its delegates in
for the opening one, and every count ("present now", the sheet) reads a session. A
congress without sessions keeps its check-ins congress-wide (session_id NULL), which is
what a congress without sessions records from now on too.

Downgrading keeps each delegate's earliest check-in (one per delegate, as before this
revision) and drops the later sessions' check-ins, the checkouts and the reasons for
absence: the older schema has no room for them.

Revision ID: b7e4f2a91c06
Revises: b7e4c2a9d613
Create Date: 2026-12-04 19:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e4f2a91c06'
down_revision = 'b7e4c2a9d613'
branch_labels = None
depends_on = None

# The unique delegate_id of the first check-in migration has no name of its own: SQLite's
# batch mode names it through this convention, PostgreSQL calls it checkins_delegate_id_key.
_OLD_UNIQUE = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
_NULL_SESSION = sa.text("session_id IS NULL")


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    if _postgresql():
        op.drop_constraint('checkins_delegate_id_key', 'checkins', type_='unique')
    with op.batch_alter_table('checkins', schema=None,
                              naming_convention=_OLD_UNIQUE) as batch_op:
        if not _postgresql():
            batch_op.drop_constraint('uq_checkins_delegate_id', type_='unique')
        batch_op.add_column(sa.Column('session_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('checked_out_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('checked_out_by_user_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_checkins_session_id', 'congress_sessions',
                                    ['session_id'], ['id'])
        batch_op.create_foreign_key('fk_checkins_checked_out_by_user_id', 'users',
                                    ['checked_out_by_user_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_checkins_delegate_id'), ['delegate_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_checkins_session_id'), ['session_id'],
                              unique=False)
        batch_op.create_unique_constraint('uq_checkins_delegate_session',
                                          ['delegate_id', 'session_id'])
    op.execute(
        "UPDATE checkins SET session_id = (SELECT s.id FROM congress_sessions s "
        "WHERE s.congress_id = checkins.congress_id "
        "ORDER BY s.date, s.starts_at, s.position, s.id LIMIT 1)")
    op.create_index('uq_checkins_delegate_congress_wide', 'checkins', ['delegate_id'],
                    unique=True, sqlite_where=_NULL_SESSION, postgresql_where=_NULL_SESSION)

    op.create_table('absences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('congress_id', sa.Integer(), nullable=False),
    sa.Column('delegate_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('excused', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('by_user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['by_user_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['congress_id'], ['congresses.id'], ),
    sa.ForeignKeyConstraint(['delegate_id'], ['delegates.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['congress_sessions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('delegate_id', 'session_id', name='uq_absences_delegate_session')
    )
    with op.batch_alter_table('absences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_absences_congress_id'), ['congress_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_absences_delegate_id'), ['delegate_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_absences_session_id'), ['session_id'],
                              unique=False)
    op.create_index('uq_absences_delegate_congress_wide', 'absences', ['delegate_id'],
                    unique=True, sqlite_where=_NULL_SESSION, postgresql_where=_NULL_SESSION)


def downgrade():
    op.drop_index('uq_absences_delegate_congress_wide', table_name='absences')
    op.drop_table('absences')
    # One check-in per delegate again: the earliest arrival stays.
    op.execute(
        "DELETE FROM checkins WHERE id NOT IN (SELECT MIN(c.id) FROM checkins c "
        "WHERE c.at = (SELECT MIN(e.at) FROM checkins e WHERE e.delegate_id = c.delegate_id) "
        "GROUP BY c.delegate_id)")
    op.drop_index('uq_checkins_delegate_congress_wide', table_name='checkins')
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_constraint('uq_checkins_delegate_session', type_='unique')
        batch_op.drop_index(batch_op.f('ix_checkins_session_id'))
        batch_op.drop_index(batch_op.f('ix_checkins_delegate_id'))
        batch_op.drop_constraint('fk_checkins_checked_out_by_user_id', type_='foreignkey')
        batch_op.drop_constraint('fk_checkins_session_id', type_='foreignkey')
        batch_op.drop_column('checked_out_by_user_id')
        batch_op.drop_column('checked_out_at')
        batch_op.drop_column('session_id')
    if _postgresql():
        op.create_unique_constraint('checkins_delegate_id_key', 'checkins', ['delegate_id'])
    else:
        with op.batch_alter_table('checkins', schema=None) as batch_op:
            batch_op.create_unique_constraint('uq_checkins_delegate_id', ['delegate_id'])
