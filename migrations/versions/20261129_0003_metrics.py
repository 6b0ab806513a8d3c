"""indexes for the training metrics' per-period figures

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 20:00:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('case_view', schema=None) as batch_op:
        batch_op.drop_index('ix_case_view_viewed_at')
        batch_op.create_index('ix_case_view_period', ['viewed_at', 'case_id', 'user_id', 'impression_id'], unique=False)
    with op.batch_alter_table('search_impression', schema=None) as batch_op:
        batch_op.drop_index('ix_search_impression_shown_at')
        batch_op.create_index('ix_search_impression_period', ['shown_at', 'case_id'], unique=False)
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.create_index('ix_case_event_action_created', ['action', 'created_at', 'case_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.drop_index('ix_case_event_action_created')
    with op.batch_alter_table('search_impression', schema=None) as batch_op:
        batch_op.drop_index('ix_search_impression_period')
        batch_op.create_index('ix_search_impression_shown_at', ['shown_at'], unique=False)
    with op.batch_alter_table('case_view', schema=None) as batch_op:
        batch_op.drop_index('ix_case_view_period')
        batch_op.create_index('ix_case_view_viewed_at', ['viewed_at'], unique=False)
