"""index tasks are case changes only: view counts reach the most-viewed order from the database

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 02:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM search_index_task WHERE kind = 'views'")
    with op.batch_alter_table('search_index_task', schema=None) as batch_op:
        batch_op.drop_column('kind')


def downgrade() -> None:
    with op.batch_alter_table('search_index_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=8), nullable=False, server_default='case'))
