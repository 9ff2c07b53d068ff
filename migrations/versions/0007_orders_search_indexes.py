"""Orders search from indexes: the PO number lower-cased, the billing e-mail by trigrams
(PostgreSQL's pg_trgm, for "contains"), and on PostgreSQL the order number with
text_pattern_ops so a prefix (LIKE 'A-10%') is an index range too

Each part of the search (portal.orders.queries._search) can then be answered from an index of
its own; at 100,000 orders an exact order number was found by testing every order of the tenant.
SQLite gets none of it: it scans for the e-mail anyway, and cannot reflect expression indexes
(the models mark these PostgreSQL only, see portal.models.schema_filter_for).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 23:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    if postgresql:
        # A trusted extension since PostgreSQL 13: the database's owner may create it.
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.drop_index('ix_order_number', table_name='order')
        op.create_index('ix_order_number', 'order', ['number'], postgresql_ops={'number': 'text_pattern_ops'})
        op.execute('CREATE INDEX ix_order_billing_email_trigram ON "order" USING gin (lower(billing_email) gin_trgm_ops)')
        op.execute('CREATE INDEX ix_order_po_number_lower ON "order" (lower(po_number))')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_order_po_number_lower', table_name='order')
        op.drop_index('ix_order_billing_email_trigram', table_name='order')
        op.drop_index('ix_order_number', table_name='order')
        op.create_index('ix_order_number', 'order', ['number'])
        # pg_trgm stays: other databases' objects may use it, and it costs nothing unused.
