"""Embedded Services: partner accounts, their site links, and staff authorization

Adds the account and site-link tables, the audit trail of staff authorizing or
withdrawing a subscriber, and ``subscriber.embedded_services_authorized_at``.
The subscriber column is added and dropped with plain ALTER TABLE (no batch copy):
SQLite supports both natively, and copying ``subscriber`` would fight the foreign
keys that point at it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 16:21:06.656145

"""
from alembic import op
import sqlalchemy as sa

import portal.models.types  # noqa: F401  (custom column types autogenerate refers to)


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('embedded_services_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('partner', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('username', sa.String(length=120), nullable=False),
    sa.Column('password_encrypted', sa.Text(), nullable=False),
    sa.Column('authorization_code_encrypted', sa.Text(), nullable=False),
    sa.Column('initial_status', sa.String(length=32), nullable=False),
    sa.Column('send_pricing_in_notes', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('last_success_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('last_error_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('paused_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('paused_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscriber.id'], name=op.f('fk_embedded_services_account_subscriber_id_subscriber')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_embedded_services_account')),
    sa.UniqueConstraint('subscriber_id', 'name', name=op.f('uq_embedded_services_account_subscriber_id'))
    )
    with op.batch_alter_table('embedded_services_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_embedded_services_account_subscriber_id'), ['subscriber_id'], unique=False)

    op.create_table('embedded_services_authorization_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=120), nullable=False),
    sa.Column('created_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['admin_user.id'], name=op.f('fk_embedded_services_authorization_event_actor_id_admin_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscriber.id'], name=op.f('fk_embedded_services_authorization_event_subscriber_id_subscriber')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_embedded_services_authorization_event'))
    )
    with op.batch_alter_table('embedded_services_authorization_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_embedded_services_authorization_event_subscriber_id'), ['subscriber_id'], unique=False)

    op.create_table('embedded_services_site_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.String(length=20), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('sync_orders', sa.Boolean(), nullable=False),
    sa.Column('sync_status', sa.Boolean(), nullable=False),
    sa.Column('created_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['embedded_services_account.id'], name=op.f('fk_embedded_services_site_link_account_id_embedded_services_account')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_embedded_services_site_link_site_id_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_embedded_services_site_link')),
    sa.UniqueConstraint('account_id', 'site_id', name=op.f('uq_embedded_services_site_link_account_id'))
    )
    with op.batch_alter_table('embedded_services_site_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_embedded_services_site_link_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_embedded_services_site_link_site_id'), ['site_id'], unique=False)

    op.add_column('subscriber', sa.Column('embedded_services_authorized_at', portal.models.types.UTCDateTime(timezone=True), nullable=True))



def downgrade():
    op.drop_column('subscriber', 'embedded_services_authorized_at')

    with op.batch_alter_table('embedded_services_site_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_embedded_services_site_link_site_id'))
        batch_op.drop_index(batch_op.f('ix_embedded_services_site_link_account_id'))

    op.drop_table('embedded_services_site_link')
    with op.batch_alter_table('embedded_services_authorization_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_embedded_services_authorization_event_subscriber_id'))

    op.drop_table('embedded_services_authorization_event')
    with op.batch_alter_table('embedded_services_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_embedded_services_account_subscriber_id'))

    op.drop_table('embedded_services_account')
