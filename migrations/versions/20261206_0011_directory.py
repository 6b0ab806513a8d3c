"""directory sign-in and user administration: a user's source, one-time password flag and language; the user_change audit

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 07:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False, server_default='local'))
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True))
        batch_op.create_index(batch_op.f('ix_app_user_source'), ['source'], unique=False)

    op.create_table('user_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['app_user.id'], name=op.f('fk_user_change_actor_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_change'))
    )
    with op.batch_alter_table('user_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_change_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_change_target'), ['target'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('user_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_change_target'))
        batch_op.drop_index(batch_op.f('ix_user_change_created_at'))
    op.drop_table('user_change')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_user_source'))
        batch_op.drop_column('language')
        batch_op.drop_column('must_change_password')
        batch_op.drop_column('source')
