"""channel tokens: the Zalo OA token pair

Revision ID: channel_tokens
Revises: staff_roles
Create Date: 2026-11-30 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'channel_tokens'
down_revision: str | None = 'staff_roles'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'channel_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account', sa.String(length=128), nullable=False),
        sa.Column('access_token', sa.Text(), nullable=False),
        sa.Column('refresh_token', sa.Text(), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('pending_verifier', sa.Text(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_tokens')),
        sa.UniqueConstraint('account', name=op.f('uq_channel_tokens_account')),
    )


def downgrade() -> None:
    op.drop_table('channel_tokens')
