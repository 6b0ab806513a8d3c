"""the hourly view rollup and indexes for the training metrics' per-period figures

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('view_stat',
    sa.Column('hour', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('dimension', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('views', sa.Integer(), nullable=False),
    sa.Column('opened', sa.Integer(), nullable=False),
    sa.Column('impressions', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('hour', 'dimension', 'key', name=op.f('pk_view_stat'))
    )
    _fill_view_stat()
    with op.batch_alter_table('case_view', schema=None) as batch_op:
        batch_op.drop_index('ix_case_view_viewed_at')
        batch_op.create_index('ix_case_view_period', ['viewed_at', 'case_id', 'user_id', 'impression_id'], unique=False)
        batch_op.create_index('ix_case_view_user_viewed', ['user_id', 'viewed_at'], unique=False)
    with op.batch_alter_table('search_impression', schema=None) as batch_op:
        batch_op.drop_index('ix_search_impression_shown_at')
        batch_op.create_index('ix_search_impression_period', ['shown_at', 'case_id'], unique=False)
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.create_index('ix_case_event_action_created', ['action', 'created_at', 'case_id'], unique=False)


def _fill_view_stat() -> None:
    """Roll up the views and impressions so far (the sums heatcases.metrics.rollup.rebuild makes)."""
    postgres = op.get_bind().dialect.name == 'postgresql'

    def hour(column: str) -> str:
        if postgres:
            return f"date_trunc('hour', {column}, 'UTC')"
        return f"substr({column}, 1, 13) || ':00:00.000000'"

    for dimension, key, join in (
        ("'all'", "''", ""),
        ("'team'", "coalesce(cast(c.team_id as varchar), '')", "JOIN service_case c ON c.id = v.case_id"),
        ("'line'", "c.business_line", "JOIN service_case c ON c.id = v.case_id"),
        ("'tag'", "t.tag", "JOIN case_tag t ON t.case_id = v.case_id"),
    ):
        op.execute(
            f'INSERT INTO view_stat ("hour", dimension, "key", views, opened, impressions) '
            f'SELECT {hour("v.viewed_at")}, {dimension}, {key}, count(*), count(v.impression_id), 0 '
            f'FROM case_view v {join} GROUP BY {hour("v.viewed_at")}' + ('' if key == "''" else f', {key}')
        )
    shown = hour("i.shown_at")
    op.execute(
        f'INSERT INTO view_stat ("hour", dimension, "key", views, opened, impressions) '
        f"SELECT {shown}, 'all', '', 0, 0, count(*) FROM search_impression i WHERE true GROUP BY {shown} "
        f'ON CONFLICT ("hour", dimension, "key") DO UPDATE SET impressions = excluded.impressions'
    )


def downgrade() -> None:
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.drop_index('ix_case_event_action_created')
    with op.batch_alter_table('search_impression', schema=None) as batch_op:
        batch_op.drop_index('ix_search_impression_period')
        batch_op.create_index('ix_search_impression_shown_at', ['shown_at'], unique=False)
    with op.batch_alter_table('case_view', schema=None) as batch_op:
        batch_op.drop_index('ix_case_view_user_viewed')
        batch_op.drop_index('ix_case_view_period')
        batch_op.create_index('ix_case_view_viewed_at', ['viewed_at'], unique=False)
    op.drop_table('view_stat')
