"""inbox: every update stored before it is acknowledged; replies know their update

Revision ID: inbox
Revises: outbox
Create Date: 2026-11-30 17:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)

revision: str = 'inbox'
down_revision: str | None = 'outbox'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('inbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('update_id', sa.String(length=128), nullable=False),
    sa.Column('raw', JSON, nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('received_at', TS, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox')),
    sa.UniqueConstraint('channel', 'update_id', name=op.f('uq_inbox_channel_update_id')),
    )
    op.create_index('ix_inbox_pending', 'inbox', ['status', 'channel', 'id'], unique=False)
    op.create_index(op.f('ix_inbox_received_at'), 'inbox', ['received_at'], unique=False)
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('update_id', sa.String(length=128), nullable=True))
        batch_op.create_index('ix_outbox_update', ['channel', 'update_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_update')
        batch_op.drop_column('update_id')
    op.drop_index(op.f('ix_inbox_received_at'), table_name='inbox')
    op.drop_index('ix_inbox_pending', table_name='inbox')
    op.drop_table('inbox')
