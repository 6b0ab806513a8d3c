"""case passages and their meaning vectors, stored so that no rebuild embeds again

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 05:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'case_passage',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('model', sa.String(length=60), nullable=False),
        sa.Column('passage_no', sa.Integer(), nullable=False),
        sa.Column('start', sa.Integer(), nullable=False),
        sa.Column('end', sa.Integer(), nullable=False),
        sa.Column('content_hash', sa.String(length=32), nullable=False),
        sa.Column('source_updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('embedded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('vector', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['service_case.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('case_id', 'model', 'passage_no', name='uq_case_passage'),
    )
    op.create_index('ix_case_passage_model_embedded', 'case_passage', ['model', 'embedded_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_case_passage_model_embedded', table_name='case_passage')
    op.drop_table('case_passage')
