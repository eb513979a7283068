"""search_text: stored plain search words of technologies and experts (rows written
before this revision get them computed when the search index is built)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 22:34:16.137942
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('experts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.Text(), nullable=False, server_default=''))

    with op.batch_alter_table('technologies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.Text(), nullable=False, server_default=''))



def downgrade() -> None:
    with op.batch_alter_table('technologies', schema=None) as batch_op:
        batch_op.drop_column('search_text')

    with op.batch_alter_table('experts', schema=None) as batch_op:
        batch_op.drop_column('search_text')

