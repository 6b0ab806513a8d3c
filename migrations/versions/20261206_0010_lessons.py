"""lessons from complaints: the lesson columns of a case, its failed service-quality elements, the customer-value settings

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('customer_value_setting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('shares', sa.JSON(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=False),
    sa.Column('changed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['app_user.id'], name=op.f('fk_customer_value_setting_changed_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_value_setting'))
    )
    with op.batch_alter_table('customer_value_setting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_value_setting_changed_at'), ['changed_at'], unique=False)

    op.create_table('case_servqual',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('element', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['service_case.id'], name=op.f('fk_case_servqual_case_id_service_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'element', name=op.f('pk_case_servqual'))
    )
    with op.batch_alter_table('case_servqual', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_servqual_element'), ['element'], unique=False)

    with op.batch_alter_table('service_case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False, server_default='exemplar'))
        batch_op.add_column(sa.Column('lesson', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('defect_class', sqlmodel.sql.sqltypes.AutoString(length=1), nullable=True))
        batch_op.add_column(sa.Column('defect_kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True))
        batch_op.add_column(sa.Column('found_by', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.add_column(sa.Column('partner', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('value_at_risk', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_service_case_kind'), ['kind'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('service_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_case_kind'))
        batch_op.drop_column('value_at_risk')
        batch_op.drop_column('partner')
        batch_op.drop_column('found_by')
        batch_op.drop_column('defect_kind')
        batch_op.drop_column('defect_class')
        batch_op.drop_column('lesson')
        batch_op.drop_column('kind')

    with op.batch_alter_table('case_servqual', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_servqual_element'))

    op.drop_table('case_servqual')
    with op.batch_alter_table('customer_value_setting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_value_setting_changed_at'))

    op.drop_table('customer_value_setting')
