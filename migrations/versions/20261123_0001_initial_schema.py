"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 00:39:19.641770
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('team',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team')),
    sa.UniqueConstraint('name', name=op.f('uq_team_name'))
    )
    op.create_table('app_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_app_user_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('username', name=op.f('uq_app_user_username'))
    )
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_user_team_id'), ['team_id'], unique=False)

    op.create_table('auth_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_auth_token_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_auth_token_token_hash'))
    )
    with op.batch_alter_table('auth_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auth_token_user_id'), ['user_id'], unique=False)

    op.create_table('service_case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('business_line', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=True),
    sa.Column('praise', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('featured', sa.Boolean(), nullable=False),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('views', sa.Integer(), nullable=False),
    sa.Column('unique_viewers', sa.Integer(), nullable=False),
    sa.Column('review_comment', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('masked', sa.JSON(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('reviewed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('featured_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['app_user.id'], name=op.f('fk_service_case_author_id_app_user')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_service_case_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_case'))
    )
    with op.batch_alter_table('service_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_case_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_case_business_line'), ['business_line'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_case_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_case_featured'), ['featured'], unique=False)
        batch_op.create_index('ix_service_case_status_archived_created', ['status', 'archived', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_case_team_id'), ['team_id'], unique=False)

    op.create_table('case_behavior',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('behavior', sa.String(length=30), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['service_case.id'], name=op.f('fk_case_behavior_case_id_service_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'behavior', name=op.f('pk_case_behavior'))
    )
    with op.batch_alter_table('case_behavior', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_behavior_behavior'), ['behavior'], unique=False)

    op.create_table('case_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('from_status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('to_status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('comment', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['app_user.id'], name=op.f('fk_case_event_actor_id_app_user')),
    sa.ForeignKeyConstraint(['case_id'], ['service_case.id'], name=op.f('fk_case_event_case_id_service_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_event'))
    )
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_event_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_event_created_at'), ['created_at'], unique=False)

    op.create_table('case_tag',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['service_case.id'], name=op.f('fk_case_tag_case_id_service_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'tag', name=op.f('pk_case_tag'))
    )
    with op.batch_alter_table('case_tag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_tag_tag'), ['tag'], unique=False)

    op.create_table('case_view',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('viewed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['service_case.id'], name=op.f('fk_case_view_case_id_service_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_case_view_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_view'))
    )
    with op.batch_alter_table('case_view', schema=None) as batch_op:
        batch_op.create_index('ix_case_view_case_viewed', ['case_id', 'viewed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_view_viewed_at'), ['viewed_at'], unique=False)

    op.create_table('case_viewer',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('first_viewed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('last_counted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['service_case.id'], name=op.f('fk_case_viewer_case_id_service_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_case_viewer_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'user_id', name=op.f('pk_case_viewer'))
    )
    with op.batch_alter_table('case_viewer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_viewer_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('case_viewer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_viewer_user_id'))

    op.drop_table('case_viewer')
    with op.batch_alter_table('case_view', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_view_viewed_at'))
        batch_op.drop_index('ix_case_view_case_viewed')

    op.drop_table('case_view')
    with op.batch_alter_table('case_tag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_tag_tag'))

    op.drop_table('case_tag')
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_event_created_at'))
        batch_op.drop_index(batch_op.f('ix_case_event_case_id'))

    op.drop_table('case_event')
    with op.batch_alter_table('case_behavior', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_behavior_behavior'))

    op.drop_table('case_behavior')
    with op.batch_alter_table('service_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_case_team_id'))
        batch_op.drop_index('ix_service_case_status_archived_created')
        batch_op.drop_index(batch_op.f('ix_service_case_featured'))
        batch_op.drop_index(batch_op.f('ix_service_case_created_at'))
        batch_op.drop_index(batch_op.f('ix_service_case_business_line'))
        batch_op.drop_index(batch_op.f('ix_service_case_author_id'))

    op.drop_table('service_case')
    with op.batch_alter_table('auth_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auth_token_user_id'))

    op.drop_table('auth_token')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_user_team_id'))

    op.drop_table('app_user')
    op.drop_table('team')
