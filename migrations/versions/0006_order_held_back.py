"""Orders held back by the integration rules: a column kept by the app, indexed with the site,
so the orders list counts them from the index instead of evaluating the rules over every item;
pushes indexed by (state, order) for the list filtered by push state

Added with plain ALTER TABLE (no batch copy; SQLite supports it natively, and copying
``order`` would fight the foreign keys that point at it), then filled in with the SQL form
of the rules as they stand at this revision (``portal.domain.orders.integration_holds``).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-11 10:12:40.201633

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

order = sa.table('order', sa.column('id', sa.Integer), sa.column('payment_status', sa.String),
                 sa.column('payment_method', sa.String), sa.column('held_back', sa.Boolean))
item = sa.table('order_item', sa.column('order_id', sa.Integer), sa.column('approval', sa.String),
                sa.column('is_edoc', sa.Boolean), sa.column('edoc_file_state', sa.String))


def _held_back():
    """Unpaid and not on open terms, no items, an item not approved, or an eDoc file not ready."""
    unpaid = sa.and_(order.c.payment_status != 'paid',
                     sa.or_(order.c.payment_method.is_(None), order.c.payment_method != 'open_terms'))
    return sa.or_(
        unpaid,
        order.c.id.not_in(sa.select(item.c.order_id)),
        order.c.id.in_(sa.select(item.c.order_id).where(item.c.approval != 'approved')),
        order.c.id.in_(sa.select(item.c.order_id).where(
            item.c.is_edoc.is_(True),
            sa.or_(item.c.edoc_file_state.is_(None), item.c.edoc_file_state != 'ready'))),
    )


def upgrade():
    op.add_column('order', sa.Column('held_back', sa.Boolean(), server_default=sa.true(), nullable=False))
    op.execute(order.update().values(held_back=_held_back()))
    op.create_index('ix_order_site_held_back', 'order', ['site_id', 'held_back'], unique=False)
    op.create_index('ix_order_integration_state_order', 'order_integration', ['state', 'order_id'], unique=False)


def downgrade():
    op.drop_index('ix_order_integration_state_order', table_name='order_integration')
    op.drop_index('ix_order_site_held_back', table_name='order')
    op.drop_column('order', 'held_back')
