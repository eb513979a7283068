"""handoffs: a user's chat handed to a staff member of their connection point

Revision ID: handoffs
Revises: catalog_archive
Create Date: 2026-11-30 20:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

TS = sa.DateTime(timezone=True)

revision: str = 'handoffs'
down_revision: str | None = 'catalog_archive'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('handoffs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('chat_id', sa.String(length=128), nullable=False),
    sa.Column('user_name', sa.String(length=200), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('demand_id', sa.Integer(), nullable=True),
    sa.Column('connection_point_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('staff_channel', sa.String(length=32), nullable=True),
    sa.Column('staff_chat', sa.String(length=128), nullable=True),
    sa.Column('staff_name', sa.String(length=200), nullable=True),
    sa.Column('rounds', sa.Integer(), nullable=False),
    sa.Column('opened_at', TS, nullable=False),
    sa.Column('taken_at', TS, nullable=True),
    sa.Column('waiting_told_at', TS, nullable=True),
    sa.Column('closed_at', TS, nullable=True),
    sa.Column('closed_by', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['connection_point_id'], ['connection_points.id'],
                            name=op.f('fk_handoffs_connection_point_id_connection_points'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['demand_id'], ['demands.id'],
                            name=op.f('fk_handoffs_demand_id_demands'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_handoffs_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handoffs'))
    )
    op.create_index('ix_handoffs_staff', 'handoffs', ['staff_channel', 'staff_chat', 'status'],
                    unique=False)
    op.create_index('ix_handoffs_status_opened', 'handoffs', ['status', 'opened_at'],
                    unique=False)
    op.create_index(op.f('ix_handoffs_user_id'), 'handoffs', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_handoffs_user_id'), table_name='handoffs')
    op.drop_index('ix_handoffs_status_opened', table_name='handoffs')
    op.drop_index('ix_handoffs_staff', table_name='handoffs')
    op.drop_table('handoffs')
