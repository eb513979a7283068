"""connection point organisation

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 22:35:55.301853
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('connection_points', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation', sa.String(length=300), server_default='', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('connection_points', schema=None) as batch_op:
        batch_op.drop_column('organisation')

