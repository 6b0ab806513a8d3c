"""failed logins, for the login throttle (per username and per client address)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('login_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('client_ip', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('failed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failure'))
    )
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_failure_failed_at'), ['failed_at'], unique=False)
        batch_op.create_index('ix_login_failure_ip_failed', ['client_ip', 'failed_at'], unique=False)
        batch_op.create_index('ix_login_failure_username_failed', ['username_key', 'failed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.drop_index('ix_login_failure_username_failed')
        batch_op.drop_index('ix_login_failure_ip_failed')
        batch_op.drop_index(batch_op.f('ix_login_failure_failed_at'))
    op.drop_table('login_failure')
