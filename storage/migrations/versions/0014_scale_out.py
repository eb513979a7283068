"""scale-out: each inbox update knows its chat; long button payloads shared by all processes

Revision ID: scale_out
Revises: staff_workflow
Create Date: 2026-11-30 20:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

TS = sa.DateTime(timezone=True)

revision: str = 'scale_out'
down_revision: str | None = 'staff_workflow'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chat_id', sa.String(length=128), nullable=True))
        batch_op.create_index('ix_inbox_chat', ['channel', 'chat_id', 'status'], unique=False)
    op.create_table('button_payloads',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('created_at', TS, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_button_payloads')),
    )
    op.create_index(op.f('ix_button_payloads_created_at'), 'button_payloads', ['created_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_button_payloads_created_at'), table_name='button_payloads')
    op.drop_table('button_payloads')
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_chat')
        batch_op.drop_column('chat_id')
