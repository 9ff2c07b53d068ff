"""Order integrations (one per order and account), their attempt history, and user integrations

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 08:31:41.478221

"""
from alembic import op
import sqlalchemy as sa

import portal.models.types  # noqa: F401  (custom column types autogenerate refers to)


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('user_integration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_user_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('partner_user_id', sa.String(length=40), nullable=False),
    sa.Column('adopted', sa.Boolean(), nullable=False),
    sa.Column('created_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['embedded_services_account.id'], name=op.f('fk_user_integration_account_id_embedded_services_account')),
    sa.ForeignKeyConstraint(['site_user_id'], ['site_user.id'], name=op.f('fk_user_integration_site_user_id_site_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_integration')),
    sa.UniqueConstraint('site_user_id', 'account_id', name=op.f('uq_user_integration_site_user_id'))
    )
    with op.batch_alter_table('user_integration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_integration_account_id'), ['account_id'], unique=False)

    op.create_table('order_integration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('partner_order_id', sa.String(length=40), nullable=True),
    sa.Column('partner_status', sa.String(length=80), nullable=True),
    sa.Column('partner_job_ids', sa.JSON(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('last_error_code', sa.String(length=20), nullable=True),
    sa.Column('attempt_count', sa.Integer(), nullable=False),
    sa.Column('reconcile_first', sa.Boolean(), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('requested_by', sa.String(length=120), nullable=False),
    sa.Column('next_attempt_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('lease_token', sa.String(length=32), nullable=True),
    sa.Column('lease_expires_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_attempt_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('pushed_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['embedded_services_account.id'], name=op.f('fk_order_integration_account_id_embedded_services_account')),
    sa.ForeignKeyConstraint(['order_id'], ['order.id'], name=op.f('fk_order_integration_order_id_order'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_integration')),
    sa.UniqueConstraint('order_id', 'account_id', name=op.f('uq_order_integration_order_id'))
    )
    with op.batch_alter_table('order_integration', schema=None) as batch_op:
        batch_op.create_index('ix_order_integration_account_state', ['account_id', 'state'], unique=False)
        batch_op.create_index('ix_order_integration_state_due', ['state', 'next_attempt_at'], unique=False)

    op.create_table('order_integration_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('integration_id', sa.Integer(), nullable=False),
    sa.Column('started_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('requested_by', sa.String(length=120), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('partner_code', sa.String(length=20), nullable=True),
    sa.Column('message', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['integration_id'], ['order_integration.id'], name=op.f('fk_order_integration_attempt_integration_id_order_integration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_integration_attempt'))
    )
    with op.batch_alter_table('order_integration_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_integration_attempt_integration_id'), ['integration_id'], unique=False)



def downgrade():
    with op.batch_alter_table('order_integration_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_integration_attempt_integration_id'))

    op.drop_table('order_integration_attempt')
    with op.batch_alter_table('order_integration', schema=None) as batch_op:
        batch_op.drop_index('ix_order_integration_state_due')
        batch_op.drop_index('ix_order_integration_account_state')

    op.drop_table('order_integration')
    with op.batch_alter_table('user_integration', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_integration_account_id'))

    op.drop_table('user_integration')
