"""index task kind: a case change ('case', applied at once) or only its view count ('views', applied in batches)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('search_index_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=8), nullable=False, server_default='case'))


def downgrade() -> None:
    with op.batch_alter_table('search_index_task', schema=None) as batch_op:
        batch_op.drop_column('kind')
