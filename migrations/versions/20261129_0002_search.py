"""search index queue, queries and impressions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 17:19:17.911067
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('search_index_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('enqueued_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_index_task'))
    )
    with op.batch_alter_table('search_index_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_index_task_case_id'), ['case_id'], unique=False)

    op.create_table('search_query',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('normalized', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('results', sa.Integer(), nullable=False),
    sa.Column('page', sa.Integer(), nullable=False),
    sa.Column('searched_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_search_query_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_query'))
    )
    with op.batch_alter_table('search_query', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_query_normalized'), ['normalized'], unique=False)
        batch_op.create_index(batch_op.f('ix_search_query_searched_at'), ['searched_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_search_query_user_id'), ['user_id'], unique=False)

    op.create_table('search_impression',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('query_id', sa.Integer(), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('shown_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('opened_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['service_case.id'], name=op.f('fk_search_impression_case_id_service_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['query_id'], ['search_query.id'], name=op.f('fk_search_impression_query_id_search_query'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_search_impression_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_impression'))
    )
    with op.batch_alter_table('search_impression', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_impression_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_search_impression_query_id'), ['query_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_search_impression_shown_at'), ['shown_at'], unique=False)
        batch_op.create_index('ix_search_impression_user_case_shown', ['user_id', 'case_id', 'shown_at'], unique=False)

    with op.batch_alter_table('case_view', schema=None) as batch_op:
        batch_op.add_column(sa.Column('impression_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_case_view_impression_id_search_impression'), 'search_impression', ['impression_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('service_case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_service_case_external_id'), ['external_id'])



def downgrade() -> None:
    with op.batch_alter_table('service_case', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_service_case_external_id'), type_='unique')
        batch_op.drop_column('external_id')

    with op.batch_alter_table('case_view', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_case_view_impression_id_search_impression'), type_='foreignkey')
        batch_op.drop_column('impression_id')

    with op.batch_alter_table('search_impression', schema=None) as batch_op:
        batch_op.drop_index('ix_search_impression_user_case_shown')
        batch_op.drop_index(batch_op.f('ix_search_impression_shown_at'))
        batch_op.drop_index(batch_op.f('ix_search_impression_query_id'))
        batch_op.drop_index(batch_op.f('ix_search_impression_case_id'))

    op.drop_table('search_impression')
    with op.batch_alter_table('search_query', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_query_user_id'))
        batch_op.drop_index(batch_op.f('ix_search_query_searched_at'))
        batch_op.drop_index(batch_op.f('ix_search_query_normalized'))

    op.drop_table('search_query')
    with op.batch_alter_table('search_index_task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_index_task_case_id'))

    op.drop_table('search_index_task')
