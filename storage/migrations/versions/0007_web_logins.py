"""web logins: one-time sign-in links to the staff web console

Revision ID: web_logins
Revises: outbox
Create Date: 2026-11-30 18:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'web_logins'
down_revision: str | None = 'outbox'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('web_logins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_logins')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_web_logins_token_hash'))
    )
    op.create_index(op.f('ix_web_logins_expires_at'), 'web_logins', ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_web_logins_expires_at'), table_name='web_logins')
    op.drop_table('web_logins')
