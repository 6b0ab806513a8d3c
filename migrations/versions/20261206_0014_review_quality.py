"""review quality: the review checklist and its history, each review's checklist marks, calibration rounds

The default checklist items are written by the server at start when the table is empty
(heatcases.review.checklist.ensure_defaults), not here.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 09:27:59.664566
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('review_checklist_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('label_zh', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('label_en', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_checklist_item')),
    sa.UniqueConstraint('code', name=op.f('uq_review_checklist_item_code'))
    )
    with op.batch_alter_table('review_checklist_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_checklist_item_active'), ['active'], unique=False)

    op.create_table('calibration_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('item_ids', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_calibration_round_created_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calibration_round'))
    )
    with op.batch_alter_table('calibration_round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calibration_round_created_at'), ['created_at'], unique=False)

    op.create_table('review_checklist_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['app_user.id'], name=op.f('fk_review_checklist_change_actor_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['item_id'], ['review_checklist_item.id'], name=op.f('fk_review_checklist_change_item_id_review_checklist_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_checklist_change'))
    )
    with op.batch_alter_table('review_checklist_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_checklist_change_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_checklist_change_item_id'), ['item_id'], unique=False)

    op.create_table('calibration_case',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['service_case.id'], name=op.f('fk_calibration_case_case_id_service_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['calibration_round.id'], name=op.f('fk_calibration_case_round_id_calibration_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'case_id', name=op.f('pk_calibration_case'))
    )
    with op.batch_alter_table('calibration_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calibration_case_case_id'), ['case_id'], unique=False)

    op.create_table('calibration_member',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['round_id'], ['calibration_round.id'], name=op.f('fk_calibration_member_round_id_calibration_round'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_calibration_member_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'user_id', name=op.f('pk_calibration_member'))
    )
    with op.batch_alter_table('calibration_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calibration_member_user_id'), ['user_id'], unique=False)

    op.create_table('calibration_score',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('met', sa.Boolean(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['service_case.id'], name=op.f('fk_calibration_score_case_id_service_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['review_checklist_item.id'], name=op.f('fk_calibration_score_item_id_review_checklist_item')),
    sa.ForeignKeyConstraint(['round_id'], ['calibration_round.id'], name=op.f('fk_calibration_score_round_id_calibration_round'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_calibration_score_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calibration_score')),
    sa.UniqueConstraint('round_id', 'case_id', 'user_id', 'item_id', name='uq_calibration_score')
    )
    with op.batch_alter_table('calibration_score', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calibration_score_round_id'), ['round_id'], unique=False)

    op.create_table('review_mark',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('met', sa.Boolean(), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['case_event.id'], name=op.f('fk_review_mark_event_id_case_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['review_checklist_item.id'], name=op.f('fk_review_mark_item_id_review_checklist_item')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_mark')),
    sa.UniqueConstraint('event_id', 'item_id', name='uq_review_mark_event_item')
    )
    with op.batch_alter_table('review_mark', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_mark_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_mark_item_id'), ['item_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('review_mark', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_mark_item_id'))
        batch_op.drop_index(batch_op.f('ix_review_mark_event_id'))

    op.drop_table('review_mark')
    with op.batch_alter_table('calibration_score', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calibration_score_round_id'))

    op.drop_table('calibration_score')
    with op.batch_alter_table('calibration_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calibration_member_user_id'))

    op.drop_table('calibration_member')
    with op.batch_alter_table('calibration_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calibration_case_case_id'))

    op.drop_table('calibration_case')
    with op.batch_alter_table('review_checklist_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_checklist_change_item_id'))
        batch_op.drop_index(batch_op.f('ix_review_checklist_change_created_at'))

    op.drop_table('review_checklist_change')
    with op.batch_alter_table('calibration_round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calibration_round_created_at'))

    op.drop_table('calibration_round')
    with op.batch_alter_table('review_checklist_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_checklist_item_active'))

    op.drop_table('review_checklist_item')
