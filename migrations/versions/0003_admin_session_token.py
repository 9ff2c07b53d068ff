"""Admin session token: sessions and remember-me cookies carry it instead of the user ID

``admin_user.session_token`` is what Flask-Login stores; replacing it (sign-out, a new
password, deactivation) ends every session of that user. Existing admins get a random
token each, so everyone signs in once more after this release (old cookies carry the ID).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 09:00:00.000000

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('admin_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=64), nullable=True))

    # One token per row, made here (a database default would give every row the same, or
    # need a function SQLite lacks); admins are few, so row by row is fine.
    admin_user = sa.table('admin_user', sa.column('id', sa.Integer), sa.column('session_token', sa.String))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(admin_user.c.id)).all():
        connection.execute(
            admin_user.update().where(admin_user.c.id == user_id).values(session_token=secrets.token_urlsafe(32))
        )

    with op.batch_alter_table('admin_user', schema=None) as batch_op:
        batch_op.alter_column('session_token', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_admin_user_session_token'), ['session_token'])


def downgrade():
    with op.batch_alter_table('admin_user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_admin_user_session_token'), type_='unique')
        batch_op.drop_column('session_token')
