"""staff workflow: on-duty and fallback staff, staff invites, expert introductions, questions on
offers

Revision ID: staff_workflow
Revises: outbox_parts
Create Date: 2026-11-30 20:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

TS = sa.DateTime(timezone=True)

revision: str = 'staff_workflow'
down_revision: str | None = 'outbox_parts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('on_duty', sa.Boolean(), server_default=sa.true(),
                                      nullable=False))
        batch_op.add_column(sa.Column('fallback', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    op.create_table('staff_invites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('connection_point_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.String(length=160), nullable=False),
    sa.Column('created_at', TS, nullable=False),
    sa.Column('expires_at', TS, nullable=False),
    sa.Column('used_at', TS, nullable=True),
    sa.Column('used_by', sa.String(length=160), nullable=True),
    sa.ForeignKeyConstraint(['connection_point_id'], ['connection_points.id'],
                            name=op.f('fk_staff_invites_connection_point_id_connection_points'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_invites')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_staff_invites_code_hash'))
    )
    op.create_table('introductions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=True),
    sa.Column('demand_id', sa.Integer(), nullable=True),
    sa.Column('connection_point_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('handled_by', sa.String(length=160), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', TS, nullable=False),
    sa.Column('updated_at', TS, nullable=False),
    sa.ForeignKeyConstraint(['connection_point_id'], ['connection_points.id'],
                            name=op.f('fk_introductions_connection_point_id_connection_points'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['demand_id'], ['demands.id'],
                            name=op.f('fk_introductions_demand_id_demands'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['expert_id'], ['experts.id'],
                            name=op.f('fk_introductions_expert_id_experts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                            name=op.f('fk_introductions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_introductions'))
    )
    op.create_index(op.f('ix_introductions_user_id'), 'introductions', ['user_id'])
    op.create_index(op.f('ix_introductions_demand_id'), 'introductions', ['demand_id'])
    op.create_index(op.f('ix_introductions_connection_point_id'), 'introductions',
                    ['connection_point_id'])
    op.create_table('offer_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('technology_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('asked_by', sa.String(length=160), nullable=False),
    sa.Column('asked_at', TS, nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_at', TS, nullable=True),
    sa.ForeignKeyConstraint(['technology_id'], ['technologies.id'],
                            name=op.f('fk_offer_questions_technology_id_technologies'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                            name=op.f('fk_offer_questions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offer_questions'))
    )
    op.create_index(op.f('ix_offer_questions_technology_id'), 'offer_questions',
                    ['technology_id'])
    op.create_index('ix_offer_questions_user_open', 'offer_questions', ['user_id', 'answered_at'])


def downgrade() -> None:
    op.drop_index('ix_offer_questions_user_open', table_name='offer_questions')
    op.drop_index(op.f('ix_offer_questions_technology_id'), table_name='offer_questions')
    op.drop_table('offer_questions')
    for name in ('connection_point_id', 'demand_id', 'user_id'):
        op.drop_index(op.f(f'ix_introductions_{name}'), table_name='introductions')
    op.drop_table('introductions')
    op.drop_table('staff_invites')
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('fallback')
        batch_op.drop_column('on_duty')
