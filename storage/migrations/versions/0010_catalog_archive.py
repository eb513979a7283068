"""catalog archive: experts and events can be archived (no longer suggested or listed)

Revision ID: catalog_archive
Revises: demand_pipeline
Create Date: 2026-11-30 20:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

TS = sa.DateTime(timezone=True)

revision: str = 'catalog_archive'
down_revision: str | None = 'demand_pipeline'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ('experts', 'events'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('archived_at', TS, nullable=True))


def downgrade() -> None:
    for table in ('experts', 'events'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('archived_at')
