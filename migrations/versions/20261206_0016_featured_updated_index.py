"""an index on (featured, updated_at): the featured cases' version read on every case page, from the index alone

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 16:55:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("service_case", schema=None) as batch_op:
        batch_op.create_index("ix_service_case_featured_updated", ["featured", "updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("service_case", schema=None) as batch_op:
        batch_op.drop_index("ix_service_case_featured_updated")
