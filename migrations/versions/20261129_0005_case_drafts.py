"""case drafts: what an author was writing in the submit or edit form, masked, kept until submitted

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('case_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('slot', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('masked', sa.JSON(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_case_draft_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_draft')),
    sa.UniqueConstraint('user_id', 'slot', name='uq_case_draft_user_slot')
    )


def downgrade() -> None:
    op.drop_table('case_draft')
