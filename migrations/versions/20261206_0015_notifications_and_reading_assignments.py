"""notifications (in the app, their settings, the e-mail outbox) and reading assignments (lists, items, assignees)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 09:27:22.216435
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('mail_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('to_address', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('lang', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('next_attempt_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('failed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_mail_outbox_user_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_outbox'))
    )
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_mail_outbox_due', ['sent_at', 'failed_at', 'next_attempt_at'], unique=False)

    op.create_table('notification_setting',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('muted', sa.JSON(), nullable=False),
    sa.Column('emailed', sa.JSON(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_notification_setting_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notification_setting'))
    )
    op.create_table('reading_list',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_reading_list_created_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reading_list'))
    )
    with op.batch_alter_table('reading_list', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reading_list_created_by_id'), ['created_by_id'], unique=False)

    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('reading_list_id', sa.Integer(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('dedupe_key', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('read_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['service_case.id'], name=op.f('fk_notification_case_id_service_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reading_list_id'], ['reading_list.id'], name=op.f('fk_notification_reading_list_id_reading_list'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_notification_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
    sa.UniqueConstraint('user_id', 'dedupe_key', name='uq_notification_user_dedupe')
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_user_created', ['user_id', 'created_at'], unique=False)
        batch_op.create_index('ix_notification_user_read', ['user_id', 'read_at'], unique=False)

    op.create_table('reading_assignment',
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('assigned_by_id', sa.Integer(), nullable=False),
    sa.Column('assigned_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('reminded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['app_user.id'], name=op.f('fk_reading_assignment_assigned_by_id_app_user')),
    sa.ForeignKeyConstraint(['list_id'], ['reading_list.id'], name=op.f('fk_reading_assignment_list_id_reading_list'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_reading_assignment_team_id_team')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_reading_assignment_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('list_id', 'user_id', name=op.f('pk_reading_assignment'))
    )
    with op.batch_alter_table('reading_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reading_assignment_user_id'), ['user_id'], unique=False)

    op.create_table('reading_list_item',
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['service_case.id'], name=op.f('fk_reading_list_item_case_id_service_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['list_id'], ['reading_list.id'], name=op.f('fk_reading_list_item_list_id_reading_list'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('list_id', 'case_id', name=op.f('pk_reading_list_item'))
    )
    with op.batch_alter_table('reading_list_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reading_list_item_case_id'), ['case_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('reading_list_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reading_list_item_case_id'))

    op.drop_table('reading_list_item')
    with op.batch_alter_table('reading_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reading_assignment_user_id'))

    op.drop_table('reading_assignment')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_user_read')
        batch_op.drop_index('ix_notification_user_created')

    op.drop_table('notification')
    with op.batch_alter_table('reading_list', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reading_list_created_by_id'))

    op.drop_table('reading_list')
    op.drop_table('notification_setting')
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_mail_outbox_due')

    op.drop_table('mail_outbox')
