"""Sync runs: a row per Order (Status) Synchronization run and per order it handled; the
per-account call cap and status mapping; per-link status schedules; partner shipment keys

Columns of ``embedded_services_account`` and ``embedded_services_site_link`` are added and
dropped with plain ALTER TABLE (no batch copy): SQLite supports both natively, and copying
those tables would fight the foreign keys that point at them. ``shipment`` gets its unique
(item, partner key) through a batch copy on SQLite; nothing points at it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 09:03:14.575048

"""
from alembic import op
import sqlalchemy as sa

import portal.models.types  # noqa: F401  (custom column types autogenerate refers to)


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sync_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('started_by_name', sa.String(length=120), nullable=False),
    sa.Column('window_start', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('window_end', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('active_key', sa.String(length=80), nullable=True),
    sa.Column('message', sa.String(length=500), nullable=True),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('pushed', sa.Integer(), nullable=False),
    sa.Column('adopted', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unmapped', sa.Integer(), nullable=False),
    sa.Column('owner_token', sa.String(length=32), nullable=True),
    sa.Column('job_id', sa.String(length=64), nullable=True),
    sa.Column('heartbeat_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancel_requested_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resumed_count', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['embedded_services_account.id'], name=op.f('fk_sync_run_account_id_embedded_services_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_sync_run_site_id_site')),
    sa.ForeignKeyConstraint(['started_by_id'], ['admin_user.id'], name=op.f('fk_sync_run_started_by_id_admin_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_run')),
    sa.UniqueConstraint('active_key', name=op.f('uq_sync_run_active_key'))
    )
    with op.batch_alter_table('sync_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_run_account_id'), ['account_id'], unique=False)
        batch_op.create_index('ix_sync_run_link_kind', ['site_id', 'account_id', 'kind', 'id'], unique=False)
        batch_op.create_index('ix_sync_run_site', ['site_id', 'id'], unique=False)
        batch_op.create_index('ix_sync_run_state', ['state'], unique=False)

    op.create_table('sync_run_outcome',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.Column('detail', sa.String(length=500), nullable=False),
    sa.Column('partner_order_id', sa.String(length=40), nullable=True),
    sa.Column('created_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['order.id'], name=op.f('fk_sync_run_outcome_order_id_order'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['sync_run.id'], name=op.f('fk_sync_run_outcome_run_id_sync_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_run_outcome')),
    sa.UniqueConstraint('run_id', 'order_id', name=op.f('uq_sync_run_outcome_run_id'))
    )
    with op.batch_alter_table('sync_run_outcome', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_run_outcome_order_id'), ['order_id'], unique=False)
        batch_op.create_index('ix_sync_run_outcome_run_flagged', ['run_id', 'flagged', 'order_id'], unique=False)
        batch_op.create_index('ix_sync_run_outcome_run_outcome', ['run_id', 'outcome', 'order_id'], unique=False)

    op.add_column('embedded_services_account', sa.Column('max_concurrent_calls', sa.Integer(), server_default='8', nullable=False))
    op.add_column('embedded_services_account', sa.Column('status_mapping', sa.JSON(), nullable=True))

    op.add_column('embedded_services_site_link', sa.Column('status_schedule', sa.String(length=16), server_default='off', nullable=False))
    op.add_column('embedded_services_site_link', sa.Column('status_schedule_time', sa.Time(), nullable=True))
    op.add_column('embedded_services_site_link', sa.Column('status_schedule_next_at', portal.models.types.UTCDateTime(timezone=True), nullable=True))
    op.create_index(op.f('ix_embedded_services_site_link_status_schedule_next_at'), 'embedded_services_site_link', ['status_schedule_next_at'], unique=False)

    with op.batch_alter_table('shipment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('partner_key', sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_shipment_item_id'), ['item_id', 'partner_key'])



def downgrade():
    with op.batch_alter_table('shipment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_shipment_item_id'), type_='unique')
        batch_op.drop_column('partner_key')

    op.drop_index(op.f('ix_embedded_services_site_link_status_schedule_next_at'), table_name='embedded_services_site_link')
    op.drop_column('embedded_services_site_link', 'status_schedule_next_at')
    op.drop_column('embedded_services_site_link', 'status_schedule_time')
    op.drop_column('embedded_services_site_link', 'status_schedule')

    op.drop_column('embedded_services_account', 'status_mapping')
    op.drop_column('embedded_services_account', 'max_concurrent_calls')

    with op.batch_alter_table('sync_run_outcome', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_run_outcome_run_outcome')
        batch_op.drop_index('ix_sync_run_outcome_run_flagged')
        batch_op.drop_index(batch_op.f('ix_sync_run_outcome_order_id'))

    op.drop_table('sync_run_outcome')
    with op.batch_alter_table('sync_run', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_run_state')
        batch_op.drop_index('ix_sync_run_site')
        batch_op.drop_index('ix_sync_run_link_kind')
        batch_op.drop_index(batch_op.f('ix_sync_run_account_id'))

    op.drop_table('sync_run')
