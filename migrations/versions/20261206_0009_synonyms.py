"""supervisors' synonyms: synonym groups and query pins kept in the database, their history, a version counter

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 04:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('synonym_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_synonym_version'))
    )
    op.create_table('synonym_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('words', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_synonym_group_created_by_id_app_user')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_synonym_group_updated_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_synonym_group'))
    )
    with op.batch_alter_table('synonym_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_synonym_group_active'), ['active'], unique=False)

    op.create_table('search_pin',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('query', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['service_case.id'], name=op.f('fk_search_pin_case_id_service_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_search_pin_created_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_pin')),
    sa.UniqueConstraint('query', 'case_id', name='uq_search_pin_query_case')
    )
    with op.batch_alter_table('search_pin', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_pin_case_id'), ['case_id'], unique=False)

    op.create_table('synonym_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('pin_query', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['app_user.id'], name=op.f('fk_synonym_change_actor_id_app_user')),
    sa.ForeignKeyConstraint(['group_id'], ['synonym_group.id'], name=op.f('fk_synonym_change_group_id_synonym_group')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_synonym_change'))
    )
    with op.batch_alter_table('synonym_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_synonym_change_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_synonym_change_group_id'), ['group_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('synonym_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_synonym_change_group_id'))
        batch_op.drop_index(batch_op.f('ix_synonym_change_created_at'))
    op.drop_table('synonym_change')
    with op.batch_alter_table('search_pin', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_pin_case_id'))
    op.drop_table('search_pin')
    with op.batch_alter_table('synonym_group', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_synonym_group_active'))
    op.drop_table('synonym_group')
    op.drop_table('synonym_version')
