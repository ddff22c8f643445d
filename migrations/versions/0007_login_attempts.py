"""login attempts: failed sign-ins counted per account and per address

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 15:45:43.478161
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('loginattempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('address_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loginattempt'))
    )
    with op.batch_alter_table('loginattempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loginattempt_account_key'), ['account_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_loginattempt_address_key'), ['address_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_loginattempt_failed_at'), ['failed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('loginattempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loginattempt_failed_at'))
        batch_op.drop_index(batch_op.f('ix_loginattempt_address_key'))
        batch_op.drop_index(batch_op.f('ix_loginattempt_account_key'))

    op.drop_table('loginattempt')
