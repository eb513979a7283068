"""staff roles: chat accounts working for a connection point

Revision ID: staff_roles
Revises: 0003
Create Date: 2026-11-30 16:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'staff_roles'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('staff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=128), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('connection_point_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['connection_point_id'], ['connection_points.id'],
                            name=op.f('fk_staff_connection_point_id_connection_points'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff')),
    sa.UniqueConstraint('channel', 'user_id', name=op.f('uq_staff_channel_user_id'))
    )
    op.create_index(op.f('ix_staff_connection_point_id'), 'staff', ['connection_point_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_staff_connection_point_id'), table_name='staff')
    op.drop_table('staff')
